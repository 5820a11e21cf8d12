local access = require "kong.plugins.phantom-token.access"

local PhantomTokenHandler = {
  -- An authentication plugin: after cors (2000) so that preflights are
  -- answered without a token, before rate limiting and transformers.
  PRIORITY = 1000,
  VERSION = "1.1.0",
}


function PhantomTokenHandler:access(conf)
  return access.run(conf)
end


return PhantomTokenHandler
