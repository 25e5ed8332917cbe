-- coord: a granted semaphore entry claims the lowest free slot, with a new fencing token.
--
-- KEYS[1] queue, KEYS[2] counter, KEYS[3] slots (hash member -> "<slot> <token>"; one {hashtag}: one slot)
-- ARGV[1] member (exact string), ARGV[2] the semaphore's number of permits
--
-- Returns {slot, token}, or {-1, 0} if the member is not queued (its session died and it was evicted).
--
-- Why safe:
--  * Only granted entries claim, and a granted entry stands among the first <permits> of the queue
--    (nothing is ever inserted ahead of an entry: tickets only grow), so every claimed slot belongs
--    to one of those entries: reading their claims gives every taken slot, and fewer than <permits>
--    others are granted, so a free slot exists. The script is atomic: two claims never take one slot.
--  * The token is the per-name counter's clock-floored increment (prelude.lua), taken now: greater
--    than every earlier ticket and claim of the name, so permit tokens strictly increase in grant order.
--  * Idempotent: a replayed claim finds its own field and answers the same slot and token.
--  * remove.lua deletes the member's field together with its entry, in one script.
local q, c, s = KEYS[1], KEYS[2], KEYS[3]
local member, permits = ARGV[1], tonumber(ARGV[2])
if not redis.call('ZSCORE', q, member) then
  return {-1, 0}
end
local mine = redis.call('HGET', s, member)
if mine then
  local slot, token = string.match(mine, '^(%d+) (%d+)$')
  return {tonumber(slot), tonumber(token)}
end
local taken = {}
for _, m in ipairs(redis.call('ZRANGE', q, 0, permits - 1)) do
  local claim = redis.call('HGET', s, m)
  if claim then
    taken[tonumber(string.match(claim, '^(%d+) '))] = true
  end
end
local slot = 0
while taken[slot] do
  slot = slot + 1
end
if slot >= permits then
  return redis.error_reply('coord: no free slot of ' .. permits .. ' in ' .. q)
end
local t = floored_incr(c) -- prelude.lua: exact digits
redis.call('HSET', s, member, string.format('%d', slot) .. ' ' .. t)
return {slot, tonumber(t)}
