-- wrk script for scenario 1: GET /open311/v2/requests/{id}.json with ids drawn at random
-- from a list spread over the whole database (bench/run writes it with the sqlite3 CLI), so
-- reads hit cold and warm pages alike instead of one cached row.
-- Environment: BENCH_REFS = file with one public reference per line.

local refs = {}
local path = os.getenv("BENCH_REFS")
if path == nil then
   error("BENCH_REFS is not set")
end
for line in io.lines(path) do
   if #line > 0 then
      refs[#refs + 1] = line
   end
end
if #refs == 0 then
   error("no reference in " .. path)
end

-- Each wrk thread runs its own Lua state: give each a distinct seed so that the threads
-- do not walk the same sequence of ids.
local next_id = 0
function setup(thread)
   next_id = next_id + 1
   thread:set("thread_id", next_id)
end

function init(args)
   math.randomseed(os.time() * 1000 + (thread_id or 0))
end

function request()
   local ref = refs[math.random(#refs)]
   return wrk.format("GET", "/open311/v2/requests/" .. ref .. ".json")
end
