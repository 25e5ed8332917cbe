/**
 * Redis fair locks: {@link io.coord.spi.SessionFairLock} over {@link io.coord.redis.lock.RedisQueueEntry}
 * in the {@code fair} key space (see {@link io.coord.redis.RedisKeys}).
 *
 * <p>Order: a waiter's ticket is {@code INCR} of the per-name counter (floored at the server's
 * clock in microseconds, see {@link io.coord.redis.RedisKeys}) taken atomically with its {@code ZADD}; the lock goes to the lowest ticket, so grants follow the order the server recorded
 * the requests, and the fencing token (the ticket) strictly increases in grant order.
 *
 * <p>No herd: the script that removes the head publishes the new head's member to the new head's
 * coordinator inbox only; other waiters are not woken. Each waiter otherwise watches only its
 * immediate predecessor's session key ({@code PTTL}) and removes that entry if the session is gone,
 * so waiters that gave up (their entry is removed before they report failure) or died never block
 * the queue. Pub/sub is at-most-once: a waiter re-checks when its predecessor's lease could have
 * run out and after every pub/sub re-subscription, so a lost message costs latency only.
 */
package io.coord.redis.fairlock;
