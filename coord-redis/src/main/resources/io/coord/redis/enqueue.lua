-- coord: enqueue a waiter (or re-check its status) in the queue of one lock, fair lock or election.
--
-- KEYS[1] queue  (zset member -> ticket)      all three keys share one {hashtag}, so one slot:
-- KEYS[2] counter (string, INCR; permanent)   the script is legal and atomic in Redis Cluster.
-- KEYS[3] values (hash member -> value; elections only)
-- ARGV[1] member "<sessionId>:<coordinatorId>:<seq>", unique per acquisition
-- ARGV[2] mode: "enqueue" (add if absent) or "check" (never add)
-- ARGV[3] value (elections), ARGV[4] observer channel ("" for locks: no values, no events)
--
-- Returns {1, ticket, head, ""} when the member is first in line (granted / leader),
--         {0, ticket, head, predecessor} while it waits, {-1, 0, "", ""} if it is not queued.
--
-- Why safe:
--  * Atomic: the ticket is INCR of the per-name counter and the ZADD happens in the same script,
--    so tickets strictly increase in queue order; the head is the lowest ticket, and a later
--    ticket is always greater than every ticket already granted: the fencing token (= ticket)
--    strictly increases in grant order. (An async-replication failover can lose an INCR: declared.)
--  * Idempotent: a member already queued keeps its ticket, so a command replayed by the client
--    after a reconnect never creates a second entry or a second increment.
--  * No clock: nothing here depends on time; liveness is the session key, checked by the caller.
local q, c, v = KEYS[1], KEYS[2], KEYS[3]
local member, mode, value, obs = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local t = redis.call('ZSCORE', q, member)
if not t then
  if mode ~= 'enqueue' then
    return {-1, 0, '', ''}
  end
  t = redis.call('INCR', c)
  redis.call('ZADD', q, t, member)
  if obs ~= '' then
    redis.call('HSET', v, member, value)
    if redis.call('ZCARD', q) == 1 then
      -- became leader of an empty election: version = its ticket (taken from the same counter)
      redis.call('PUBLISH', obs, t .. ' ' .. t .. ' ' .. member .. ' ' .. value)
    end
  end
end
t = tonumber(t)
local head = redis.call('ZRANGE', q, 0, 0)[1]
if head == member then
  return {1, t, head, ''}
end
local pred = redis.call('ZREVRANGEBYSCORE', q, '(' .. t, '-inf', 'LIMIT', 0, 1)[1] or ''
return {0, t, head, pred}
