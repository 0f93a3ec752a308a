-- Authorization-code exchanges, each with a fresh code: wrk ... URL -- CODES_FILE BODY_PREFIX
-- Codes are single use, so each request takes the next line of CODES_FILE (made beforehand
-- by bench/code_exchange.py); the body is BODY_PREFIX followed by the code.
local codes, prefix = {}, ""
local index = 0

function init(args)
  for line in io.lines(args[1]) do
    codes[#codes + 1] = line
  end
  prefix = args[2]
  wrk.method = "POST"
end

function request()
  index = index + 1
  local code = codes[((index - 1) % #codes) + 1]
  return wrk.format("POST", nil, nil, prefix .. code)
end
