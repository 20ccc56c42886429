-- wrk script for the posting scenario of bench/run: every request posts a new ~300-character
-- comment to /api/v1/articles/$BENCH_POST_SLUG/comments as a signed-in reader.
--
-- Environment (set by bench/run):
--   BENCH_LUA_DIR      directory holding report.lua
--   BENCH_POST_SLUG    the article to post to
--   BENCH_READERS      "session_token|csrf_token" pairs separated by spaces; requests take
--                      them in turn, so the comments come from several accounts
--
-- Every response is checked: anything but 201 is counted (with the first one's status and
-- body kept) and reported in the BENCH_RESULT line.

dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local slug = os.getenv("BENCH_POST_SLUG") or "bench-post"
local path = "/api/v1/articles/" .. slug .. "/comments"

local readers = {}
for pair in string.gmatch(os.getenv("BENCH_READERS") or "", "%S+") do
   local session, csrf = string.match(pair, "^([^|]+)|(.+)$")
   table.insert(readers, { cookie = "civil_session=" .. session, csrf = csrf })
end
if #readers == 0 then
   error("BENCH_READERS is empty: bench/run sets it")
end

local openings = {
   "Thanks for writing this up.", "I read this twice before commenting.", "Interesting piece.",
   "This matches what we saw in our neighbourhood last spring.", "A useful summary, mostly.",
   "I am not sure the numbers tell the whole story here.", "Good reporting, as usual.",
}
local middles = {
   "The part about the bus timetable deserves a follow-up, because the evening service has been cut twice",
   "Several people at the market on Saturday were talking about exactly this and nobody had the full picture",
   "It would help to see how the budget compares with the figures the council published three years ago",
   "My daughter volunteers at the library and says the new opening hours have made a real difference",
   "The consultation closed before most residents even heard about it, which seems to happen every time",
   "Small shops on the high street have been asking for better lighting and safer crossings for years",
}
local closings = {
   "I hope the paper keeps asking questions.", "Please keep covering this story.",
   "Curious what others here think.", "Looking forward to the next instalment.",
   "Either way, thanks for the clear explanation.", "We will see what happens at the next meeting.",
}

local counter = 0

-- Runs in the main Lua state once per wrk thread, before the threads start; thread_id
-- becomes a global in that thread's own Lua state.
local threads = {}
function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_id", #threads)
end

function init(args)
   created = 0
   failed = 0
   first_failure = ""
   counter = 0
end

function request()
   counter = counter + 1
   local n = counter * 7 + (thread_id or 0)
   local reader = readers[(n % #readers) + 1]
   local body = string.format(
      "%s %s, and %s. %s %s (comment %d from wrk thread %d)",
      openings[(n % #openings) + 1],
      middles[(n % #middles) + 1],
      string.lower(string.sub(middles[((n + 3) % #middles) + 1], 1, 1)) .. string.sub(middles[((n + 3) % #middles) + 1], 2),
      closings[(n % #closings) + 1],
      openings[((n + 2) % #openings) + 1],
      counter, thread_id or 0)
   local json = '{"body":"' .. body .. '","parent_id":null}'
   return wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["X-CSRF-Token"] = reader.csrf,
      ["Cookie"] = reader.cookie,
   }, json)
end

function response(status, headers, body)
   if status == 201 then
      created = created + 1
   else
      failed = failed + 1
      if first_failure == "" then
         first_failure = tostring(status) .. " " .. string.sub(body or "", 1, 400)
      end
   end
end

done = function(summary, latency, requests)
   local ok, bad, first = 0, 0, ""
   for _, t in ipairs(threads) do
      ok = ok + (t:get("created") or 0)
      bad = bad + (t:get("failed") or 0)
      local f = t:get("first_failure") or ""
      if first == "" then first = f end
   end
   -- JSON-escape the failure text well enough for a status line and an error body.
   first = string.gsub(first, '[%c"\\]', function(c)
      if c == '"' then return '\\"' elseif c == "\\" then return "\\\\" else return " " end
   end)
   bench_report(summary, latency, {
      string.format('"responses_201":%d', ok),
      string.format('"responses_other":%d', bad),
      '"first_failure":"' .. first .. '"',
   })
end
