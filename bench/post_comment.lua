-- wrk script for the posting scenario of bench/run: every request posts a new ~300-character
-- comment to /api/v1/articles/$BENCH_POST_SLUG/comments as a signed-in reader.
--
-- Environment (set by bench/run):
--   BENCH_LUA_DIR      directory holding report.lua
--   BENCH_POST_SLUG    the article to post to
--   BENCH_READERS      "session_token|csrf_token" pairs separated by spaces; requests take
--                      them in turn, so the comments come from several accounts
--
-- Every response is checked: a 201 whose comment is published counts as created; a 201 whose
-- comment was held, and any other status, are counted (the first one's status and body kept)
-- and reported in the BENCH_RESULT line.

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

-- Every body is new prose (~300 characters): the moderation policy holds a reader's text when it
-- is 90% the same as another of theirs from the last day, so fixed or templated bodies with a
-- counter would be held. No emphasis inside sentences, no links, no quotes or backslashes (the
-- body goes into JSON as it is).
local openers = {
   "I think", "Honestly,", "In my experience,", "As someone who grew up two streets away,", "Frankly,",
   "To be fair,", "From what I have seen,", "Speaking as a parent,", "For what it is worth,", "Oddly enough,",
   "As a retired teacher,", "Having lived here for twenty years,", "On balance,", "Reading this again,",
}
local subjects = {
   "the council's new parking scheme", "the plan for the old railway yard", "this article",
   "the library's shorter opening hours", "the bus company", "the proposed cycle lane on Mill Road",
   "the school's new timetable", "the market traders", "the harbour redevelopment", "the local paper",
   "the summer festival", "the recycling collection changes", "the planning committee", "the new clinic",
}
local verbs = {
   "deserves more attention than", "seems to overlook", "reminds me of", "is a good answer to",
   "has very little to do with", "could learn a lot from", "will probably make things worse for",
   "finally takes seriously", "quietly ignores", "is long overdue compared with", "borrows heavily from",
}
local objects = {
   "the people who actually live here", "the families on the east side", "what happened in 2019",
   "the small businesses along the high street", "anyone who commutes by train", "the volunteers at the food bank",
   "the complaints raised at last month's meeting", "the figures in the annual report", "the older residents",
   "the students who rent in the centre", "the fishermen on the quay", "the allotment holders",
}
local closers = {
   "I hope the paper follows this up.", "Happy to be proven wrong, though.", "We will see after the vote.",
   "Thanks for the careful reporting.", "Has anyone asked the council directly?", "It is worth a second look.",
   "That said, the details matter more than the headline.", "Let us see what the next meeting brings.",
   "Either way, it is good that someone is asking.", "I would love to hear other views on this.",
}

local function pick(list)
   return list[math.random(#list)]
end

local function comment_text()
   local parts, length = {}, 0
   while length < 210 do
      local s = pick(openers) .. " " .. pick(subjects) .. " " .. pick(verbs) .. " " .. pick(objects) .. "."
      s = string.upper(string.sub(s, 1, 1)) .. string.sub(s, 2)
      table.insert(parts, s)
      length = length + #s + 1
   end
   table.insert(parts, pick(closers))
   local sep = (math.random() < 0.3) and "\\n\\n" or " "
   return table.concat(parts, " ", 1, #parts - 1) .. sep .. parts[#parts]
end

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
   held = 0
   failed = 0
   first_failure = ""
   counter = 0
   math.randomseed(os.time() * 100 + (thread_id or 0))
end

function request()
   counter = counter + 1
   local reader = readers[((counter * 7 + (thread_id or 0)) % #readers) + 1]
   local json = '{"body":"' .. comment_text() .. '","parent_id":null}'
   return wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["X-CSRF-Token"] = reader.csrf,
      ["Cookie"] = reader.cookie,
   }, json)
end

function response(status, headers, body)
   if status == 201 and string.find(body or "", '"status":"published"', 1, true) then
      created = created + 1
   elseif status == 201 then
      -- Accepted but not published: held by the moderation policy.
      held = held + 1
      if first_failure == "" then
         first_failure = "201 but not published: " .. string.sub(body or "", 1, 400)
      end
   else
      failed = failed + 1
      if first_failure == "" then
         first_failure = tostring(status) .. " " .. string.sub(body or "", 1, 400)
      end
   end
end

done = function(summary, latency, requests)
   local ok, held_total, bad, first = 0, 0, 0, ""
   for _, t in ipairs(threads) do
      ok = ok + (t:get("created") or 0)
      held_total = held_total + (t:get("held") or 0)
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
      string.format('"responses_held":%d', held_total),
      string.format('"responses_other":%d', bad),
      '"first_failure":"' .. first .. '"',
   })
end
