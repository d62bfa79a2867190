-- POSTs pre-signed Twilio webhook requests, each with its own MessageSid, read from the
-- file named by WEBHOOK_REQUESTS (one "signature<TAB>form body" per line). Each wrk thread
-- takes every Nth line so no MessageSid is sent twice.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  lines = {}
  local count = 0
  local total = tonumber(os.getenv("WEBHOOK_THREADS") or "2")
  for line in io.lines(os.getenv("WEBHOOK_REQUESTS")) do
    count = count + 1
    if count % total == tid - 1 then
      table.insert(lines, line)
    end
  end
  index = 0
end

function request()
  index = index + 1
  local line = lines[((index - 1) % #lines) + 1]
  local tab = string.find(line, "\t")
  local headers = {}
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["X-Twilio-Signature"] = string.sub(line, 1, tab - 1)
  return wrk.format("POST", nil, headers, string.sub(line, tab + 1))
end
