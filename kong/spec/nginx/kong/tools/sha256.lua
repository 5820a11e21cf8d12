-- Kong 3.9.1's kong/tools/sha256.lua API (sha256_bin, sha256_hex) for
-- Debian's nginx, which lacks lua-resty-openssl and lua-resty-string: the
-- same OpenSSL digest, called through LuaJIT's FFI. nginx links libcrypto,
-- so its symbols are already loaded. Offers only what surface.lua lists.

local ffi = require "ffi"
local strict = require("support.strict").for_provider("adapter", "nginx adapter")

ffi.cdef [[
  typedef struct evp_md_st EVP_MD;
  typedef struct engine_st ENGINE;
  const EVP_MD *EVP_sha256(void);
  int EVP_Digest(const void *data, size_t count, unsigned char *md,
                 unsigned int *size, const EVP_MD *type, ENGINE *impl);
]]

local DIGEST_LENGTH = 32
local digest = ffi.new("unsigned char[?]", DIGEST_LENGTH)
local digest_length = ffi.new("unsigned int[1]")


-- Like Kong's: the raw 32 bytes, or nil and an error.
local function sha256_bin(value)
  if ffi.C.EVP_Digest(value, #value, digest, digest_length, ffi.C.EVP_sha256(), nil) ~= 1 then
    return nil, "EVP_Digest() failed"
  end
  return ffi.string(digest, digest_length[0])
end


local function sha256_hex(value)
  local bin, err = sha256_bin(value)
  if not bin then
    return nil, err
  end
  return (bin:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end


return strict("kong.tools.sha256", { sha256_bin = sha256_bin, sha256_hex = sha256_hex })
