-- coord: read the head of a queue (the leader of an election, the holder of a lock).
--
-- KEYS[1] queue, KEYS[2] counter, KEYS[3] values (one {hashtag}: one slot)
--
-- Returns {version, ticket, member, value}; ticket 0 and member "" when the queue is empty.
--
-- Why safe: read-only and atomic, so the version (the counter now) covers exactly the changes
-- reflected in the answer; an observer can discard any event with a version not greater than it.
local q, c, v = KEYS[1], KEYS[2], KEYS[3]
local ver = tonumber(redis.call('GET', c) or '0')
local head = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
if not head[1] then
  return {ver, 0, '', ''}
end
return {ver, tonumber(head[2]), head[1], redis.call('HGET', v, head[1]) or ''}
