-- Standard base64 with padding, standing in for ngx.encode_base64 and
-- ngx.decode_base64 (which answers nil for input that is not base64).

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local VALUES = {}
for index = 1, #ALPHABET do
  VALUES[ALPHABET:sub(index, index)] = index - 1
end

local M = {}

function M.encode(bytes)
  local out = {}
  for i = 1, #bytes, 3 do
    local b1, b2, b3 = bytes:byte(i, i + 2)
    local n = b1 * 65536 + (b2 or 0) * 256 + (b3 or 0)
    local chars = {}
    for shift = 3, 0, -1 do
      local index = math.floor(n / 64 ^ shift) % 64
      chars[#chars + 1] = ALPHABET:sub(index + 1, index + 1)
    end
    if not b2 then
      chars[3], chars[4] = "=", "="
    elseif not b3 then
      chars[4] = "="
    end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

function M.decode(text)
  if type(text) ~= "string" or #text % 4 ~= 0 then
    return nil
  end
  local out = {}
  for i = 1, #text, 4 do
    local quad = text:sub(i, i + 3)
    local pad = #(quad:match("=*$"))
    if pad > 2 or (pad > 0 and i + 3 < #text) or quad:sub(1, 4 - pad):find("=", 1, true) then
      return nil
    end
    local n = 0
    for j = 1, 4 do
      local c = quad:sub(j, j)
      local value = c == "=" and 0 or VALUES[c]
      if value == nil then
        return nil
      end
      n = n * 64 + value
    end
    local bytes = string.char(math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
    out[#out + 1] = bytes:sub(1, 3 - pad)
  end
  return table.concat(out)
end

return M
