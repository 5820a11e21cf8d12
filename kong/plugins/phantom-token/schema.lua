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
          -- Both only appear in WWW-Authenticate challenges (401 and 403).
          { scope = { type = "string", required = false } },
          { resource_metadata = typedefs.url { required = false } },
          -- Scopes an MCP call needs on top of a valid token: a request
          -- whose Mcp-Method (or JSON-RPC method) is `method`, and whose
          -- Mcp-Name (or params.name) is `name` when one is given, needs
          -- every scope in `scopes`; without them it gets a 403
          -- insufficient_scope challenge. Empty: no call needs more.
          { scope_requirements = {
              type = "array",
              required = true,
              default = {},
              elements = {
                type = "record",
                fields = {
                  { method = { type = "string", required = true, len_max = 128, match = "^[%w_./%-]+$" } },
                  { name = { type = "string", required = false, len_max = 256, match = "^[!-~]+$" } },
                  -- RFC 6749 section 3.3 scope-token: visible ASCII except " and \.
                  { scopes = {
                      type = "array",
                      required = true,
                      len_min = 1,
                      elements = { type = "string", match = "^[!-~]+$", not_match = '["\\]' },
                  } },
                },
              },
          } },
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
