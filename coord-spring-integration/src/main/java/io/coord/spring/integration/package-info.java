/**
 * Spring Integration on coord: {@link io.coord.spring.integration.CoordLockRegistry}, a
 * {@link org.springframework.integration.support.locks.LockRegistry} whose {@link io.coord.spring.integration.CoordLock}s
 * are coord fenced (or fair) locks held by one {@link io.coord.Session}, and
 * {@link io.coord.spring.integration.CoordLeaderInitiator}, which runs a Spring Integration
 * {@link org.springframework.integration.leader.Candidate} in a coord election and publishes its
 * {@code OnGrantedEvent} / {@code OnRevokedEvent}. The fencing token is reachable from both: the grant's token
 * ({@link io.coord.spring.integration.CoordLock#fencingToken()}) and the leadership's term
 * ({@link io.coord.spring.integration.CoordLeaderInitiator.CoordContext#fencingToken()}).
 */
package io.coord.spring.integration;
