-- The fake PDK offers exactly what support/surface.lua lists, each with the
-- Kong 3.9.1 / OpenResty source it comes from, and fails loudly on anything else.

local pdk = require "support.pdk_mock"
local surface = require "support.surface"
local strict_tables = require "support.strict"


describe("fake PDK surface", function()
  it("lists each name once, with who offers it and the real source file", function()
    local seen = {}
    for _, entry in ipairs(surface) do
      assert.is_nil(seen[entry.name], "listed twice: " .. tostring(entry.name))
      seen[entry.name] = true
      assert.truthy(entry.name:match("^[%w_.]+$"), "bad name " .. tostring(entry.name))
      assert.truthy(#entry.by > 0, entry.name .. ": offered by nobody")
      for _, by in ipairs(entry.by) do
        assert.truthy(by == "mock" or by == "adapter", entry.name .. ": unknown provider " .. tostring(by))
      end
      -- Every source names a Kong, lua-nginx-module, lua-resty-* file.
      assert.truthy(entry.source:match("^Kong 3%.9%.1 kong/[%w_/]+%.lua")
        or entry.source:match("^lua%-resty%-[%w]+ [%d.]+ lib/resty/[%w_/]+%.lua")
        or entry.source:match("^lua%-nginx%-module [%d.]+ src/[%w_]+%.c"),
        entry.name .. ": source is not a Kong or OpenResty file: " .. tostring(entry.source))
    end
  end)

  it("offers exactly the listed names", function()
    pdk.install()
    assert.same(strict_tables.listed("mock"), pdk.offered_names())
  end)

  it("has no SHA-256 under ngx, which neither OpenResty nor Kong provides", function()
    pdk.install()
    assert.has_error(function() return ngx.sha256_bin end,
      "pdk mock: ngx.sha256_bin is not offered (support/surface.lua lists what Kong 3.9.1 and OpenResty have)")
  end)

  it("names any field it does not offer", function()
    pdk.install()
    local reads = {
      { function() return kong.request.get_body end, "kong.request.get_body" },
      { function() return kong.service.request.set_headers end, "kong.service.request.set_headers" },
      { function() return kong.response.set_header end, "kong.response.set_header" },
      { function() return kong.log.crit end, "kong.log.crit" },
      { function() return kong.ctx end, "kong.ctx" },
      { function() return ngx.var end, "ngx.var" },
      { function() return ngx.shared["phantom-token"].incr end, "ngx.shared.DICT.incr" },
      { function() return require("resty.http").new().request end, "resty.http.request" },
      { function() return require("kong.tools.sha256").sha256_base64 end, "kong.tools.sha256.sha256_base64" },
      { function() return require("kong.db.schema.typedefs").host end, "kong.db.schema.typedefs.host" },
    }
    for _, read in ipairs(reads) do
      local ok, err = pcall(read[1])
      assert.is_false(ok, read[2] .. " was offered")
      assert.truthy(tostring(err):find(read[2] .. " is not offered", 1, true), tostring(err))
    end
    assert.has_error(function() kong.vault = {} end)
  end)

  it("keeps an undeclared shared dict nil, as OpenResty does", function()
    pdk.install({ shared_dict = false })
    assert.is_nil(ngx.shared["phantom-token"])
  end)

  -- Also the code paths no test reaches: every kong.* and ngx.* the plugin's
  -- source names must be a listed name.
  it("is all the plugin's source names from kong and ngx", function()
    local listed = {}
    for _, entry in ipairs(surface) do listed[entry.name] = true end
    local plugin_dir = debug.getinfo(1, "S").source:match("^@(.*)spec/[^/]*$") .. "plugins/phantom-token/"
    for _, file in ipairs({ "access.lua", "handler.lua", "scope_requirements.lua" }) do
      local handle = assert(io.open(plugin_dir .. file, "rb"))
      local code = handle:read("*a")
      handle:close()
      -- Comments and string literals (module names in require) are not uses.
      code = code:gsub("%-%-[^\n]*", ""):gsub('"[^"\n]*"', '""'):gsub("'[^'\n]*'", "''")
      local used = 0
      for _, pattern in ipairs({ "%f[%w_]kong%.[%w_.]+", "%f[%w_]ngx%.[%w_.]+" }) do
        for name in code:gmatch(pattern) do
          used = used + 1
          assert.truthy(listed[name], file .. " uses " .. name .. ", which support/surface.lua does not list")
        end
      end
      if file == "access.lua" then assert.truthy(used > 0, "no kong.* or ngx.* use found in " .. file) end
    end
  end)
end)
