-- Tables that hold only the names support/surface.lua lists for one
-- provider ("mock" or "adapter"), and raise an error naming any other field
-- that is read or added. Both the fake PDK and the nginx adapter build their
-- `kong` tables and modules with it, so neither can offer more than the list.

local surface = require "support.surface"

local M = {}

-- Returns strict(path, fields) for `provider`, and the table of paths it made.
function M.for_provider(provider, owner)
  local offered = {}
  for _, entry in ipairs(surface) do
    for _, by in ipairs(entry.by) do
      if by == provider then offered[entry.name] = true end
    end
  end

  -- Tables built by strict(), with the dotted name they stand for.
  local paths = setmetatable({}, { __mode = "k" })

  local function strict(path, fields)
    for key, value in pairs(fields) do
      local name = path .. "." .. key
      if not offered[name] and paths[value] == nil then
        error(owner .. ": " .. name .. " is not listed for the " .. provider .. " in support/surface.lua", 2)
      end
    end
    paths[fields] = path
    return setmetatable(fields, {
      __index = function(_, key)
        error(owner .. ": " .. path .. "." .. tostring(key)
          .. " is not offered (support/surface.lua lists what Kong 3.9.1 and OpenResty have)", 2)
      end,
      __newindex = function(_, key)
        error(owner .. ": " .. path .. "." .. tostring(key) .. " cannot be added", 2)
      end,
    })
  end

  return strict, paths
end


-- Every name reachable from `value`, descending into strict tables only.
function M.names(value, path, paths, names)
  if paths[value] == nil then
    names[#names + 1] = path
    return names
  end
  for key, field in next, value do -- next, unlike pairs, ignores the erroring __index
    M.names(field, path .. "." .. key, paths, names)
  end
  return names
end


-- Sorted, without repeats.
function M.sorted(names)
  table.sort(names)
  local unique = {}
  for _, name in ipairs(names) do
    if unique[#unique] ~= name then unique[#unique + 1] = name end
  end
  return unique
end


function M.listed(provider)
  local names = {}
  for _, entry in ipairs(surface) do
    for _, by in ipairs(entry.by) do
      if by == provider then names[#names + 1] = entry.name end
    end
  end
  return M.sorted(names)
end


return M
