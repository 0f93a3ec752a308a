-- Password logins spread over several users: wrk ... URL -- BEFORE AFTER USERS
-- Each request's body is BEFORE .. n .. AFTER with n cycling over 0..USERS-1, so that
-- no account sees more concurrent attempts than brute-force protection allows.
local before, after, users = "", "", 1
local counter = 0

function init(args)
  before, after, users = args[1], args[2], tonumber(args[3]) or 1
  wrk.method = "POST"
end

function request()
  counter = counter + 1
  return wrk.format("POST", nil, nil, before .. (counter % users) .. after)
end
