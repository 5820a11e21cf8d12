local typedefs = require "kong.db.schema.typedefs"

local MAX_INTEGER = 2147483646

return {
  name = "phantom-token",
  fields = {
    { consumer = typedefs.no_consumer },
    { protocols = typedefs.protocols_http },
    { config = {
        type = "record",
        fields = {
          { introspection_endpoint = typedefs.url { required = true } },
          { client_id = { type = "string", required = true } },
          { client_secret = {
              type = "string",
              required = true,
              encrypted = true,
              referenceable = true,
          } },
          -- 0 turns caching off.
          { token_cache_seconds = {
              type = "integer",
              required = true,
              default = 0,
              between = { 0, MAX_INTEGER },
          } },
          -- Both only appear in the WWW-Authenticate challenge of a 401.
          { scope = { type = "string", required = false } },
          { resource_metadata = typedefs.url { required = false } },
          { verify_ssl = { type = "boolean", required = true, default = true } },
          { timeout_ms = {
              type = "integer",
              required = true,
              default = 5000,
              between = { 1, MAX_INTEGER },
          } },
        },
    } },
  },
}
