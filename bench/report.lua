-- wrk reporting hook shared by every scenario of bench/run.
-- It prints one machine-readable line after wrk's own summary, with exact numbers
-- (latencies in microseconds) so bench/run does not have to parse rounded text.
-- Defining only done() keeps wrk on its fast path: no Lua runs per request.

function bench_report(summary, latency, extra)
   local e = summary.errors
   local fields = {
      string.format('"requests":%d', summary.requests),
      string.format('"duration_us":%d', summary.duration),
      string.format('"bytes":%d', summary.bytes),
      string.format('"errors_connect":%d', e.connect),
      string.format('"errors_read":%d', e.read),
      string.format('"errors_write":%d', e.write),
      string.format('"errors_status":%d', e.status),
      string.format('"errors_timeout":%d', e.timeout),
      string.format('"latency_mean_us":%.1f', latency.mean),
      string.format('"latency_max_us":%d', latency.max),
      string.format('"p50_us":%d', latency:percentile(50)),
      string.format('"p90_us":%d', latency:percentile(90)),
      string.format('"p99_us":%d', latency:percentile(99)),
   }
   for _, f in ipairs(extra or {}) do
      table.insert(fields, f)
   end
   io.write("BENCH_RESULT {" .. table.concat(fields, ",") .. "}\n")
end

done = function(summary, latency, requests)
   bench_report(summary, latency)
end
