-- One fixed request, repeated: wrk ... URL -- METHOD [BODY]
-- Method and body come as script arguments (args[1], args[2]) so that
-- client secrets never land in a file; headers come from wrk's -H flags.
function init(args)
  wrk.method = args[1] or "GET"
  if args[2] ~= nil and args[2] ~= "" then
    wrk.body = args[2]
  end
end
