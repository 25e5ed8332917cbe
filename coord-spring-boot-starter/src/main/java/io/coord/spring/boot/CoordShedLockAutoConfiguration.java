package io.coord.spring.boot;

import io.coord.Session;
import io.coord.shedlock.CoordLockProvider;
import net.javacrumbs.shedlock.core.LockProvider;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The ShedLock {@link LockProvider} behind {@code @SchedulerLock}: a {@link CoordLockProvider} of the default session,
 * when {@code coord-shedlock} is on the class path and the application has no provider of its own. (The application
 * still enables ShedLock with {@code @EnableSchedulerLock(defaultLockAtMostFor = …)}.) Closed in shutdown just before
 * the session (see {@link CoordAutoConfiguration#SESSION_SHUTDOWN_PHASE}), so that a {@code lockAtLeastFor} hold
 * still running is released quietly, not reported lost. Only with a single (or a {@code @Primary})
 * {@link Session} bean.
 */
@AutoConfiguration(after = CoordAutoConfiguration.class)
@ConditionalOnClass({CoordLockProvider.class, LockProvider.class})
@ConditionalOnSingleCandidate(Session.class)
final class CoordShedLockAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(LockProvider.class)
    CoordLockProvider coordLockProvider(Session session) {
        return new CoordLockProvider(session);
    }
}
