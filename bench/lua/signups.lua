-- Sign-ups with a new email each: wrk ... URL -- BEFORE AFTER
-- Each request's body is BEFORE .. <thread tag>.<n> .. AFTER, so no two requests sign up the
-- same address.
local before, after = "", ""
local counter = 0
local tag = ""

function init(args)
  before, after = args[1], args[2]
  tag = tostring(math.random(1, 1000000000)) .. "." .. tostring(os.time())
  wrk.method = "POST"
end

function request()
  counter = counter + 1
  return wrk.format("POST", nil, nil, before .. tag .. "." .. counter .. after)
end
