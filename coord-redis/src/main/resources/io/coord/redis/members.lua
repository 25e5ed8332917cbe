-- coord: read a group - every member as stored, with the group's revision.
--
-- KEYS[1] members (hash <encoded member id> -> "<sessionId> <joinToken> <version> <metadata>")
-- KEYS[2] counter (string; permanent)                        both share one {hashtag}: one slot
--
-- Returns {revision, id1, value1, id2, value2, ...}; revision 0 for a group never written.
--
-- Why safe: read-only and atomic, so the revision (the counter now) is exactly the last change the
-- answer reflects: a watch applies only the changes published with a greater revision after it.
-- Members of dead sessions are included (no script can see a session key in another Cluster slot):
-- the caller checks their session keys and evicts them with leave.lua.
local m, c = KEYS[1], KEYS[2]
local reply = {tonumber(redis.call('GET', c) or '0')}
for _, x in ipairs(redis.call('HGETALL', m)) do
  reply[#reply + 1] = x
end
return reply
