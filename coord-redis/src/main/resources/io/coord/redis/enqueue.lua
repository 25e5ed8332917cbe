-- coord: enqueue a waiter (or re-check its status) in the queue of one lock, fair lock, election,
-- semaphore or read-write lock (their members carry a tag: see remove.lua).
--
-- KEYS[1] queue  (zset member -> ticket)      all three keys share one {hashtag}, so one slot:
-- KEYS[2] counter (string, INCR; permanent)   the script is legal and atomic in Redis Cluster.
-- KEYS[3] values (hash member -> value; elections only)
-- ARGV[1] member "<sessionId>:<coordinatorId>:<seq>", unique per acquisition
-- ARGV[2] mode: "enqueue" (add if absent) or "check" (never add)
-- ARGV[3] value (elections), ARGV[4] observer channel ("" for locks: no values, no events)
-- ARGV[5] suspect: the predecessor the caller has waited behind for a whole wait ("" = none)
-- ARGV[6] inbox channel prefix (with ARGV[5]): a coordinator is asked on "<prefix><its id>"
-- ARGV[7] lookahead: how many entries ahead of the member to report (nearest first)
--
-- Returns {1, ticket, head, ""} when the member is first in line (granted / leader),
--         {0, ticket, head, predecessor, id1, ticket1, id2, ticket2, ...} while it waits (the
--         nearest ARGV[7] entries ahead, nearest first), {-1, 0, "", ""} if it is not queued:
--         one answer says whether the entry exists, its token and what stands ahead of it.
--
-- Why safe:
--  * Atomic: the ticket is INCR of the per-name counter and the ZADD happens in the same script,
--    so tickets strictly increase in queue order; the head is the lowest ticket, and a later
--    ticket is always greater than every ticket already granted: the fencing token (= ticket)
--    strictly increases in grant order on a server that keeps its data, whatever its clock does.
--  * Clock floor: the counter is floored at the server's clock, microseconds since the epoch
--    (TIME): ticket = max(INCR counter, now); when now wins, the counter is SET to it (every
--    increment of the counter is floored the same way: versions in proclaim.lua and remove.lua).
--    A ticket is therefore never below the issuing server's clock (~1.8e15: exact in Lua doubles,
--    zset scores and Java longs below 2^53, i.e. until the year 2255), and the counter runs ahead
--    of that clock only while increments come faster than one per microsecond, or after the clock
--    (or the server holding the counter) went back in time. This makes the declared loss rare,
--    not impossible: if a failover (async replication) or a restart without persistence loses
--    INCRs, the next ticket is the new server's clock, which is already past every lost ticket
--    UNLESS the counter had run ahead of real time by more than the time between the lost grant
--    and the next one, or the new server's clock is behind the old one's by more than that, or
--    the clock stepped backwards - then a token can still repeat or go backwards. Exclusion across
--    a failover is not improved at all: the promoted replica may not know a grant (double grant).
--    So DURABLE_FENCING_TOKENS is still NOT declared. Redis 7 replicates a script's effects (the
--    INCR and the SET), never the script, so TIME in a write script is legal and deterministic on
--    replicas. Numbers leave this script through string.format('%.0f'): Lua's own number-to-string
--    ('..') keeps only 14 significant digits.
--  * Idempotent: a member already queued keeps its ticket, so a command replayed by the client
--    after a reconnect never creates a second entry or a second increment.
--  * Order and liveness never depend on time (the clock only floors the ticket); liveness is the
--    session key, checked by the caller.
--  * The ownership question (ARGV[5]) changes no data: if the suspect is still the caller's
--    immediate predecessor - so it and every entry ahead of it have blocked the caller for a whole
--    wait (no entry is ever inserted ahead: tickets only grow) - "?<member> <queue key>" is
--    published for the predecessor and for the head (if another entry) to each one's own
--    coordinator, which alone knows whether it still owns that entry (a release it believes done
--    may have been lost, e.g. by a failover) and removes it, guarded by the exact member, only if
--    it does not. At most two messages, only after a whole wait.
local q, c, v = KEYS[1], KEYS[2], KEYS[3]
local member, mode, value, obs = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local suspect, inbox = ARGV[5] or '', ARGV[6] or ''
local lookahead = tonumber(ARGV[7] or '1')
local t = redis.call('ZSCORE', q, member)
if not t then
  if mode ~= 'enqueue' then
    return {-1, 0, '', ''}
  end
  -- the ticket: INCR of the counter, floored at the server's clock in microseconds (see above)
  t = floored_incr(c) -- prelude.lua
  redis.call('ZADD', q, t, member)
  if obs ~= '' then
    redis.call('HSET', v, member, value)
    if redis.call('ZCARD', q) == 1 then
      -- became leader of an empty election: version = its ticket (taken from the same counter)
      redis.call('PUBLISH', obs, t .. ' ' .. t .. ' ' .. member .. ' ' .. value)
    end
  end
end
-- t stays the exact decimal string (from string.format or ZSCORE) for use inside strings below;
-- ticket is the number returned (an exact integer reply: below 2^53)
local ticket = tonumber(t)
local head = redis.call('ZRANGE', q, 0, 0)[1]
if head == member then
  return {1, ticket, head, ''}
end
local ahead = redis.call('ZREVRANGEBYSCORE', q, '(' .. t, '-inf', 'WITHSCORES', 'LIMIT', 0, lookahead)
local pred = ahead[1] or ''
if suspect ~= '' and pred == suspect and inbox ~= '' then
  local asked = {pred}
  if head ~= pred then
    asked[2] = head
  end
  for _, m in ipairs(asked) do
    local coordinator = string.match(m, '^[^:]*:([^:]*):')
    if coordinator then
      redis.call('PUBLISH', inbox .. coordinator, '?' .. m .. ' ' .. q)
    end
  end
end
local reply = {0, ticket, head, pred}
for i = 1, #ahead, 2 do
  reply[#reply + 1] = ahead[i]
  reply[#reply + 1] = tonumber(ahead[i + 1])
end
return reply
