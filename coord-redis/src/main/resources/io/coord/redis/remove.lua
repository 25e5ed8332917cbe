-- coord: remove one entry (release, abandon, resign, or eviction of a dead session's entry).
--
-- KEYS[1] queue, KEYS[2] counter, KEYS[3] values (one {hashtag}: one slot, legal in Cluster)
-- ARGV[1] member to remove (exact string: identity guard)
-- ARGV[2] inbox channel prefix: the new head (tagged queues: each entry the removal grants) is told on
--         "<prefix><its coordinatorId>", with the message "<member> <queue key>"
-- ARGV[3] observer channel ("" for locks)
--
-- Members of semaphores and read-write locks carry a tag ("<session>:<coordinator>:<seq>:<tag>":
-- the number of permits, or r/w): for them the entries a departure grants are told instead of the
-- new head, and a semaphore's slot claim (KEYS[3]) goes with the entry.
--
-- Returns 1 if the member was removed, 0 if it was not there.
--
-- Why safe:
--  * Guarded by the exact member string, which is unique per acquisition: it can never remove
--    another holder's or waiter's entry; removing twice is a no-op (idempotent, replay-safe).
--  * Eviction of another session's member is only requested after that session's key was seen
--    missing; session keys are never re-created, so that verdict cannot become stale.
--  * Exactly one notification per change of head, sent to the new head's own coordinator inbox
--    (not a channel every waiter listens to): a release wakes one waiter however many wait.
--    Pub/sub is at-most-once; waiters also poll, so a lost message costs latency, never a hang.
--    The queue key in the message lets a coordinator that does NOT own the new head (an orphan:
--    its release was lost, e.g. by a failover) remove it at once, which tells the next head.
--  * When the last entry goes, ZREM deletes the queue key: nothing per acquisition stays behind.
--  * Tagged members: exactly the entries granted after the removal that were not granted before
--    are told, each on its own coordinator's inbox: for a semaphore of n permits the one entry that
--    moves into the first n (none if the removed entry was not among them); for a read-write lock the
--    writer that becomes the head, or the readers that then stand before the first writer. These are
--    the grant rules of io.coord.spi.GrantRule (fewerThan, READER, WRITER) evaluated on the queue:
--    a release wakes only waiters it grants.
local q, c, v = KEYS[1], KEYS[2], KEYS[3]
local member, inbox, obs = ARGV[1], ARGV[2], ARGV[3]

local function tag_of(m)
  return string.match(m, '^[^:]*:[^:]*:[^:]*:(.*)$')
end

local function tell(m)
  local coordinator = string.match(m, '^[^:]*:([^:]*):')
  if coordinator then
    redis.call('PUBLISH', inbox .. coordinator, m .. ' ' .. q)
  end
end

-- the members a read-write queue grants: the head if it is a writer, else the readers before the first writer
local function rw_granted(list)
  local granted = {}
  if list[1] and tag_of(list[1]) == 'w' then
    granted[list[1]] = true
    return granted
  end
  for _, m in ipairs(list) do
    if tag_of(m) == 'w' then
      break
    end
    granted[m] = true
  end
  return granted
end

local tag = tag_of(member)
if tag then
  if tag == 'r' or tag == 'w' then
    local before = redis.call('ZRANGE', q, 0, -1)
    if redis.call('ZREM', q, member) == 0 then
      return 0
    end
    local was = rw_granted(before)
    local after = {}
    for _, m in ipairs(before) do
      if m ~= member then
        after[#after + 1] = m
      end
    end
    for m in pairs(rw_granted(after)) do
      if not was[m] then
        tell(m)
      end
    end
  else
    local n = tonumber(tag)
    local granted = false
    for _, m in ipairs(redis.call('ZRANGE', q, 0, n - 1)) do
      if m == member then
        granted = true
      end
    end
    if redis.call('ZREM', q, member) == 0 then
      return 0
    end
    redis.call('HDEL', v, member)
    if granted then
      local newcomer = redis.call('ZRANGE', q, n - 1, n - 1)[1]
      if newcomer then
        tell(newcomer)
      end
    end
  end
  return 1
end

local head = redis.call('ZRANGE', q, 0, 0)[1]
if redis.call('ZREM', q, member) == 0 then
  return 0
end
if obs ~= '' then
  redis.call('HDEL', v, member)
end
if head == member then
  local nh = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
  if nh[1] then
    local coordinator = string.match(nh[1], '^[^:]*:([^:]*):')
    if coordinator then
      redis.call('PUBLISH', inbox .. coordinator, nh[1] .. ' ' .. q)
    end
  end
  if obs ~= '' then
    -- a change of leader: stamp it with a fresh version from the per-name counter, floored at
    -- the server's clock in microseconds like every increment of it (see enqueue.lua)
    local ver = floored_incr(c) -- prelude.lua: exact digits
    if nh[1] then
      redis.call('PUBLISH', obs, ver .. ' ' .. nh[2] .. ' ' .. nh[1] .. ' ' .. (redis.call('HGET', v, nh[1]) or ''))
    else
      redis.call('PUBLISH', obs, ver .. ' 0')
    end
  end
end
return 1
