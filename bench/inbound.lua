-- wrk script: POST pre-signed inbound webhooks, each with its own MessageSid.
-- Usage: wrk ... -s bench/inbound.lua URL REQUESTS_FILE THREADS
-- Each line of REQUESTS_FILE is "signature<TAB>form body"; thread n takes
-- lines n, n + THREADS, ... and starts over (a repeat delivery) if it runs out.

local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  local line_number = 0
  prepared = {}
  for line in io.lines(path) do
    if line_number % nthreads == id then
      local signature, body = line:match("^(%S+)\t(.*)$")
      prepared[#prepared + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body)
    end
    line_number = line_number + 1
  end
  position = 0
  repeats = 0
end

function request()
  position = position + 1
  if position > #prepared then
    position = 1
    repeats = repeats + 1
  end
  return prepared[position]
end

function done(summary, latency, requests)
  local wrapped = 0
  for _, thread in ipairs(threads) do
    wrapped = wrapped + thread:get("repeats")
  end
  io.write(string.format("Request file wrapped: %d\n", wrapped))
end
