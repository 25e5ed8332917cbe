-- coord: read the head of a queue (the leader of an election, the holder of a lock).
--
-- KEYS[1] queue, KEYS[2] counter, KEYS[3] values (one {hashtag}: one slot)
-- ARGV[1] suspect: a head the caller (an election observer) already saw alive a whole poll ago ("" = none)
-- ARGV[2] inbox channel prefix: if the suspect is still the head, its coordinator is asked
--         "?<suspect> <queue key>" whether it still owns it (see enqueue.lua)
--
-- Returns {version, ticket, member, value}; ticket 0 and member "" when the queue is empty.
--
-- Why safe: read-only and atomic, so the version (the counter now) covers exactly the changes
-- reflected in the answer; an observer can discard any event with a version not greater than it.
-- The ownership question changes no data; only the suspect's own coordinator acts on it, by
-- removing the entry (exact member) if it no longer owns it: a resignation lost by a failover.
local q, c, v = KEYS[1], KEYS[2], KEYS[3]
local ver = tonumber(redis.call('GET', c) or '0')
local head = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
if not head[1] then
  return {ver, 0, '', ''}
end
local suspect, inbox = ARGV[1] or '', ARGV[2] or ''
if suspect ~= '' and inbox ~= '' and head[1] == suspect then
  local coordinator = string.match(suspect, '^[^:]*:([^:]*):')
  if coordinator then
    redis.call('PUBLISH', inbox .. coordinator, '?' .. suspect .. ' ' .. q)
  end
end
return {ver, tonumber(head[2]), head[1], redis.call('HGET', v, head[1]) or ''}
