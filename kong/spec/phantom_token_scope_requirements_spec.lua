-- Scope requirements beyond the shared vectors: bodies Kong will not hand
-- over, repeated headers, and the helpers the vectors only reach together.

local cjson = require "cjson"
local pdk = require "support.pdk_mock"
local access = require "kong.plugins.phantom-token.access"
local requirements = require "kong.plugins.phantom-token.scope_requirements"
local base64 = require "support.base64"

local TOKEN = "_0XBPWQQ_2fb1bc61-0e98-413c-a44d-d8a46d3bd2f2"

local function jwt_with(scope)
  local payload = base64.encode(cjson.encode({ sub = "john", scope = scope })):gsub("=", ""):gsub("%+", "-"):gsub("/", "_")
  return "eyJhbGciOiJSUzI1NiJ9." .. payload .. ".c2ln"
end

local function config()
  return {
    introspection_endpoint = "http://idsvr:8443/oauth/v2/oauth-introspect",
    client_id = "api-gateway-client",
    client_secret = "Password1",
    token_cache_seconds = 0,
    scope = "stocks/read",
    resource_metadata = "https://mcp.demo.example/.well-known/oauth-protected-resource",
    -- Kong hands an unset optional field of a record over as ngx.null.
    scope_requirements = { { method = "tools/call", name = cjson.null, scopes = { "stocks/trade" } } },
    verify_ssl = true,
    timeout_ms = 5000,
  }
end

local PLACE_ORDER = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"place-order"}}'

local function run(headers, body, scope)
  local env = pdk.install()
  headers.Authorization = "Bearer " .. TOKEN
  pdk.begin_request(headers, { status = 200, headers = {}, body = jwt_with(scope or "stocks/read") }, body)
  return env
end


describe("phantom-token scope requirements", function()
  it("applies a requirement without a name to every call of its method (name unset is ngx.null)", function()
    local env = run({ ["Mcp-Method"] = "tools/call", ["Mcp-Name"] = "fetch-stock-price" }, PLACE_ORDER)
    access.run(config())
    assert.equal(403, env.response.status)
    assert.is_nil(env.upstream_headers.Authorization)
  end)

  it("refuses with 400 a body nginx wrote to a file when no header names the method", function()
    local env = run({}, PLACE_ORDER)
    env.body_in_file = true
    access.run(config())
    assert.equal(400, env.response.status)
    assert.equal("invalid_request", cjson.decode(env.response.body).code)
  end)

  it("refuses with 400 a body over " .. requirements.MAX_INSPECTED_BODY .. " bytes when no header names the method", function()
    local big = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"place-order","note":"'
      .. string.rep("x", requirements.MAX_INSPECTED_BODY) .. '"}}'
    local env = run({}, big)
    access.run(config())
    assert.equal(400, env.response.status)
  end)

  it("refuses a repeated Mcp-Method header (a list) with 400", function()
    local env = run({ ["Mcp-Method"] = { "tools/list", "tools/call" } }, PLACE_ORDER, "stocks/read stocks/trade")
    access.run(config())
    assert.equal(400, env.response.status)
    assert.same({ code = "invalid_request", message = "The Mcp-Method or Mcp-Name header is malformed" },
      cjson.decode(env.response.body))
  end)

  it("does not read the body when the headers name a method no requirement has", function()
    local env = run({ ["Mcp-Method"] = "tools/list" }, nil)
    env.body_in_file = true -- reading it would fail the request
    access.run(config())
    assert.is_nil(env.response)
    assert.equal("Bearer " .. jwt_with("stocks/read"), env.upstream_headers.Authorization)
  end)

  it("reads calls, scopes and the challenge scope as the Node gateway does", function()
    pdk.install()
    assert.same({ method = "tools/call", name = "place-order" }, requirements.call_from_body(PLACE_ORDER))
    assert.same({}, requirements.call_from_body('{"jsonrpc":"2.0","id":1,"result":{}}'))
    assert.same({}, requirements.call_from_body("  "))
    assert.is_nil(requirements.call_from_body('{"method":42}'))
    assert.is_nil(requirements.call_from_body('{"method":"tools/call","params":{"name":"a b"}}'))
    assert.equal("stocks/read stocks/trade", requirements.granted_scopes(jwt_with(" stocks/read \t stocks/trade\n")))
    assert.equal("", requirements.granted_scopes("not-a-jwt"))
    assert.equal("", requirements.granted_scopes(jwt_with(nil)))
    assert.same({ "stocks/trade" }, requirements.missing({ "stocks/read", "stocks/trade" }, "stocks/read stocks/tradex"))
    assert.same({}, requirements.missing({ "stocks/trade" }, "stocks/read stocks/trade"))
    assert.equal("stocks/read stocks/trade", requirements.challenge_scope("stocks/read", { "stocks/trade", "stocks/read" }))
    assert.equal("stocks/trade", requirements.challenge_scope(cjson.null, { "stocks/trade" }))
  end)


  describe("with the cache", function()
    local function cached_config()
      local conf = config()
      conf.token_cache_seconds = 900
      return conf
    end

    local function place_order(env, introspection)
      pdk.begin_request({ Authorization = "Bearer " .. TOKEN, ["Mcp-Method"] = "tools/call", ["Mcp-Name"] = "place-order" },
        introspection, PLACE_ORDER)
      access.run(cached_config())
      return env
    end

    it("decodes the JWT's scopes once, when it is introspected, and not on a cache hit", function()
      local env = pdk.install()
      local decode = spy.on(requirements, "granted_scopes")
      finally(function() decode:revert() end)

      place_order(env, { status = 200, headers = {}, body = jwt_with("stocks/read") })
      assert.equal(403, env.response.status)
      assert.spy(decode).was.called(1)

      place_order(env, nil) -- no introspection may happen
      assert.equal(403, env.response.status)
      assert.equal(1, #env.introspection_calls)
      assert.spy(decode).was.called(1)
    end)

    -- The JWT's payload grants only stocks/read; the entry says stocks/trade
    -- too. That the call goes through shows the scopes come from the entry.
    it("judges a cache hit by the scopes cached with the JWT, not by decoding it again", function()
      local env = pdk.install()
      local jwt = jwt_with("stocks/read")
      ngx.shared["phantom-token"]:set(access.cache_key(TOKEN), access.cache_entry(jwt, "stocks/read stocks/trade"), 60)
      place_order(env, nil)
      assert.is_nil(env.response)
      assert.equal("Bearer " .. jwt, env.upstream_headers.Authorization)
      assert.equal(0, #env.introspection_calls)
    end)

    it("caches what the payload grants with the JWT", function()
      local env = place_order(pdk.install(), { status = 200, headers = {}, body = jwt_with("stocks/read  stocks/trade") })
      assert.is_nil(env.response)
      local jwt, granted = access.read_cache_entry(env.cache.entries[access.cache_key(TOKEN)].value)
      assert.equal(jwt_with("stocks/read  stocks/trade"), jwt)
      assert.equal("stocks/read stocks/trade", granted)
    end)
  end)
end)
