-- wrk script for scenario 3: durable POST /open311/v2/requests.json, the same valid
-- urlencoded body on every request (no Idempotency-Key, so each POST creates a request).
-- bench/run builds the body from the service definition and counts non-2xx answers from
-- wrk's own "Non-2xx or 3xx responses" line: a Lua response() callback would make wrk copy
-- every answer into Lua and steal CPU from the server it shares the machine with.
-- Environment: BENCH_BODY = file holding the urlencoded body.

local path = os.getenv("BENCH_BODY")
if path == nil then
   error("BENCH_BODY is not set")
end
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
