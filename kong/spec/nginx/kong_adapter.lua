-- Runs Kong plugins' access phase in plain nginx + lua-nginx-module, for
-- tests: the `kong` global with only the PDK calls that support/surface.lua
-- lists for the adapter, each written over the real ngx API as Kong 3.9.1
-- writes it (kong/pdk/*.lua), and per-route plugin configurations read from
-- a JSON file that the configuration generator writes.
--
-- nginx.conf uses it as
--   init_by_lua_block   { require("kong_adapter").init("/path/plugins.json") }
--   access_by_lua_block { require("kong_adapter").access("route-name") }

local cjson = require "cjson.safe"
local strict_tables = require "support.strict"

local strict, strict_paths = strict_tables.for_provider("adapter", "nginx adapter")

local M = {}

-- route name -> list of { name, handler, conf } in Kong's order (priority, highest first).
local routes = {}


-- Kong's log line prefix: "[kong] ... [<plugin>] message".
local function log_function(level)
  return function(...)
    return ngx.log(level, "[kong] [phantom-token] ", ...)
  end
end


local function install_pdk()
  _G.kong = strict("kong", {
    request = strict("kong.request", {
      -- kong/pdk/request.lua: case-insensitive, first value of a repeated header.
      get_header = function(name)
        if type(name) ~= "string" then
          error("header name must be a string", 2)
        end
        local value = ngx.req.get_headers()[name]
        if type(value) == "table" then
          return value[1]
        end
        return value
      end,
      -- kong/pdk/request.lua: lower-case names, a list for a repeated header.
      get_headers = function(max_headers)
        return ngx.req.get_headers(max_headers or 100)
      end,
      -- kong/pdk/request.lua: the buffered body, "" without one, nil and an
      -- error when nginx wrote it to a file.
      get_raw_body = function()
        ngx.req.read_body()
        local body = ngx.req.get_body_data()
        if not body then
          if ngx.req.get_body_file() then
            return nil, "request body did not fit into client body buffer, consider raising 'client_body_buffer_size'"
          end
          return ""
        end
        return body
      end,
    }),
    service = strict("kong.service", {
      request = strict("kong.service.request", {
        -- kong/pdk/service/request.lua: replaces the header sent upstream.
        set_header = function(name, value)
          ngx.req.set_header(name, value)
        end,
      }),
    }),
    response = strict("kong.response", {
      -- kong/pdk/response.lua send(): status, headers, Content-Length, body, exit.
      exit = function(status, body, headers)
        if ngx.headers_sent then
          error("headers have already been sent", 2)
        end
        if type(body) == "table" then
          body = cjson.encode(body)
          headers = headers or {}
          headers["Content-Type"] = headers["Content-Type"] or "application/json; charset=utf-8"
        end
        ngx.status = status
        for name, value in pairs(headers or {}) do
          ngx.header[name] = value
        end
        ngx.header["Content-Length"] = body and #body or 0
        if body then
          ngx.print(body)
        end
        return ngx.exit(status)
      end,
    }),
    log = strict("kong.log", {
      debug = log_function(ngx.DEBUG),
      info = log_function(ngx.INFO),
      notice = log_function(ngx.NOTICE),
      warn = log_function(ngx.WARN),
      err = log_function(ngx.ERR),
    }),
  })
end


-- Kong's env vault (Kong 3.9.1 kong/vaults/env/init.lua: dashes become
-- underscores, then upper case): {vault://env/gateway_client_secret} reads
-- GATEWAY_CLIENT_SECRET. nginx passes a variable on only when nginx.conf
-- declares it with `env`, as KONG_NGINX_MAIN_ENV does for Kong.
local function resolve_reference(value, where)
  if type(value) ~= "string" then
    return value
  end
  local name = value:match("^{vault://env/([%w_-]+)}$")
  if not name then
    if value:find("^{vault://") then
      error(where .. ": only {vault://env/<name>} references are supported", 0)
    end
    return value
  end
  local variable = name:gsub("-", "_"):upper()
  local resolved = os.getenv(variable)
  if not resolved or resolved == "" then
    error(where .. ": environment variable " .. variable .. " is not set", 0)
  end
  return resolved
end


-- The plugin's own schema.lua is the one source of its defaults: read it with
-- typedefs that only carry the field definitions (Kong's loader is not here).
local function config_fields(plugin)
  local reading_typedefs = setmetatable({}, {
    __index = function()
      return setmetatable({}, {
        __call = function(_, overrides) return overrides or {} end,
      })
    end,
  })
  local original = package.loaded["kong.db.schema.typedefs"]
  package.loaded["kong.db.schema.typedefs"] = reading_typedefs
  local ok, schema = pcall(require, "kong.plugins." .. plugin .. ".schema")
  package.loaded["kong.db.schema.typedefs"] = original
  package.loaded["kong.plugins." .. plugin .. ".schema"] = nil
  if not ok then
    error("cannot read the schema of plugin " .. plugin .. ": " .. tostring(schema), 0)
  end
  for _, item in ipairs(schema.fields) do
    if item.config then
      return item.config.fields
    end
  end
  error("plugin " .. plugin .. " has no config record", 0)
end


-- Defaults as Kong fills them in; unset optional fields become ngx.null.
local function complete_config(plugin, input, where)
  local conf = {}
  local known = {}
  for _, item in ipairs(config_fields(plugin)) do
    local name, field = next(item)
    known[name] = true
    local value = input[name]
    if value == nil or value == ngx.null then
      value = field.default
    end
    if value == nil then
      if field.required then
        error(where .. ": " .. name .. " is required", 0)
      end
      value = ngx.null
    end
    if field.referenceable then
      value = resolve_reference(value, where .. "." .. name)
    end
    conf[name] = value
  end
  for name in pairs(input) do
    if not known[name] then
      error(where .. ": unknown field " .. name, 0)
    end
  end
  return conf
end


-- file: { "routes": { "<route>": [ { "name": "phantom-token", "config": {...} } ] } }
function M.init(file)
  local handle = assert(io.open(file, "rb"))
  local text = handle:read("*a")
  handle:close()
  local document = assert(cjson.decode(text), file .. " is not JSON")
  for route, plugins in pairs(document.routes) do
    local list = {}
    for index, plugin in ipairs(plugins) do
      local where = route .. ".plugins[" .. index .. "] " .. plugin.name
      list[#list + 1] = {
        name = plugin.name,
        handler = require("kong.plugins." .. plugin.name .. ".handler"),
        conf = complete_config(plugin.name, plugin.config or {}, where),
      }
    end
    table.sort(list, function(a, b) return a.handler.PRIORITY > b.handler.PRIORITY end)
    routes[route] = list
  end
  install_pdk()
end


-- The access phase of every plugin of the route, as Kong calls it: handler:access(conf).
function M.access(route)
  local plugins = routes[route]
  if not plugins then
    error("no plugins configured for route " .. tostring(route))
  end
  for _, plugin in ipairs(plugins) do
    plugin.handler:access(plugin.conf)
  end
end


-- What the adapter offers next to what surface.lua lists for it.
function M.surface()
  local names = strict_tables.names(_G.kong, "kong", strict_paths, {})
  for _, module in ipairs({ "resty.http", "kong.tools.sha256" }) do
    local loaded = require(module)
    for key in next, loaded do names[#names + 1] = module .. "." .. key end
  end
  for key in next, require("resty.http").new() do names[#names + 1] = "resty.http." .. key end
  return { offered = strict_tables.sorted(names), listed = strict_tables.listed("adapter") }
end


return M
