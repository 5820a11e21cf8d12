require "support.pdk_mock" -- provides kong.db.schema.typedefs

local cjson = require "cjson"
local schema = require "kong.plugins.phantom-token.schema"
local handler = require "kong.plugins.phantom-token.handler"
local validator = require "support.schema_validator"
local vectors = require "support.vectors"

local function field(name)
  for _, item in ipairs(validator.config_fields(schema)) do
    if item[name] then
      return item[name]
    end
  end
end

-- The gateway configuration from the tutorial's kong.yml.
local function seed_config()
  return {
    introspection_endpoint = "http://idsvr:8443/oauth/v2/oauth-introspect",
    client_id = "api-gateway-client",
    client_secret = "Password1",
    token_cache_seconds = 900,
  }
end


describe("phantom-token schema", function()
  it("is named after the plugin and only applies to HTTP services", function()
    assert.equal("phantom-token", schema.name)
    local top = {}
    for _, item in ipairs(schema.fields) do
      local name, definition = next(item)
      top[name] = definition
    end
    assert.equal("consumers", top.consumer.reference)
    assert.same({ "grpc", "grpcs", "http", "https" }, top.protocols.default)
  end)

  it("declares exactly the documented config fields", function()
    local names = {}
    for _, item in ipairs(validator.config_fields(schema)) do
      names[#names + 1] = next(item)
    end
    assert.same({
      "introspection_endpoint", "client_id", "client_secret", "token_cache_seconds",
      "scope", "resource_metadata", "scope_requirements", "verify_ssl", "timeout_ms",
    }, names)
  end)

  it("requires the endpoint and client credentials, not scope or resource_metadata", function()
    assert.is_true(field("introspection_endpoint").required)
    assert.is_true(field("client_id").required)
    assert.is_true(field("client_secret").required)
    assert.is_false(field("scope").required)
    assert.is_false(field("resource_metadata").required)
  end)

  it("keeps the client secret encrypted and allows a vault reference", function()
    assert.is_true(field("client_secret").encrypted)
    assert.is_true(field("client_secret").referenceable)
  end)

  it("applies the defaults to the tutorial's configuration", function()
    local conf = assert(validator.validate_config(schema, seed_config()))
    assert.equal(900, conf.token_cache_seconds)
    assert.is_true(conf.verify_ssl)
    assert.equal(5000, conf.timeout_ms)
    assert.is_nil(conf.scope)
    assert.same({}, conf.scope_requirements)

    local without_cache = seed_config()
    without_cache.token_cache_seconds = nil
    assert.equal(0, assert(validator.validate_config(schema, without_cache)).token_cache_seconds)
  end)

  it("rejects invalid configurations", function()
    local function errors_for(changes)
      local input = seed_config()
      for key, value in pairs(changes) do input[key] = value end
      local conf, errors = validator.validate_config(schema, input)
      assert.is_nil(conf)
      return errors
    end
    assert.truthy(errors_for({ client_secret = cjson.null }).client_secret)
    assert.truthy(errors_for({ token_cache_seconds = -1 }).token_cache_seconds)
    assert.truthy(errors_for({ token_cache_seconds = 1.5 }).token_cache_seconds)
    assert.truthy(errors_for({ timeout_ms = 0 }).timeout_ms)
    assert.truthy(errors_for({ verify_ssl = "no" }).verify_ssl)
    assert.truthy(errors_for({ introspection_endpoint = "idsvr/introspect" }).introspection_endpoint)
    assert.truthy(errors_for({ resource_metadata = "not a url" }).resource_metadata)
    assert.truthy(errors_for({ cache_ttl = 10 }).cache_ttl)
  end)

  it("checks each scope requirement's method, name and scopes", function()
    local function problem(requirement)
      local input = seed_config()
      input.scope_requirements = { requirement }
      local conf, errors = validator.validate_config(schema, input)
      return conf == nil and errors.scope_requirements or nil
    end
    assert.is_nil(problem({ method = "tools/call", name = "place-order", scopes = { "stocks/trade" } }))
    assert.is_nil(problem({ method = "tools/call", scopes = { "stocks/read", "stocks/trade" } }))
    assert.truthy(problem({ name = "place-order", scopes = { "stocks/trade" } }))
    assert.truthy(problem({ method = "tools/call" }))
    assert.truthy(problem({ method = "tools/call", scopes = {} }))
    assert.truthy(problem({ method = "tools call", scopes = { "stocks/trade" } }))
    assert.truthy(problem({ method = "tools/call", name = "place order", scopes = { "stocks/trade" } }))
    assert.truthy(problem({ method = "tools/call", scopes = { "stocks trade" } }))
    assert.truthy(problem({ method = "tools/call", scopes = { 'stocks/"trade"' } }))
    assert.truthy(problem({ method = "tools/call", scopes = { "stocks\\trade" } }))
    assert.truthy(problem({ method = "tools/call", scopes = { "stocks/trade" }, tool = "x" }))
  end)

  it("accepts the configuration of every shared vector", function()
    local document = vectors.load()
    for _, vector in ipairs(document.vectors) do
      local conf, errors = validator.validate_config(schema, vectors.config_for(document, vector))
      assert.is_table(conf, vector.name .. ": " .. tostring(errors and next(errors)))
    end
  end)
end)


describe("phantom-token handler", function()
  it("runs in the access phase with a fixed priority and a version", function()
    assert.equal(1000, handler.PRIORITY)
    assert.truthy(handler.VERSION:match("^%d+%.%d+%.%d+$"))
    assert.is_function(handler.access)
  end)
end)
