-- coord prelude: prepended to every script of the backend (RedisScript), so the one increment of a
-- per-name counter, and the one write of a group member, are written once.
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


-- write_member(m, c, channel, id, session, token, metadata, change): stores member id in hash m as
-- "<session> <token> <version> <metadata>" with a fresh version from counter c (a new join passes token
-- nil: its token is that same value) and publishes "<prev> <rev> <change> <id> <value>" on channel, so a
-- watch applies changes in counter order and notices one it missed. Returns the value stored.
local function write_member(m, c, channel, id, session, token, metadata, change)
  local prev = redis.call('GET', c) or '0'
  local n = floored_incr(c)
  local value = session .. ' ' .. (token or n) .. ' ' .. n .. ' ' .. metadata
  redis.call('HSET', m, id, value)
  redis.call('PUBLISH', channel, prev .. ' ' .. n .. ' ' .. change .. ' ' .. id .. ' ' .. value)
  return value
end
