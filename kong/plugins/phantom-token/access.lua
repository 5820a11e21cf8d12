-- Phantom token pattern: the client presents an opaque access token, the
-- gateway introspects it with `Accept: application/jwt` and forwards the JWT
-- that the authorization server returns. Opaque or invalid tokens never reach
-- the upstream service.

local cjson = require "cjson.safe"
local http = require "resty.http"
-- Kong 3.x's own digest helper (kong/tools/sha256.lua, over lua-resty-openssl):
-- neither lua-nginx-module nor Kong adds a SHA-256 function to `ngx`.
local sha256_hex = require("kong.tools.sha256").sha256_hex
local requirements = require "kong.plugins.phantom-token.scope_requirements"

local _M = {}

local CACHE_DICT = "phantom-token"
local CACHE_PREFIX = "phantom:"

local INVALID_TOKEN_MESSAGE = "Missing, invalid or expired access token"
local INTROSPECTION_FAILED_MESSAGE = "The authorization server returned an unexpected introspection response"
local UNAVAILABLE_MESSAGE = "The authorization server could not be reached"
local INTERNAL_ERROR_MESSAGE = "The gateway could not process the access token"
local INSUFFICIENT_SCOPE_MESSAGE = "The access token lacks a scope this request needs"
local MALFORMED_HEADER_MESSAGE = "The Mcp-Method or Mcp-Name header is malformed"
local UNREADABLE_BODY_MESSAGE = "The gateway could not read the MCP method from the request: send the Mcp-Method and Mcp-Name headers, or a JSON-RPC request body of at most 8192 bytes"

-- RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
local B64TOKEN = "^[A-Za-z0-9%-._~+/]+=*$"

-- A signed JWT in compact serialization: three non-empty base64url parts.
local COMPACT_JWS = "^[A-Za-z0-9_%-]+%.[A-Za-z0-9_%-]+%.[A-Za-z0-9_%-]+$"


-- Kong hands unset optional fields over as ngx.null rather than nil.
local function is_set(value)
  return type(value) == "string" and value ~= ""
end


