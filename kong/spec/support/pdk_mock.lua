-- A fake Kong PDK and OpenResty environment for busted, offering exactly the
-- names that support/surface.lua lists for the mock: the `kong` and `ngx`
-- globals, `resty.http`, `kong.tools.sha256` and the schema typedefs.
-- Reading any other field of these tables raises an error that names it, so
-- the plugin cannot come to rely on something Kong 3.9.1 does not have.
-- install() starts a fresh environment and returns a controller that tests
-- drive and inspect.

local cjson = require "cjson"
local sha256 = require "support.sha256"
local base64 = require "support.base64"
local strict_tables = require "support.strict"

local M = {}

local env -- the environment of the current test


local strict, strict_paths = strict_tables.for_provider("mock", "pdk mock")


local function lookup(headers, name)
  local wanted = name:lower()
  for key, value in pairs(headers or {}) do
    if key:lower() == wanted then
      return value
    end
  end
  return nil
end
M.lookup = lookup


-- ngx.shared.DICT semantics that matter here: entries expire after ttl
-- seconds (at now >= set time + ttl), and a ttl of 0 means never. The
-- entries stay in the controller (env.cache) for tests to inspect.
local function new_shared_dict(clock, cache)
  return strict("ngx.shared.DICT", {
    get = function(_, key)
      local entry = cache.entries[key]
      if entry and (entry.expires == nil or clock.now < entry.expires) then
        return entry.value
      end
      return nil
    end,
    set = function(_, key, value, exptime)
      if cache.set_error then
        return false, cache.set_error, false
      end
      local ttl = exptime or 0
      cache.entries[key] = { value = value, expires = ttl > 0 and clock.now + ttl or nil, ttl = ttl }
      return true, nil, false
    end,
  })
end


local function new_http_client()
  local timeout
  return strict("resty.http", {
    set_timeout = function(_, ms)
      timeout = ms
    end,
    request_uri = function(_, uri, params)
      local answer = env.introspection_answer
      table.insert(env.introspection_calls, { uri = uri, params = params, timeout = timeout })
      if answer == nil then
        error("unexpected introspection call to " .. uri, 2)
      end
      if answer.network_error then
        return nil, answer.network_error
      end
      return { status = answer.status, headers = answer.headers or {}, body = answer.body }
    end,
  })
end


local function url_validator(value)
  if not value:match("^https?://[^/]") then
    return nil, "missing host in url"
  end
  return true
end

-- Typedefs are callable in Kong: calling one returns a copy with overrides.
local function typedef(base)
  return setmetatable(base, {
    __call = function(self, overrides)
      local field = {}
      for k, v in pairs(self) do field[k] = v end
      for k, v in pairs(overrides or {}) do field[k] = v end
      return field
    end,
  })
end


local function to_hex(bytes)
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end


package.loaded["resty.http"] = strict("resty.http", { new = new_http_client })
-- Kong's versions return nil and OpenSSL's error when the digest fails.
package.loaded["kong.tools.sha256"] = strict("kong.tools.sha256", {
  sha256_bin = function(value)
    if env.digest_error then return nil, env.digest_error end
    return sha256(value)
  end,
  sha256_hex = function(value)
    if env.digest_error then return nil, env.digest_error end
    return to_hex(sha256(value))
  end,
})
package.loaded["kong.db.schema.typedefs"] = strict("kong.db.schema.typedefs", {
  no_consumer = typedef { type = "foreign", reference = "consumers", eq = cjson.null },
  protocols_http = typedef {
    type = "set",
    required = true,
    default = { "grpc", "grpcs", "http", "https" },
    elements = { type = "string", one_of = { "grpc", "grpcs", "http", "https" } },
  },
  url = typedef { type = "string", custom_validator = url_validator },
})


local function log_function(level)
  return function(...)
    local parts = {}
    for i = 1, select("#", ...) do
      parts[i] = tostring((select(i, ...)))
    end
    table.insert(env.logs, level .. ": " .. table.concat(parts))
  end
end


-- Starts a fresh environment: empty cache, clock 0, no calls, no logs.
-- options.shared_dict = false leaves the plugin's lua_shared_dict undeclared.
function M.install(options)
  options = options or {}
  local clock = { now = 0 }
  env = {
    clock = clock,
    logs = {},
    introspection_calls = {},
    -- entries by key ({ value, ttl, expires }); set_error makes every set fail.
    cache = { entries = {}, set_error = nil },
    -- set: kong.tools.sha256 fails with this message.
    digest_error = nil,
  }

  -- Like the real ngx.shared: one field per declared dict, nil for others.
  local shared = {}
  if options.shared_dict ~= false then
    shared["phantom-token"] = new_shared_dict(clock, env.cache)
  end

  _G.ngx = strict("ngx", {
    shared = shared,
    encode_base64 = base64.encode,
    decode_base64 = base64.decode,
  })

  _G.kong = strict("kong", {
    request = strict("kong.request", {
      get_header = function(name)
        return lookup(env.request_headers, name)
      end,
      -- Lower-case names as ngx.req.get_headers gives them; a list for a
      -- repeated header (env.request_headers values may be lists).
      get_headers = function()
        local headers = {}
        for key, value in pairs(env.request_headers or {}) do
          headers[key:lower()] = value
        end
        return headers
      end,
      -- Kong's answer: the whole buffered body, "" when there is none, or nil
      -- and an error when nginx wrote it to a file (env.body_in_file).
      get_raw_body = function()
        if env.body_in_file then
          return nil, "request body did not fit into client body buffer, consider raising 'client_body_buffer_size'"
        end
        return env.request_body or ""
      end,
    }),
    service = strict("kong.service", {
      request = strict("kong.service.request", {
        set_header = function(name, value)
          env.upstream_headers[name] = value
        end,
      }),
    }),
    response = strict("kong.response", {
      exit = function(status, body, headers)
        assert(env.response == nil, "kong.response.exit called twice")
        env.response = { status = status, body = body, headers = headers or {} }
      end,
    }),
    log = strict("kong.log", {
      debug = log_function("debug"),
      info = log_function("info"),
      notice = log_function("notice"),
      warn = log_function("warn"),
      err = log_function("err"),
    }),
  })

  return env
end


-- Prepares the next request: its headers, the authorization server's answer
-- to an introspection call (nil: any call fails the test) and its body.
function M.begin_request(headers, introspection_answer, body)
  env.request_headers = headers or {}
  env.request_body = body
  env.body_in_file = nil
  env.introspection_answer = introspection_answer
  env.upstream_headers = {}
  env.response = nil
end


-- Every name the fake environment offers, found by walking its tables:
-- the globals, the modules it registers, an HTTP client and a shared dict.
function M.offered_names()
  local names = strict_tables.names(_G.kong, "kong", strict_paths, {})
  for key, field in next, _G.ngx do
    if key ~= "shared" then strict_tables.names(field, "ngx." .. key, strict_paths, names) end
  end
  names[#names + 1] = "ngx.shared"
  local dict = rawget(_G.ngx, "shared")["phantom-token"]
  if dict then strict_tables.names(dict, "ngx.shared.DICT", strict_paths, names) end
  for _, module in ipairs({ "resty.http", "kong.tools.sha256", "kong.db.schema.typedefs" }) do
    strict_tables.names(package.loaded[module], module, strict_paths, names)
  end
  -- A client's methods are the module's functions in lua-resty-http.
  strict_tables.names(package.loaded["resty.http"].new(), "resty.http", strict_paths, names)
  return strict_tables.sorted(names)
end


return M
