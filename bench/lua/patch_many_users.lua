-- Metadata PATCHes spread over many users: wrk ... BASE_URL -- USERS
-- Request n patches user auth0|bench<n mod USERS, 6 digits> with one changing key of ten,
-- so every PATCH changes the stored profile and no two in flight often meet on one user.
local users = 500
local counter = 0

function init(args)
  users = tonumber(args[1]) or 500
  counter = math.random(0, users - 1)
end

function request()
  counter = counter + 1
  local path = string.format("/api/v2/users/auth0%%7Cbench%06d", counter % users)
  local body = string.format('{"user_metadata":{"k%d":"v%d"}}', counter % 10, counter)
  return wrk.format("PATCH", path, nil, body)
end
