-- The part of lua-resty-http 0.17.2 (bundled with Kong 3.9.1) that the
-- phantom-token plugin calls: new(), client:set_timeout(ms) and
-- client:request_uri(uri, params), written over ngx.socket.tcp cosockets
-- for Debian's nginx, which does not package lua-resty-http. HTTP/1.1 with a
-- Content-Length, chunked or read-until-close body; https URLs get a TLS
-- handshake that verifies the certificate unless params.ssl_verify is false.
-- Answers like the library: a response table { status, reason, headers, body },
-- or nil and an error message ("timeout", "connection refused", ...).

local strict = require("support.strict").for_provider("adapter", "nginx adapter")

local _M = {}

-- Each client's cosocket, kept out of the client table so that the client
-- offers exactly the listed methods.
local sockets = setmetatable({}, { __mode = "k" })

local DEFAULT_PORTS = { http = 80, https = 443 }


local function parse_uri(uri)
  local scheme, authority, rest = uri:match("^(https?)://([^/?#]+)(.*)$")
  if not scheme then
    return nil, "bad uri: " .. uri
  end
  local host, port = authority:match("^([^:@]+):(%d+)$")
  if not host then
    host, port = authority:match("^([^:@]+)$"), DEFAULT_PORTS[scheme]
  end
  if not host then
    return nil, "bad uri: " .. uri
  end
  local target = rest:match("^[^#]*")
  if target == "" or target:sub(1, 1) == "?" then
    target = "/" .. target
  end
  return { scheme = scheme, host = host, port = tonumber(port), target = target,
    authority = authority }
end


local function request_head(method, parsed, headers, body)
  local lines = { method .. " " .. parsed.target .. " HTTP/1.1" }
  local has = {}
  for name, value in pairs(headers or {}) do
    has[name:lower()] = true
    lines[#lines + 1] = name .. ": " .. tostring(value)
  end
  if not has.host then
    lines[#lines + 1] = "Host: " .. parsed.authority
  end
  if body and not has["content-length"] then
    lines[#lines + 1] = "Content-Length: " .. #body
  end
  return table.concat(lines, "\r\n") .. "\r\n\r\n"
end


-- Header names keep their case; a repeated header becomes a list, as in lua-resty-http.
local function read_headers(sock)
  local headers = {}
  while true do
    local line, err = sock:receive("*l")
    if not line then
      return nil, err
    end
    if line == "" then
      return headers
    end
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then
      local existing = headers[name]
      if existing == nil then
        headers[name] = value
      elseif type(existing) == "table" then
        existing[#existing + 1] = value
      else
        headers[name] = { existing, value }
      end
    end
  end
end


local function header(headers, wanted)
  for name, value in pairs(headers) do
    if name:lower() == wanted then
      return type(value) == "table" and value[#value] or value
    end
  end
end


local function read_chunked(sock)
  local parts = {}
  while true do
    local size_line, err = sock:receive("*l")
    if not size_line then
      return nil, err
    end
    local size = tonumber(size_line:match("^%s*(%x+)"), 16)
    if not size then
      return nil, "bad chunk size: " .. size_line
    end
    if size == 0 then
      -- Trailer fields, then the empty line that ends the message.
      repeat
        local line, trailer_err = sock:receive("*l")
        if not line then
          return nil, trailer_err
        end
      until line == ""
      return table.concat(parts)
    end
    local data, data_err = sock:receive(size)
    if not data then
      return nil, data_err
    end
    parts[#parts + 1] = data
    local crlf, crlf_err = sock:receive("*l")
    if crlf ~= "" then
      return nil, crlf_err or "missing CRLF after chunk"
    end
  end
end


local function read_body(sock, method, status, headers)
  if method == "HEAD" or status == 204 or status == 304 or status < 200 then
    return "", true
  end
  local encoding = header(headers, "transfer-encoding")
  if encoding and encoding:lower():find("chunked", 1, true) then
    local body, err = read_chunked(sock)
    return body, body ~= nil, err
  end
  local length = header(headers, "content-length")
  if length then
    local bytes = tonumber(length)
    if not bytes or bytes < 0 then
      return nil, false, "bad content-length: " .. length
    end
    if bytes == 0 then
      return "", true
    end
    local body, err = sock:receive(bytes)
    return body, body ~= nil, err
  end
  -- No framing: the body ends when the server closes the connection.
  local body, err = sock:receive("*a")
  return body, false, err
end


function _M.new()
  local sock, err = ngx.socket.tcp()
  if not sock then
    return nil, err
  end
  local client = strict("resty.http", {
    set_timeout = _M.set_timeout,
    request_uri = _M.request_uri,
  })
  sockets[client] = sock
  return client
end


function _M.set_timeout(self, timeout)
  return sockets[self]:settimeout(timeout)
end


function _M.request_uri(self, uri, params)
  params = params or {}
  local sock = sockets[self]
  local parsed, parse_err = parse_uri(uri)
  if not parsed then
    return nil, parse_err
  end

  local ok, err = sock:connect(parsed.host, parsed.port)
  if not ok then
    return nil, err
  end
  if parsed.scheme == "https" then
    local session, tls_err = sock:sslhandshake(nil, parsed.host, params.ssl_verify ~= false)
    if not session then
      sock:close()
      return nil, tls_err
    end
  end

  local method = params.method or "GET"
  local sent, send_err = sock:send(request_head(method, parsed, params.headers, params.body) .. (params.body or ""))
  if not sent then
    sock:close()
    return nil, send_err
  end

  local status_line, status_err = sock:receive("*l")
  if not status_line then
    sock:close()
    return nil, status_err
  end
  local version, status, reason = status_line:match("^HTTP/(%d%.%d) (%d%d%d) ?(.*)$")
  if not status then
    sock:close()
    return nil, "bad status line: " .. status_line
  end
  status = tonumber(status)

  local headers, headers_err = read_headers(sock)
  if not headers then
    sock:close()
    return nil, headers_err
  end
  local body, reusable, body_err = read_body(sock, method, status, headers)
  if not body then
    sock:close()
    return nil, body_err
  end

  local connection = (header(headers, "connection") or ""):lower()
  if reusable and version == "1.1" and not connection:find("close", 1, true) then
    sock:setkeepalive()
  else
    sock:close()
  end
  return { status = status, reason = reason, headers = headers, body = body }
end


return strict("resty.http", { new = _M.new, set_timeout = _M.set_timeout, request_uri = _M.request_uri })
