/** Redis sessions: one key per session, renewed with one {@code PEXPIRE} per TTL/3. See {@link io.coord.redis.session.RedisSession}. */
package io.coord.redis.session;
