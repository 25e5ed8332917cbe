-- coord prelude: prepended to every script of the backend (RedisScript), so the one increment of a
-- per-name counter is written once.
--
-- floored_incr(c): INCR of the counter c, floored at the server's clock in microseconds since the
-- epoch (TIME): max(INCR c, now); when now wins, c is SET to it. Returns the exact decimal string
-- (string.format('%.0f'): Lua's own '..' keeps only 14 significant digits). Why this floor and what
-- it does not promise: see RedisKeys and enqueue.lua.
local function floored_incr(c)
  local now = redis.call('TIME')
  local floor = tonumber(now[1]) * 1000000 + tonumber(now[2])
  local n = redis.call('INCR', c)
  if n < floor then
    n = floor
    redis.call('SET', c, string.format('%.0f', n))
  end
  return string.format('%.0f', n)
end

