package io.coord.spring.boot;

import io.coord.Session;
import io.coord.shedlock.CoordLockProvider;
import net.javacrumbs.shedlock.core.LockProvider;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The ShedLock {@link LockProvider} behind {@code @SchedulerLock}: a {@link CoordLockProvider} of the default session,
 * when {@code coord-shedlock} is on the class path and the application has no provider of its own. (The application
 * still enables ShedLock with {@code @EnableSchedulerLock(defaultLockAtMostFor = …)}.) Closed when the context is
 * destroyed, after the session was closed in shutdown, which has freed its locks already.
 */
@AutoConfiguration(after = CoordAutoConfiguration.class)
@ConditionalOnClass({CoordLockProvider.class, LockProvider.class})
@ConditionalOnBean(Session.class)
final class CoordShedLockAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(LockProvider.class)
    CoordLockProvider coordLockProvider(Session session) {
        return new CoordLockProvider(session);
    }
}
