-- wrk script for the benchmark: the request comes from the environment
-- (BENCH_METHOD, BENCH_BODY, BENCH_CONTENT_TYPE; headers such as
-- Authorization are given with wrk's -H), and done() prints one JSON line the
-- benchmark parses. With BENCH_EXPECT_TOOL_RESULT set, every response body is
-- checked for a JSON-RPC result that is not a tool error: a 200 carrying
-- "isError":true is a failed tool call, not a success.

wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/json"
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

if os.getenv("BENCH_EXPECT_TOOL_RESULT") then
  failed_results = 0
  function response(status, headers, text)
    if status == 200 and (not string.find(text, '"result"', 1, true) or string.find(text, '"isError":true', 1, true)) then
      failed_results = failed_results + 1
    end
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failed_results") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"failedResults":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout, failed))
end
