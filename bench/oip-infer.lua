-- wrk script: POST one OIP v2 infer body per request, each with a new
-- x-user-id, so a sticky-routing proxy hashes a fresh key every time (as it
-- would with real users) instead of reusing one cached bucket.
-- Usage: wrk -s oip-infer.lua URL -- '<json body>' ['<authorization header>']
-- done() prints one line "BENCH_RESULT {json}" that the benchmark parses.

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

local counter = 0
local prefix = "u"
function init(args)
  prefix = "u" .. tostring(tid or 0) .. "-"
  wrk.method = "POST"
  wrk.body = args[1]
  wrk.headers["Content-Type"] = "application/json"
  if args[2] ~= nil and args[2] ~= "" then
    wrk.headers["Authorization"] = args[2]
  end
end

function request()
  counter = counter + 1
  wrk.headers["x-user-id"] = prefix .. counter
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
