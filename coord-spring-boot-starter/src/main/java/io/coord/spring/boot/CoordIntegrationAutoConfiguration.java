package io.coord.spring.boot;

import io.coord.Session;
import io.coord.spring.integration.CoordLeaderInitiator;
import io.coord.spring.integration.CoordLockRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.support.locks.LockRegistry;

/**
 * Spring Integration on the default session, when {@code coord-spring-integration} is on the class path and there
 * is a single (or a {@code @Primary}) {@link Session} bean:
 * <ul>
 *   <li>{@code coordLockRegistry}: a {@link CoordLockRegistry} of the session (fenced locks), unless the application
 *       has a {@link LockRegistry} of its own. A session backs at most one {@link CoordLockRegistry}, so this bean
 *       takes the default session's one: an application wanting its own registry defines a {@link LockRegistry}
 *       bean (the starter then backs off) or opens another session for it, since
 *       {@code new CoordLockRegistry(defaultSession)} next to this bean throws {@link IllegalStateException};</li>
 *   <li>{@code coordLeaderInitiator}: a {@link CoordLeaderInitiator} campaigning in the election
 *       {@code coord.leader.election} for the application's {@link Candidate} bean, only when both are there (a
 *       single or {@code @Primary} candidate; the value {@code false} counts as not set) (and
 *       no initiator of its own). It publishes Spring Integration's {@code OnGrantedEvent}/{@code OnRevokedEvent}
 *       to the context, stops (resigning) in its phase {@code Integer.MAX_VALUE - 1000}, i.e. before the session
 *       is closed ({@link CoordAutoConfiguration#SESSION_SHUTDOWN_PHASE}).</li>
 * </ul>
 */
@AutoConfiguration(after = CoordAutoConfiguration.class)
@ConditionalOnClass({CoordLockRegistry.class, LockRegistry.class})
@ConditionalOnSingleCandidate(Session.class)
final class CoordIntegrationAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(LockRegistry.class)
    CoordLockRegistry coordLockRegistry(Session session) {
        return new CoordLockRegistry(session);
    }

    @Bean
    @ConditionalOnProperty("coord.leader.election")
    @ConditionalOnSingleCandidate(Candidate.class)
    @ConditionalOnMissingBean(CoordLeaderInitiator.class)
    CoordLeaderInitiator coordLeaderInitiator(Session session, Candidate candidate, CoordProperties properties) {
        try {
            return new CoordLeaderInitiator(session, properties.getLeader().getElection().trim(), candidate);
        } catch (IllegalArgumentException e) {
            throw new CoordConfigurationException("coord.leader.election: " + e.getMessage(), e);
        }
    }
}
