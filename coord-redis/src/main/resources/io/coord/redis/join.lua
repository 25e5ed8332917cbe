-- coord: a session joins a group under a member id (or finds its own earlier join of it).
--
-- KEYS[1] members, KEYS[2] counter (one {hashtag}: one slot)
-- ARGV[1] encoded member id, ARGV[2] session id, ARGV[3] metadata, ARGV[4] change channel
-- ARGV[5] the join token of a holder whose session key the caller found gone ("" = none)
--
-- Returns {1, value} joined; {2, value} already this session's with this metadata (a retried join
-- whose first try was applied: nothing written); {3, value} already this session's with other metadata,
-- now written (same join token, a new version, published as an update); {0, value} held by another
-- session (value: the stored "<session> <token> <version> <metadata>").
--
-- Why safe:
--  * Atomic: the id is taken only if no other session holds it, so one live session holds an id at a
--    time. A holder is replaced only when the caller names its exact join token (ARGV[5]) after it
--    saw that holder's session key gone - dead for good, since session keys are never re-created -
--    and the id is still that join: a newer holder is never overwritten.
--  * The join token and version are the group counter's clock-floored increment (prelude.lua): every
--    later join of the id gets a greater token, and the counter stays (permanent) when the group is empty.
--  * The change is published with the counter before and after it ("<prev> <rev> J <id> <value>"), so
--    a watch applies changes in counter order and notices one it missed (its prev is not the last rev).
--  * A retried join answers the metadata of the call that retries it, never an earlier call's: the
--    session's own join of the id is kept (its token) and its metadata written again if it differs, as
--    update.lua writes it.
local m, c = KEYS[1], KEYS[2]
local id, session, metadata, channel, dead = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local held = redis.call('HGET', m, id)
if held then
  local holder, token, stored = string.match(held, '^(%S+) (%d+) %d+ (.*)$')
  if holder == session then
    if stored == metadata then
      return {2, held}
    end
    return {3, write_member(m, c, channel, id, session, token, metadata, 'U')} -- prelude.lua
  end
  if token ~= dead then
    return {0, held}
  end
end
return {1, write_member(m, c, channel, id, session, nil, metadata, 'J')} -- prelude.lua
