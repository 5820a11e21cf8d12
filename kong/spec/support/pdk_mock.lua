-- A fake Kong PDK and OpenResty environment, just large enough for the
-- phantom-token plugin: the `kong` and `ngx` globals, `resty.http` and the
-- schema typedefs. install() starts a fresh environment and returns a
-- controller that tests drive and inspect.

local cjson = require "cjson"
local sha256 = require "support.sha256"
local base64 = require "support.base64"

local M = {}

local env -- the environment of the current test

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
-- seconds (at now >= set time + ttl), and a ttl of 0 means never.
local function new_shared_dict(clock)
  local entries = {}
  local dict = { entries = entries }

  function dict:get(key)
    local entry = entries[key]
    if entry and (entry.expires == nil or clock.now < entry.expires) then
      return entry.value
    end
    return nil
  end

  function dict:set(key, value, exptime)
    local ttl = exptime or 0
    entries[key] = { value = value, expires = ttl > 0 and clock.now + ttl or nil, ttl = ttl }
    return true, nil, false
  end

  return dict
end


local fake_http = {}

function fake_http.new()
  local client = { timeout = nil }

  function client:set_timeout(ms)
    self.timeout = ms
  end

  function client:request_uri(uri, params)
    local answer = env.introspection_answer
    local call = { uri = uri, params = params, timeout = self.timeout }
    table.insert(env.introspection_calls, call)
    if answer == nil then
      error("unexpected introspection call to " .. uri, 2)
    end
    if answer.network_error then
      return nil, answer.network_error
    end
    return { status = answer.status, headers = answer.headers or {}, body = answer.body }
  end

  return client
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

local fake_typedefs = {
  no_consumer = typedef { type = "foreign", reference = "consumers", eq = cjson.null },
  protocols_http = typedef {
    type = "set",
    required = true,
    default = { "grpc", "grpcs", "http", "https" },
    elements = { type = "string", one_of = { "grpc", "grpcs", "http", "https" } },
  },
  url = typedef { type = "string", custom_validator = url_validator },
}


package.loaded["resty.http"] = fake_http
package.loaded["kong.db.schema.typedefs"] = fake_typedefs


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
function M.install(options)
  options = options or {}
  local clock = { now = 0 }
  env = {
    clock = clock,
    logs = {},
    introspection_calls = {},
    shared = {},
  }
  if options.shared_dict ~= false then
    env.shared["phantom-token"] = new_shared_dict(clock)
  end

  _G.ngx = {
    null = cjson.null,
    shared = env.shared,
    now = function() return clock.now end,
    sha256_bin = sha256,
    encode_base64 = base64,
  }

  _G.kong = {
    request = {
      get_header = function(name)
        return lookup(env.request_headers, name)
      end,
    },
    service = {
      request = {
        set_header = function(name, value)
          env.upstream_headers[name] = value
        end,
      },
    },
    response = {
      exit = function(status, body, headers)
        assert(env.response == nil, "kong.response.exit called twice")
        env.response = { status = status, body = body, headers = headers or {} }
      end,
    },
    log = {
      debug = log_function("debug"),
      info = log_function("info"),
      notice = log_function("notice"),
      warn = log_function("warn"),
      err = log_function("err"),
    },
  }

  return env
end


-- Prepares the next request: its headers and the authorization server's
-- answer to an introspection call (nil: any call fails the test).
function M.begin_request(headers, introspection_answer)
  env.request_headers = headers or {}
  env.introspection_answer = introspection_answer
  env.upstream_headers = {}
  env.response = nil
end


return M