-- application/x-www-form-urlencoded as the WHATWG URL standard serializes it
-- (and so Node's URLSearchParams): keep ALPHA DIGIT * - . _, space becomes +,
-- every other byte is percent-encoded in upper case.
function _M.form_urlencode(value)
  local encoded = value:gsub("[^A-Za-z0-9*%-._ ]", function(c)
    return string.format("%%%02X", c:byte())
  end)
  return (encoded:gsub(" ", "+"))
end


-- RFC 6749 section 2.3.1: both parts are form-encoded before base64.
function _M.basic_credentials(client_id, client_secret)
  local pair = _M.form_urlencode(client_id) .. ":" .. _M.form_urlencode(client_secret)
  return "Basic " .. ngx.encode_base64(pair)
end


-- Returns the token of an `Authorization: Bearer <b64token>` header, or nil.
function _M.bearer_token(header)
  if type(header) ~= "string" then
    return nil
  end
  local scheme, token = header:match("^(%S+) +(.+)$")
  if not scheme or scheme:lower() ~= "bearer" or not token:match(B64TOKEN) then
    return nil
  end
  return token
end


-- The cache never holds a raw token, only its SHA-256. Returns nil and an
-- error message if OpenSSL cannot compute the digest.
function _M.cache_key(token)
  local digest, err = sha256_hex(token)
  if not digest then
    return nil, err
  end
  return CACHE_PREFIX .. digest
end


local function quoted(value)
  return '"' .. value:gsub('[\\"]', "\\%0") .. '"'
end


-- RFC 6750 section 3 / RFC 9728 section 5.1, attributes in the order every
-- component of the deployment uses: error, error_description,
-- resource_metadata, scope.
local function bearer_challenge(error_code, description, resource_metadata, scope)
  local header = "Bearer error=" .. quoted(error_code) .. ", error_description=" .. quoted(description)
  if is_set(resource_metadata) then
    header = header .. ", resource_metadata=" .. quoted(resource_metadata)
  end
  if is_set(scope) then
    header = header .. ", scope=" .. quoted(scope)
  end
  return header
end


function _M.challenge(conf)
  return bearer_challenge("invalid_token", INVALID_TOKEN_MESSAGE, conf.resource_metadata, conf.scope)
end


-- The 403 for a token without a scope the request needs: the challenge names
-- the route's scope and the needed ones, so a client asks for all of them.
function _M.insufficient_scope_challenge(conf, needed)
  return bearer_challenge("insufficient_scope", INSUFFICIENT_SCOPE_MESSAGE, conf.resource_metadata,
    requirements.challenge_scope(conf.scope, needed))
end


function _M.max_age(cache_control)
  if type(cache_control) ~= "string" then
    return nil
  end
  local seconds = ("," .. cache_control:lower()):match('[,%s]max%-age="?(%d+)')
  return tonumber(seconds)
end


-- Cache for token_cache_seconds, but never longer than the authorization
-- server allows, since max-age is the token's remaining lifetime.
function _M.cache_ttl(conf, cache_control)
  local ttl = conf.token_cache_seconds
  local max_age = _M.max_age(cache_control)
  if max_age and max_age < ttl then
    ttl = max_age
  end
  return ttl
end


local function header_value(headers, name)
  local value = headers[name]
  if value == nil then
    local wanted = name:lower()
    for key, candidate in pairs(headers) do
      if type(key) == "string" and key:lower() == wanted then
        value = candidate
        break
      end
    end
  end
  if type(value) == "table" then
    value = table.concat(value, ", ")
  end
  return value
end


local function respond(status, code, message, headers)
  headers = headers or {}
  headers["Content-Type"] = "application/json"
  return kong.response.exit(status, cjson.encode({ code = code, message = message }), headers)
end


local function unauthorized(conf)
  return respond(401, "invalid_token", INVALID_TOKEN_MESSAGE, {
    ["WWW-Authenticate"] = _M.challenge(conf),
  })
end


-- Answers the request (and returns true) when it is malformed or its token
-- lacks a scope that config.scope_requirements asks of this MCP call.
-- `granted` is the token's scopes as requirements.granted_scopes gave them
-- when its JWT was introspected.
local function refused_by_requirements(conf, granted, token_ref)
  local list = conf.scope_requirements
  if type(list) ~= "table" or #list == 0 then
    return false
  end
  local needed, problem = requirements.needed_scopes(list, kong.request.get_headers(), kong.request.get_raw_body)
  if problem then
    kong.log.info("MCP call not identified: ", problem)
    respond(400, "invalid_request", problem == "malformed_header" and MALFORMED_HEADER_MESSAGE or UNREADABLE_BODY_MESSAGE)
    return true
  end
  local missing = requirements.missing(needed, granted)
  if #missing == 0 then
    return false
  end
  kong.log.info("token ", token_ref, " lacks scope ", table.concat(missing, " "))
  respond(403, "insufficient_scope", INSUFFICIENT_SCOPE_MESSAGE, {
    ["WWW-Authenticate"] = _M.insufficient_scope_challenge(conf, needed),
  })
  return true
end


-- Interprets an introspection response: returns the JWT, or nil and
-- "inactive" (answer 401) or "failed" (answer 502).
function _M.read_introspection(status, body)
  if status == 204 then
    return nil, "inactive"
  end
  if status ~= 200 then
    return nil, "failed"
  end
  body = (body or ""):match("^%s*(.-)%s*$")
  if body:match(COMPACT_JWS) then
    return body
  end
  if body == "" then
    return nil, "inactive"
  end
  local json = cjson.decode(body)
  if type(json) == "table" and json.active == false then
    return nil, "inactive"
  end
  -- Typically a JSON answer because the server ignored Accept: application/jwt.
  return nil, "failed"
end


-- Returns { jwt, cache_control }, or nil and "inactive", "failed" or "unavailable".
local function introspect(conf, token, token_ref)
  local httpc = http.new()
  httpc:set_timeout(conf.timeout_ms)
  local res, err = httpc:request_uri(conf.introspection_endpoint, {
    method = "POST",
    body = "token=" .. _M.form_urlencode(token),
    headers = {
      ["Authorization"] = _M.basic_credentials(conf.client_id, conf.client_secret),
      ["Accept"] = "application/jwt",
      ["Content-Type"] = "application/x-www-form-urlencoded",
    },
    ssl_verify = conf.verify_ssl,
  })
  if not res then
    kong.log.err("introspection request failed for token ", token_ref, ": ", err)
    return nil, "unavailable"
  end

  local jwt, failure = _M.read_introspection(res.status, res.body)
  if failure == "failed" then
    kong.log.err("unexpected introspection response for token ", token_ref, ": status ", res.status)
  elseif failure == "inactive" then
    kong.log.info("introspection says token ", token_ref, " is inactive")
  end
  if not jwt then
    return nil, failure
  end
  return { jwt = jwt, cache_control = header_value(res.headers or {}, "Cache-Control") }
end


-- A cache entry: the JWT, a newline, then the scopes its payload grants
-- (requirements.granted_scopes), so a request served from the cache decodes
-- nothing. Neither part can hold a newline: a compact JWS is base64url and
-- dots, and the scopes are whitespace-free words joined by spaces.
function _M.cache_entry(jwt, granted)
  return jwt .. "\n" .. granted
end


-- The JWT and its scopes from a cache entry, or nil for a value in any other
-- shape (an entry of an older version of this plugin, which held only the
-- JWT: shared dicts outlive a reload), which then counts as not cached.
function _M.read_cache_entry(value)
  if type(value) ~= "string" then
    return nil
  end
  return value:match("^([^\n]+)\n([^\n]*)$")
end


local function cache_dict(conf)
  if conf.token_cache_seconds <= 0 then
    return nil
  end
  local dict = ngx.shared[CACHE_DICT]
  if not dict then
    kong.log.warn("lua_shared_dict '", CACHE_DICT, "' is not declared, so tokens are not cached")
  end
  return dict
end


-- The access phase: answers the request itself or sets the upstream JWT.
function _M.run(conf)
  local token = _M.bearer_token(kong.request.get_header("Authorization"))
  if not token then
    kong.log.debug("request has no usable bearer token")
    return unauthorized(conf)
  end

  local key, hash_err = _M.cache_key(token)
  if not key then
    kong.log.err("could not hash the access token: ", hash_err)
    return respond(500, "internal_error", INTERNAL_ERROR_MESSAGE)
  end
  local token_ref = key:sub(#CACHE_PREFIX + 1, #CACHE_PREFIX + 12)
  local cache = cache_dict(conf)
  local jwt, granted
  if cache then
    jwt, granted = _M.read_cache_entry(cache:get(key))
  end

  if jwt then
    kong.log.debug("using cached JWT for token ", token_ref)
  else
    local result, failure = introspect(conf, token, token_ref)
    if failure == "inactive" then
      return unauthorized(conf)
    elseif failure == "unavailable" then
      return respond(503, "authorization_server_unavailable", UNAVAILABLE_MESSAGE)
    elseif failure then
      return respond(502, "introspection_failed", INTROSPECTION_FAILED_MESSAGE)
    end

    jwt = result.jwt
    -- Read once per introspection answer, whether or not this route has
    -- requirements: the cache is shared by every route, and one that has
    -- them may be served this entry.
    granted = requirements.granted_scopes(jwt)
    local ttl = _M.cache_ttl(conf, result.cache_control)
    if cache and ttl > 0 then
      local ok, err = cache:set(key, _M.cache_entry(jwt, granted), ttl)
      if not ok then
        kong.log.warn("could not cache the JWT for token ", token_ref, ": ", err)
      end
    end
  end

  if refused_by_requirements(conf, granted, token_ref) then
    return
  end
  kong.service.request.set_header("Authorization", "Bearer " .. jwt)
end


return _M
