-- coord: a member replaces its metadata, only while the stored member is that same join.
--
-- KEYS[1] members, KEYS[2] counter (one {hashtag}: one slot)
-- ARGV[1] encoded member id, ARGV[2] session id, ARGV[3] join token, ARGV[4] metadata, ARGV[5] change channel
--
-- Returns {1, value} written (value: "<session> <token> <version> <metadata>"), {0, ""} if the id is
-- not that join of that session any more.
--
-- Why safe: the write happens only if the stored session and join token are the caller's (atomic),
-- so a stale handle - its session dead and the id joined again - can never overwrite the newer join.
-- The version is a fresh counter value, greater than every earlier one of the group; the change is
-- published as "<prev> <rev> U <id> <value>" (see join.lua).
local m, c = KEYS[1], KEYS[2]
local id, session, joined, metadata, channel = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local held = redis.call('HGET', m, id)
if not held then
  return {0, ''}
end
local holder, token = string.match(held, '^(%S+) (%d+) ')
if holder ~= session or token ~= joined then
  return {0, ''}
end
return {1, write_member(m, c, channel, id, session, token, metadata, 'U')} -- prelude.lua
