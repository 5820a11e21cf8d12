-- Behaviour outside the shared vectors: Kong-specific cache plumbing and parsing details.

local cjson = require "cjson"
local pdk = require "support.pdk_mock"
local access = require "kong.plugins.phantom-token.access"

local JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqb2huIn0.c2lnbmF0dXJl"
local TOKEN = "_0XBPWQQ_2fb1bc61-0e98-413c-a44d-d8a46d3bd2f2"

local function config(overrides)
  local conf = {
    introspection_endpoint = "http://idsvr:8443/oauth/v2/oauth-introspect",
    client_id = "api-gateway-client",
    client_secret = "Password1",
    token_cache_seconds = 900,
    scope = cjson.null, -- how Kong passes an unset optional field
    verify_ssl = true,
    timeout_ms = 5000,
  }
  for key, value in pairs(overrides or {}) do conf[key] = value end
  return conf
end

local function call(env, conf)
  pdk.begin_request({ Authorization = "Bearer " .. TOKEN },
    { status = 200, headers = { ["Cache-Control"] = "max-age=300" }, body = JWT })
  access.run(conf)
  return env
end


describe("phantom-token access", function()
  it("still works, without caching, when the shared dict is not declared", function()
    local env = pdk.install({ shared_dict = false })
    call(env, config())
    call(env, config())
    assert.equal("Bearer " .. JWT, env.upstream_headers.Authorization)
    assert.equal(2, #env.introspection_calls)
    assert.truthy(env.logs[#env.logs]:find("not declared", 1, true))
  end)

  it("stores the JWT for the smaller of max-age and token_cache_seconds", function()
    local env = call(pdk.install(), config())
    local entry = env.cache.entries[access.cache_key(TOKEN)]
    assert.same({ JWT, "" }, { access.read_cache_entry(entry.value) })
    assert.equal(300, entry.ttl)
  end)

  it("serves a cached entry without introspecting", function()
    local env = pdk.install()
    ngx.shared["phantom-token"]:set(access.cache_key(TOKEN), access.cache_entry("cached.jwt.value", "stocks/read"), 60)
    pdk.begin_request({ Authorization = "Bearer " .. TOKEN }, nil)
    access.run(config())
    assert.equal("Bearer cached.jwt.value", env.upstream_headers.Authorization)
    assert.equal(0, #env.introspection_calls)
  end)

  it("does not read the cache when caching is off", function()
    local env = pdk.install()
    ngx.shared["phantom-token"]:set(access.cache_key(TOKEN), access.cache_entry("stale.jwt.value", ""), 60)
    call(env, config({ token_cache_seconds = 0 }))
    assert.equal("Bearer " .. JWT, env.upstream_headers.Authorization)
  end)

  -- Shared dicts survive a reload, so entries an older version wrote (the JWT alone) may be found.
  it("introspects again and replaces an entry that holds the JWT alone", function()
    local env = pdk.install()
    ngx.shared["phantom-token"]:set(access.cache_key(TOKEN), "older.jwt.value", 60)
    call(env, config())
    assert.equal("Bearer " .. JWT, env.upstream_headers.Authorization)
    assert.equal(1, #env.introspection_calls)
    assert.same({ JWT, "" }, { access.read_cache_entry(env.cache.entries[access.cache_key(TOKEN)].value) })
  end)

  it("keeps forwarding when the cache is full", function()
    local env = pdk.install()
    env.cache.set_error = "no memory"
    call(env, config())
    assert.equal("Bearer " .. JWT, env.upstream_headers.Authorization)
    assert.truthy(env.logs[#env.logs]:find("no memory", 1, true))
  end)

  it("answers 500 without introspecting when the token cannot be hashed", function()
    local env = pdk.install()
    env.digest_error = "EVP_DigestInit_ex() failed"
    call(env, config())
    assert.equal(500, env.response.status)
    assert.same({ code = "internal_error", message = "The gateway could not process the access token" },
      cjson.decode(env.response.body))
    assert.equal(0, #env.introspection_calls)
    assert.truthy(env.logs[#env.logs]:find("EVP_DigestInit_ex() failed", 1, true))
  end)

  it("reads max-age among other Cache-Control directives", function()
    assert.equal(30, access.max_age("no-cache, max-age=30"))
    assert.equal(45, access.max_age('private, max-age="45"'))
    assert.equal(5, access.max_age("MAX-AGE=5"))
    assert.is_nil(access.max_age("s-maxage=10"))
    assert.is_nil(access.max_age("no-store"))
    assert.is_nil(access.max_age(nil))
  end)

  it("escapes quotes in configured challenge values", function()
    pdk.install()
    local challenge = access.challenge(config({ scope = 'a"b\\c' }))
    assert.truthy(challenge:find([[scope="a\"b\\c"]], 1, true))
  end)

  it("treats a JWT answer with surrounding whitespace as the JWT", function()
    pdk.install()
    assert.equal(JWT, access.read_introspection(200, JWT .. "\r\n"))
    assert.same({ nil, "inactive" }, { access.read_introspection(200, " \n") })
  end)
end)
