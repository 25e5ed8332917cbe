-- coord: remove a member (leave, the session's end, or eviction of a dead session's member).
--
-- KEYS[1] members, KEYS[2] counter (one {hashtag}: one slot)
-- ARGV[1] encoded member id, ARGV[2] session id, ARGV[3] join token ("" = whichever join of that session)
-- ARGV[4] change channel
--
-- Returns {1, prev, rev} if removed (the counter before and after), {0, 0, 0} if the id is not that
-- session's (join) any more.
--
-- Why safe:
--  * Guarded by the session id (and the join token when given): it never removes another session's
--    member, nor a later join of the id. Removing twice is a no-op (idempotent, replay-safe).
--  * An eviction is only requested after the member's session key was seen gone; session keys are
--    never re-created, so that verdict cannot become stale.
--  * When the last member goes, HDEL deletes the hash: only the counter stays.
--  * Published as "<prev> <rev> L <id>" (see join.lua); the reply carries the same numbers, so the
--    evicting watch applies its own eviction even if the message is lost.
local m, c = KEYS[1], KEYS[2]
local id, session, joined, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local held = redis.call('HGET', m, id)
if not held then
  return {0, 0, 0}
end
local holder, token = string.match(held, '^(%S+) (%d+) ')
if holder ~= session or (joined ~= '' and token ~= joined) then
  return {0, 0, 0}
end
local prev = redis.call('GET', c) or '0'
redis.call('HDEL', m, id)
local n = floored_incr(c) -- prelude.lua: exact digits
redis.call('PUBLISH', channel, prev .. ' ' .. n .. ' L ' .. id)
return {1, tonumber(prev), tonumber(n)}
