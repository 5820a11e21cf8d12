-- The part of Kong's schema validation that the plugin's config relies on:
-- field types (arrays and records included), required, default, between,
-- len_min, len_max, match, not_match and custom validators.

local cjson = require "cjson"

local M = {}

local TYPE_CHECKS = {
  string = function(v) return type(v) == "string" end,
  integer = function(v) return type(v) == "number" and v == math.floor(v) end,
  boolean = function(v) return type(v) == "boolean" end,
  array = function(v) return type(v) == "table" and (next(v) == nil or v[1] ~= nil) end,
  record = function(v) return type(v) == "table" end,
}

function M.config_fields(schema)
  for _, item in ipairs(schema.fields) do
    if item.config then
      return item.config.fields
    end
  end
end

local check

-- A record's fields: nil, or an error message naming the first bad field.
local function check_record(fields, value)
  local known = {}
  for _, item in ipairs(fields) do
    local name, field = next(item)
    known[name] = true
    local member = value[name]
    if member == nil or member == cjson.null then
      if field.required then return name .. ": required field missing" end
    else
      local err = check(field, member)
      if err then return name .. ": " .. err end
    end
  end
  for name in pairs(value) do
    if not known[name] then return tostring(name) .. ": unknown field" end
  end
end

check = function(field, value)
  if not TYPE_CHECKS[field.type](value) then
    return "expected " .. field.type
  end
  if field.between and (value < field.between[1] or value > field.between[2]) then
    return "value should be between " .. field.between[1] .. " and " .. field.between[2]
  end
  if field.len_min and #value < field.len_min then
    return "length must be at least " .. field.len_min
  end
  if field.len_max and #value > field.len_max then
    return "length must be at most " .. field.len_max
  end
  if field.match and not value:match(field.match) then
    return "invalid value: " .. value
  end
  if field.not_match and value:match(field.not_match) then
    return "invalid value: " .. value
  end
  if field.type == "array" then
    for index, element in ipairs(value) do
      local err = check(field.elements, element)
      if err then return "[" .. index .. "] " .. err end
    end
  end
  if field.type == "record" then
    local err = check_record(field.fields, value)
    if err then return err end
  end
  if field.custom_validator then
    local ok, err = field.custom_validator(value)
    if not ok then
      return err
    end
  end
end

-- Returns the config with defaults applied, or nil and errors by field name.
function M.validate_config(schema, input)
  local conf, errors, known = {}, {}, {}
  for _, item in ipairs(M.config_fields(schema)) do
    local name, field = next(item)
    known[name] = true
    local value = input[name]
    if value == nil or value == cjson.null then
      value = field.default
    end
    if value == nil then
      errors[name] = field.required and "required field missing" or nil
    else
      errors[name] = check(field, value)
      conf[name] = value
    end
  end
  for name in pairs(input) do
    if not known[name] then
      errors[name] = "unknown field"
    end
  end
  if next(errors) then
    return nil, errors
  end
  return conf
end

return M
