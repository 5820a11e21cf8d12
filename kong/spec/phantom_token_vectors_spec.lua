-- Runs every shared vector through the plugin's access phase with the fake PDK.

local cjson = require "cjson"
local pdk = require "support.pdk_mock"
local vectors = require "support.vectors"
local handler = require "kong.plugins.phantom-token.handler"
local access = require "kong.plugins.phantom-token.access"

local document = vectors.load()
local is_null = vectors.is_null


-- Tokens (and JWTs) must never appear in a log line, whatever the outcome.
local function assert_no_secrets_logged(env, secrets, label)
  for _, line in ipairs(env.logs) do
    for _, secret in ipairs(secrets) do
      assert.is_nil(line:find(secret, 1, true), label .. ": a token was logged: " .. line)
    end
  end
end


local function assert_cache_holds_no_raw_token(env)
  for key in pairs(env.cache.entries) do
    assert.truthy(key:match("^phantom:" .. string.rep("%x", 64) .. "$"), "bad cache key " .. key)
  end
end


local function check_introspection_request(call, expected, conf, label)
  assert.equal(conf.introspection_endpoint, call.uri, label)
  assert.equal(conf.timeout_ms, call.timeout, label)
  assert.equal(conf.verify_ssl, call.params.ssl_verify, label)
  assert.equal(expected.method, call.params.method, label)
  for name, value in pairs(expected.headers) do
    assert.equal(value, pdk.lookup(call.params.headers, name), label .. ": header " .. name)
  end
  assert.equal(expected.body, call.params.body, label)
end


local function check_step(env, step, conf, label)
  local expect = step.expect

  assert.equal(expect.introspection_calls, #env.introspection_calls, label .. ": introspection calls")
  if not is_null(step.expect_introspection_request) then
    check_introspection_request(env.introspection_calls[#env.introspection_calls],
      step.expect_introspection_request, conf, label)
  end

  if is_null(expect.status) then
    assert.is_nil(env.response, label .. ": expected the request to be forwarded")
    assert.equal(expect.upstream_authorization, env.upstream_headers["Authorization"], label)
    return
  end

  assert.is_not_nil(env.response, label .. ": expected a response from the gateway")
  assert.equal(expect.status, env.response.status, label .. ": status")
  assert.is_nil(env.upstream_headers["Authorization"], label .. ": must not set the upstream token")
  for name, value in pairs(expect.headers or {}) do
    assert.equal(value, pdk.lookup(env.response.headers, name), label .. ": header " .. name)
  end
  if not is_null(expect.body_json) then
    assert.same(expect.body_json, cjson.decode(env.response.body), label .. ": body")
  end
end


describe("phantom-token vectors", function()
  -- An empty or unreadable list must fail here, not pass with nothing run.
  it("has uniquely named vectors to run", function()
    assert.is_true(#document.vectors > 0, "kong/phantom-token-vectors.json has no vectors")
    local seen = {}
    for _, vector in ipairs(document.vectors) do
      assert.is_nil(seen[vector.name], "two vectors are named " .. tostring(vector.name))
      seen[vector.name] = true
    end
  end)

  for _, vector in ipairs(document.vectors) do
    it(vector.name, function()
      local env = pdk.install()
      local conf = vectors.config_for(document, vector)
      local secrets = {}

      for index, step in ipairs(vector.steps) do
        local label = vector.name .. ", step " .. index
        if not is_null(step.clock) then
          env.clock.now = step.clock
        end
        local introspection = not is_null(step.introspection) and step.introspection or nil
        local body = not is_null(step.request.body) and step.request.body or nil
        pdk.begin_request(step.request.headers, introspection, body)

        local credentials = (pdk.lookup(step.request.headers, "Authorization") or ""):match("^%S+%s+(.+)$")
        if credentials and #credentials >= 8 then table.insert(secrets, credentials) end
        if introspection and type(introspection.body) == "string" and #introspection.body > 20 then
          table.insert(secrets, introspection.body)
        end

        handler:access(conf)
        check_step(env, step, conf, label)
      end

      assert_no_secrets_logged(env, secrets, vector.name)
      assert_cache_holds_no_raw_token(env)
    end)
  end
end)


describe("phantom-token cache key examples", function()
  it("derive the key from the SHA-256 of the token", function()
    pdk.install()
    for _, example in ipairs(document.cache_key_examples) do
      assert.equal(example.cache_key, access.cache_key(example.token))
    end
  end)
end)
