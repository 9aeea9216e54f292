-- wrk script for bench/issue_http.py: POST /api/v1/sites/tegal/tickets as the demo kiosk.
--
--   wrk -t1 -c32 -d20s --latency -s bench/wrk_issue.lua http://127.0.0.1:PORT -- MODE RUN OUT
--
-- MODE "plain" or "idem" (a unique Idempotency-Key on every request), RUN a name used in the keys. The summary
-- is written as JSON to the file named by the environment variable BENCH_WRK_OUT (done() runs in wrk's main
-- Lua state, which never sees init()'s arguments): status counts, latency percentiles (microseconds), and every ticket
-- id/label answered with 201, so the caller can check them against the database.

local services = {"pkb", "npwp", "spt", "jkn_daftar", "tabungan", "pbb", "pos_kirim", "pln_sambung",
                  "pdam_sambung", "nib", "info_tanah", "bpjstk_daftar"}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  mode = args[1] or "plain"
  run = args[2] or "run"
  counter = 0
  statuses = {}
  ids = {}
  labels = {}
  ticket_count = 0
end

function request()
  counter = counter + 1
  local service = services[(counter % #services) + 1]
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer d_kiosk_demo_tegal",
  }
  if mode == "idem" then
    headers["Idempotency-Key"] = string.format("%s-t%d-%d", run, tid, counter)
  end
  return wrk.format("POST", "/api/v1/sites/tegal/tickets", headers, '{"service":"' .. service .. '"}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    local id = string.match(body, '"id":"(%x+)"')
    local label = string.match(body, '"label":"([^"]+)"')
    ticket_count = ticket_count + 1
    ids[ticket_count] = id or "?"
    labels[ticket_count] = label or "?"
  end
end

local function json_list(t)
  local parts = {}
  for i = 1, #t do parts[i] = '"' .. t[i] .. '"' end
  return "[" .. table.concat(parts, ",") .. "]"
end

function done(summary, latency, requests)
  local counts = {}
  local all_ids = {}
  local all_labels = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
    local tids = thread:get("ids")
    local tlabels = thread:get("labels")
    for i = 1, #tids do
      all_ids[#all_ids + 1] = tids[i]
      all_labels[#all_labels + 1] = tlabels[i]
    end
  end
  local status_parts = {}
  for status, n in pairs(counts) do
    status_parts[#status_parts + 1] = string.format('"%d":%d', status, n)
  end
  local pct = {}
  for _, p in ipairs({50, 75, 90, 95, 99, 99.9}) do
    pct[#pct + 1] = string.format('"p%s":%d', tostring(p), latency:percentile(p))
  end
  local e = summary.errors
  local f = assert(io.open(os.getenv("BENCH_WRK_OUT"), "w"))
  f:write(string.format(
    '{"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"status":{%s},"latency_us":{%s,"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f},' ..
    '"ids":%s,"labels":%s}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(status_parts, ","), table.concat(pct, ","),
    latency.min, latency.max, latency.mean, latency.stdev,
    json_list(all_ids), json_list(all_labels)))
  f:close()
end
