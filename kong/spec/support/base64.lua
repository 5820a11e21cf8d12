-- Standard base64 with padding, standing in for ngx.encode_base64.

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

return function(bytes)
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
