-- wrk script: POST one binary-tensor OIP request (JSON header + raw bytes) read
-- from a file, with Inference-Header-Content-Length, to the path given.
-- Usage: wrk -s oip-binary.lua URL -- <body file> <json header length>
-- done() prints one line "BENCH_RESULT {json}" that the benchmark parses.

function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*all")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/octet-stream"
  wrk.headers["Inference-Header-Content-Length"] = args[2]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
