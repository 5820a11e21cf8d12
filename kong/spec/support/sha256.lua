-- SHA-256 (FIPS 180-4) in plain arithmetic: the fake PDK's stand-in for the
-- OpenSSL digest behind Kong's kong.tools.sha256.
-- No bit library is needed, so it runs unchanged on LuaJIT and Lua 5.1-5.4.

local floor = math.floor
local TWO32 = 2 ^ 32

-- 4-bit lookup tables keep the arithmetic bitwise operations reasonably fast.
local AND, XOR = {}, {}
for x = 0, 15 do
  AND[x], XOR[x] = {}, {}
  for y = 0, 15 do
    local a, b, both, either, place = x, y, 0, 0, 1
    for _ = 1, 4 do
      local i, j = a % 2, b % 2
      if i == 1 and j == 1 then both = both + place end
      if i ~= j then either = either + place end
      a, b, place = (a - i) / 2, (b - j) / 2, place * 2
    end
    AND[x][y], XOR[x][y] = both, either
  end
end

local function by_nibbles(tbl, a, b)
  local result, place = 0, 1
  for _ = 1, 8 do
    local x, y = a % 16, b % 16
    result = result + tbl[x][y] * place
    a, b, place = (a - x) / 16, (b - y) / 16, place * 16
  end
  return result
end

local function band(a, b) return by_nibbles(AND, a, b) end
local function bxor(a, b, c)
  local result = by_nibbles(XOR, a, b)
  return c and by_nibbles(XOR, result, c) or result
end
local function bnot(a) return TWO32 - 1 - a end
local function rshift(a, n) return floor(a / 2 ^ n) end
local function rrotate(a, n)
  local low = a % 2 ^ n
  return (a - low) / 2 ^ n + low * 2 ^ (32 - n)
end

-- The constants are the first 32 fractional bits of square and cube roots
-- of the first primes; computing them avoids a table of 72 magic numbers.
local function primes(count)
  local list, candidate = {}, 2
  while #list < count do
    local is_prime = true
    for _, p in ipairs(list) do
      if candidate % p == 0 then is_prime = false break end
    end
    if is_prime then list[#list + 1] = candidate end
    candidate = candidate + 1
  end
  return list
end

local function fraction_bits(x)
  return floor((x - floor(x)) * TWO32)
end

local H0, K = {}, {}
for i, p in ipairs(primes(64)) do
  if i <= 8 then H0[i] = fraction_bits(math.sqrt(p)) end
  K[i] = fraction_bits(p ^ (1 / 3))
end

local function big_endian(value, bytes)
  local out = {}
  for i = bytes, 1, -1 do
    out[i] = string.char(value % 256)
    value = floor(value / 256)
  end
  return table.concat(out)
end

return function(message)
  local length = #message
  message = message .. "\128" .. string.rep("\0", (55 - length) % 64) .. big_endian(length * 8, 8)

  local h = {}
  for i = 1, 8 do
    h[i] = H0[i]
  end
  local w = {}
  for chunk = 1, #message, 64 do
    for i = 0, 15 do
      local b1, b2, b3, b4 = message:byte(chunk + i * 4, chunk + i * 4 + 3)
      w[i] = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
    end
    for i = 16, 63 do
      local s0 = bxor(rrotate(w[i - 15], 7), rrotate(w[i - 15], 18), rshift(w[i - 15], 3))
      local s1 = bxor(rrotate(w[i - 2], 17), rrotate(w[i - 2], 19), rshift(w[i - 2], 10))
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) % TWO32
    end

    local a, b, c, d, e, f, g, hh = h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
    for i = 0, 63 do
      local s1 = bxor(rrotate(e, 6), rrotate(e, 11), rrotate(e, 25))
      local choice = bxor(band(e, f), band(bnot(e), g))
      local t1 = (hh + s1 + choice + K[i + 1] + w[i]) % TWO32
      local s0 = bxor(rrotate(a, 2), rrotate(a, 13), rrotate(a, 22))
      local majority = bxor(band(a, b), band(a, c), band(b, c))
      local t2 = (s0 + majority) % TWO32
      hh, g, f, e, d, c, b, a = g, f, e, (d + t1) % TWO32, c, b, a, (t1 + t2) % TWO32
    end
    local state = { a, b, c, d, e, f, g, hh }
    for i = 1, 8 do
      h[i] = (h[i] + state[i]) % TWO32
    end
  end

  local digest = {}
  for i = 1, 8 do
    digest[i] = big_endian(h[i], 4)
  end
  return table.concat(digest)
end
