-- The part of Kong's schema validation that the plugin's config relies on:
-- field types, required, default, between and custom validators.

local cjson = require "cjson"

local M = {}

local TYPE_CHECKS = {
  string = function(v) return type(v) == "string" end,
  integer = function(v) return type(v) == "number" and v == math.floor(v) end,
  boolean = function(v) return type(v) == "boolean" end,
}

function M.config_fields(schema)
  for _, item in ipairs(schema.fields) do
    if item.config then
      return item.config.fields
    end
  end
end

local function check(field, value)
  if not TYPE_CHECKS[field.type](value) then
    return "expected " .. field.type
  end
  if field.between and (value < field.between[1] or value > field.between[2]) then
    return "value should be between " .. field.between[1] .. " and " .. field.between[2]
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
