-- Loads kong/phantom-token-vectors.json, the behaviour shared with the Node gateway.

local cjson = require "cjson"

local M = {}

local here = debug.getinfo(1, "S").source:match("^@(.*)support/[^/]*$") or "./"
M.path = here .. "../phantom-token-vectors.json"

function M.load()
  local file = assert(io.open(M.path, "rb"))
  local text = file:read("*a")
  file:close()
  return cjson.decode(text)
end

function M.is_null(value)
  return value == nil or value == cjson.null
end

-- A null override stays cjson.null, which is how Kong passes unset fields.
function M.config_for(document, vector)
  local conf = {}
  for key, value in pairs(document.config) do conf[key] = value end
  for key, value in pairs(vector.config_overrides or {}) do conf[key] = value end
  return conf
end

return M
