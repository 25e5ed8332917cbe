-- coord: a leader announces a new value.
--
-- KEYS[1] queue, KEYS[2] counter, KEYS[3] values (one {hashtag}: one slot)
-- ARGV[1] member of the leadership, ARGV[2] new value, ARGV[3] observer channel
--
-- Returns {1, version} if the member leads, {0, 0} otherwise.
--
-- Why safe: the write happens only if ARGV[1] is the head of the queue at this instant (atomic
-- script), so a deposed leader - whose member was released, resigned or evicted - can never
-- overwrite the value of a newer leader. The change is stamped with a fresh counter value so
-- observers can order it against reads and other events.
local q, c, v = KEYS[1], KEYS[2], KEYS[3]
local member, value, obs = ARGV[1], ARGV[2], ARGV[3]
local head = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
if head[1] ~= member then
  return {0, 0}
end
redis.call('HSET', v, member, value)
-- the version: INCR of the counter, floored at the server's clock in microseconds (see enqueue.lua)
local ver = floored_incr(c) -- prelude.lua: exact digits
redis.call('PUBLISH', obs, ver .. ' ' .. head[2] .. ' ' .. member .. ' ' .. value)
return {1, tonumber(ver)}
