-- Every request gets a unique query parameter, so no page cache can answer it.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&miss=" .. tid .. "-" .. counter)
end
