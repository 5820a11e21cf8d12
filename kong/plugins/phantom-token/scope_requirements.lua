-- Per-method / per-tool scope requirements (config.scope_requirements).
--
-- Which MCP call a request makes comes from the Mcp-Method and Mcp-Name
-- headers (MCP 2026-07-28) and, for each one a request lacks, from its
-- JSON-RPC body (2025-11-25 clients send no such headers). A missing header
-- therefore never skips a requirement: the body decides instead, and a body
-- the gateway cannot read is refused. When both are present the header
-- decides here; the MCP server checks that header and body agree.
-- The token's scopes are the `scope` claim of the JWT that introspection
-- returned: the authorization server's own answer, over its authenticated
-- channel, so it needs no signature check here.

local cjson = require "cjson.safe"

local _M = {}

-- Bodies up to Kong's default client_body_buffer_size (8k): larger ones are
-- written to a file, which kong.request.get_raw_body refuses to read.
_M.MAX_INSPECTED_BODY = 8192

local MAX_METHOD_LENGTH = 128
local MAX_NAME_LENGTH = 256
-- JSON-RPC method names as MCP uses them: tools/call, notifications/initialized.
local METHOD_PATTERN = "^[%w_./%-]+$"
-- Tool, prompt and resource names: visible ASCII, no spaces.
local NAME_PATTERN = "^[!-~]+$"


local function well_formed(value, pattern, max_length)
  return type(value) == "string" and #value <= max_length and value:match(pattern) ~= nil
end


-- The call a JSON-RPC body makes: { method, name } (either may be nil), or
-- nil and why the body cannot be read.
function _M.call_from_body(body)
  if type(body) ~= "string" or #body > _M.MAX_INSPECTED_BODY then
    return nil, "body too large"
  end
  if body:match("^%s*$") then
    return {}
  end
  if not body:match("^%s*{") then
    return nil, "not a JSON object"
  end
  local message = cjson.decode(body)
  if type(message) ~= "table" then
    return nil, "not JSON"
  end
  local method = message.method
  if method == nil then
    -- A JSON-RPC response or error: it calls nothing.
    return {}
  end
  if not well_formed(method, METHOD_PATTERN, MAX_METHOD_LENGTH) then
    return nil, "bad method"
  end
  local params = message.params
  local name = type(params) == "table" and params.name or nil
  if name ~= nil and not well_formed(name, NAME_PATTERN, MAX_NAME_LENGTH) then
    return nil, "bad name"
  end
  return { method = method, name = name }
end


-- A header's single value, nil when absent, or false when repeated or
-- malformed.
local function header(headers, name, pattern, max_length)
  local value = headers[name]
  if value == nil then
    return nil
  end
  if not well_formed(value, pattern, max_length) then
    return false
  end
  return value
end


local function matching(requirements, method, name)
  local needed = {}
  for _, requirement in ipairs(requirements) do
    local wanted_name = requirement.name
    if requirement.method == method and (type(wanted_name) ~= "string" or wanted_name == name) then
      for _, scope in ipairs(requirement.scopes) do
        needed[#needed + 1] = scope
      end
    end
  end
  return needed
end


local function names_a_tool(requirements, method)
  for _, requirement in ipairs(requirements) do
    if requirement.method == method and type(requirement.name) == "string" then
      return true
    end
  end
  return false
end


-- The scopes this request needs beyond authentication (a list, maybe
-- empty), or nil and "malformed_header" / "unreadable_body".
-- `headers` has lower-case names (kong.request.get_headers); `read_body`
-- returns the raw body or nil and an error.
function _M.needed_scopes(requirements, headers, read_body)
  if type(requirements) ~= "table" or #requirements == 0 then
    return {}
  end
  local method = header(headers, "mcp-method", METHOD_PATTERN, MAX_METHOD_LENGTH)
  local name = header(headers, "mcp-name", NAME_PATTERN, MAX_NAME_LENGTH)
  if method == false or name == false then
    return nil, "malformed_header"
  end

  if method == nil or (name == nil and names_a_tool(requirements, method)) then
    local body = read_body()
    local call = body and _M.call_from_body(body)
    if not call then
      return nil, "unreadable_body"
    end
    method = method or call.method
    if name == nil then
      name = call.name
    end
  end
  if method == nil then
    return {}
  end
  return matching(requirements, method, name)
end


-- The scopes a JWT's payload grants, in one string with single spaces
-- between them ("" when it has none or cannot be read). This decodes
-- the payload (base64url, then JSON), so the plugin calls it once per
-- introspection answer and caches its result with the JWT; no scope holds
-- whitespace, so the string splits back into exactly these scopes.
function _M.granted_scopes(jwt)
  local payload = type(jwt) == "string" and jwt:match("^[^.]+%.([^.]+)%.") or nil
  if not payload then
    return ""
  end
  local standard = payload:gsub("%-", "+"):gsub("_", "/")
  local remainder = #standard % 4
  if remainder == 1 then
    return ""
  end
  if remainder > 0 then
    standard = standard .. string.rep("=", 4 - remainder)
  end
  local claims = cjson.decode(ngx.decode_base64(standard) or "")
  if type(claims) ~= "table" or type(claims.scope) ~= "string" then
    return ""
  end
  local list = {}
  for scope in claims.scope:gmatch("%S+") do
    list[#list + 1] = scope
  end
  return table.concat(list, " ")
end


-- The needed scopes that `granted` (what granted_scopes returned) lacks: a
-- list, maybe empty. Only splits that string: nothing is decoded here.
function _M.missing(needed, granted)
  local held = {}
  for scope in granted:gmatch("%S+") do
    held[scope] = true
  end
  local missing = {}
  for _, scope in ipairs(needed) do
    if not held[scope] then
      missing[#missing + 1] = scope
    end
  end
  return missing
end


-- The challenge's scope: the route's own scope first, then what this
-- request needs, each once.
function _M.challenge_scope(route_scope, needed)
  local seen, list = {}, {}
  local function add(scope)
    if not seen[scope] then
      seen[scope] = true
      list[#list + 1] = scope
    end
  end
  if type(route_scope) == "string" then
    for scope in route_scope:gmatch("%S+") do add(scope) end
  end
  for _, scope in ipairs(needed) do add(scope) end
  return table.concat(list, " ")
end


return _M
