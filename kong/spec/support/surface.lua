-- The one list of what the plugin may find in its runtime: every function,
-- table or value that the fake PDK (support/pdk_mock.lua) or the nginx
-- adapter (nginx/kong_adapter.lua and its modules) offers in place of Kong
-- 3.9.1 / OpenResty, with the file of the real runtime that defines it.
--
-- `by` says who offers the name: "mock" (busted), "adapter" (real nginx;
-- names under `ngx` come from nginx itself there), or both. Nothing else may
-- be offered: pdk_mock.lua builds its tables from this list and raises an
-- error naming any other field that is read, surface_spec checks that the
-- mock's tables hold exactly these names, and the nginx tests compare the
-- adapter's tables with the same list.
--
-- Sources: Kong 3.9.1 = github.com/Kong/kong at tag 3.9.1 (its rockspec pins
-- lua-resty-http 0.17.2); lua-nginx-module 0.10.23 and lua-resty-core 0.1.25
-- are Debian 12's, the versions OpenResty 1.21.4 (Kong 3.9's base) ships.

local BOTH = { "mock", "adapter" }
local MOCK = { "mock" }

return {
  -- Kong PDK, installed as the `kong` global by Kong (kong/pdk/init.lua).
  { name = "kong.request.get_header", by = BOTH,
    source = "Kong 3.9.1 kong/pdk/request.lua: function _REQUEST.get_header(name)" },
  { name = "kong.request.get_headers", by = BOTH,
    source = "Kong 3.9.1 kong/pdk/request.lua: function _REQUEST.get_headers(max_headers)" },
  { name = "kong.request.get_raw_body", by = BOTH,
    source = "Kong 3.9.1 kong/pdk/request.lua: function _REQUEST.get_raw_body()" },
  { name = "kong.service.request.set_header", by = BOTH,
    source = "Kong 3.9.1 kong/pdk/service/request.lua: request.set_header = function(header, value)" },
  { name = "kong.response.exit", by = BOTH,
    source = "Kong 3.9.1 kong/pdk/response.lua: function _RESPONSE.exit(status, body, headers)" },
  { name = "kong.log.debug", by = BOTH, source = "Kong 3.9.1 kong/pdk/log.lua: _LEVELS.debug" },
  { name = "kong.log.info", by = BOTH, source = "Kong 3.9.1 kong/pdk/log.lua: _LEVELS.info" },
  { name = "kong.log.notice", by = BOTH, source = "Kong 3.9.1 kong/pdk/log.lua: _LEVELS.notice" },
  { name = "kong.log.warn", by = BOTH, source = "Kong 3.9.1 kong/pdk/log.lua: _LEVELS.warn" },
  { name = "kong.log.err", by = BOTH, source = "Kong 3.9.1 kong/pdk/log.lua: _LEVELS.err" },

  -- Modules Kong's image bundles and Debian's nginx lacks.
  { name = "kong.tools.sha256.sha256_bin", by = BOTH,
    source = "Kong 3.9.1 kong/tools/sha256.lua: _M.sha256_bin (over lua-resty-openssl's digest)" },
  { name = "kong.tools.sha256.sha256_hex", by = BOTH,
    source = "Kong 3.9.1 kong/tools/sha256.lua: _M.sha256_hex" },
  { name = "resty.http.new", by = BOTH,
    source = "lua-resty-http 0.17.2 lib/resty/http.lua: function _M.new(_)" },
  { name = "resty.http.set_timeout", by = BOTH,
    source = "lua-resty-http 0.17.2 lib/resty/http.lua: function _M.set_timeout(self, timeout)" },
  { name = "resty.http.request_uri", by = BOTH,
    source = "lua-resty-http 0.17.2 lib/resty/http.lua: function _M.request_uri(self, uri, params)" },
  -- Only the schema loads these (Kong's own loader runs it, never nginx).
  { name = "kong.db.schema.typedefs.no_consumer", by = MOCK,
    source = "Kong 3.9.1 kong/db/schema/typedefs.lua: typedefs.no_consumer = Schema.define {...}" },
  { name = "kong.db.schema.typedefs.protocols_http", by = MOCK,
    source = "Kong 3.9.1 kong/db/schema/typedefs.lua: typedefs.protocols_http = Schema.define {...}" },
  { name = "kong.db.schema.typedefs.url", by = MOCK,
    source = "Kong 3.9.1 kong/db/schema/typedefs.lua: typedefs.url = Schema.define {...}" },

  -- OpenResty's `ngx` API: faked by the mock, the real one under nginx.
  { name = "ngx.encode_base64", by = MOCK,
    source = "lua-resty-core 0.1.25 lib/resty/core/base64.lua: ngx.encode_base64" },
  { name = "ngx.decode_base64", by = MOCK,
    source = "lua-resty-core 0.1.25 lib/resty/core/base64.lua: ngx.decode_base64" },
  { name = "ngx.shared", by = MOCK,
    source = "lua-nginx-module 0.10.23 src/ngx_http_lua_shdict.c: ngx.shared (one entry per lua_shared_dict)" },
  { name = "ngx.shared.DICT.get", by = MOCK,
    source = "lua-resty-core 0.1.25 lib/resty/core/shdict.lua: shdict_get" },
  { name = "ngx.shared.DICT.set", by = MOCK,
    source = "lua-resty-core 0.1.25 lib/resty/core/shdict.lua: shdict_set" },
}
