-- Metadata PATCHes that vary per request: wrk ... URL -- KEYS
-- Each request sets {"user_metadata":{"k<n mod KEYS>":"v<n>"}}, so every
-- PATCH really changes the stored profile, while the bounded key set keeps
-- the metadata far below the 16 KB limit however long the run lasts.
local keys = 50
local counter = 0

function init(args)
  keys = tonumber(args[1]) or 50
  wrk.method = "PATCH"
end

function request()
  counter = counter + 1
  local body = string.format('{"user_metadata":{"k%d":"v%d"}}', counter % keys, counter)
  return wrk.format("PATCH", nil, nil, body)
end
