-- wrk script: GET /search with queries cycled from queries.txt (one URL-encoded query per line).
-- Optional pacing: WRK_DELAY_MS in the environment makes every connection wait that long
-- before each request, so c connections offer at most c * 1000 / WRK_DELAY_MS requests/s.
-- WRK_DELAY_DIST=exp draws each wait from an exponential distribution with that mean instead, so
-- the connections do not fall into step (a fixed wait makes them send in bursts of c requests
-- every WRK_DELAY_MS + latency; random think times make the arrivals close to a Poisson stream).
-- WRK_UNIQUE=1 appends a running number to every query, so no two requests share a query.
local queries = {}
local counter = 0
local k = os.getenv("WRK_K") or "10"
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")
local exponential = os.getenv("WRK_DELAY_DIST") == "exp"
local unique = os.getenv("WRK_UNIQUE") == "1"

function init(args)
  local path = os.getenv("WRK_QUERIES") or "queries.txt"
  for line in io.lines(path) do
    queries[#queries + 1] = line
  end
  -- Each thread starts at a different place in the list and draws its own waits.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  counter = math.random(#queries)
  if unique then
    -- A fresh start for every run, so a run's numbers are not the previous run's (which the
    -- server would still have cached).
    counter = math.random(1000000)
  end
end

function request()
  counter = counter + 1
  local q = queries[(counter % #queries) + 1]
  if unique then
    -- A number no other request carries: every query misses the server's query cache, so a
    -- model with a text backbone encodes each one (the cold cost, not the repeated-query one).
    q = q .. "+" .. counter
  end
  return wrk.format("GET", "/search?q=" .. q .. "&k=" .. k)
end

if delay_ms > 0 then
  function delay()
    if exponential then
      return math.floor(-delay_ms * math.log(1 - math.random()) + 0.5)
    end
    return delay_ms
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
