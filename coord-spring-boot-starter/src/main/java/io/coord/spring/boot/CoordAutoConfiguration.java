package io.coord.spring.boot;

import java.net.URI;
import java.time.Duration;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.spi.Arguments;
import io.coord.spi.CoordinatorUri;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Opens a {@link Coordinator} and a default {@link Session} from {@link CoordProperties} ({@code coord.*}), and closes
 * the session early in shutdown so that everything it holds is free for other instances at once.
 *
 * <p>Beans, each backing off when the application defines its own of the same type:
 * <ul>
 *   <li>{@code coordinator}: {@link Coordinator#open(URI)} of the URI the properties describe; the backend is found
 *       on the class path from the URI's scheme (add {@code coord-zookeeper}, {@code coord-etcd} or
 *       {@code coord-redis}). Closed when the context is destroyed.</li>
 *   <li>{@code coordSession}: {@link Coordinator#openSession(Duration)} with {@code coord.session-ttl}: opened (and
 *       renewing) when the bean is created (while the context refreshes; on first use with lazy initialization),
 *       only if there is a single (or a {@code @Primary}) {@link Coordinator}, closed by the shutdown lifecycle below and again, idempotently, when the
 *       context is destroyed.</li>
 *   <li>{@code coordSessionShutdown}: a {@link org.springframework.context.SmartLifecycle} in phase
 *       {@link #SESSION_SHUTDOWN_PHASE} whose stop, when the context is closed (not on a
 *       mere stop or pause, after which it may be started again), stops the leader initiators, closes the ShedLock
 *       providers and then closes every {@link Session} bean created so far, revoking its lease (a failure to close
 *       is logged and shutdown goes on).</li>
 * </ul>
 *
 * <p>A missing or contradictory setting fails the start with an {@link IllegalArgumentException} naming the
 * {@code coord.*} property and what is allowed; the password is never part of a message.
 */
@AutoConfiguration
@EnableConfigurationProperties(CoordProperties.class)
public final class CoordAutoConfiguration {

    /**
     * The phase in which the session is closed: {@code Integer.MAX_VALUE / 2 - 1024}. Lifecycles stop from the highest
     * phase down, so this runs after the web server has drained its requests and stopped
     * ({@code SmartLifecycle.DEFAULT_PHASE - 1024} and {@code - 2048}), after leader initiators and message endpoints
     * (above {@code Integer.MAX_VALUE / 2}) and after the task schedulers have stopped running {@code @Scheduled} jobs
     * ({@code Integer.MAX_VALUE / 2}): the work that uses locks has ended, so none is cut off mid-way. It runs
     * before plain {@link org.springframework.context.Lifecycle} beans (phase 0) and before any bean is destroyed, so
     * other instances get the locks and the leadership at once instead of after the session TTL. Like every
     * phase, it is bounded by {@code spring.lifecycle.timeout-per-shutdown-phase}.
     */
    public static final int SESSION_SHUTDOWN_PHASE = Integer.MAX_VALUE / 2 - 1024;

    /** Created by Spring Boot from {@code META-INF/spring/...AutoConfiguration.imports}. */
    public CoordAutoConfiguration() {
    }

    /**
     * The coordinator of the backend {@code coord.*} names.
     *
     * @param properties the bound {@code coord.*} settings
     * @return a new coordinator, closed when the context is destroyed
     * @throws IllegalArgumentException if the settings are missing, contradictory or rejected by the backend
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Coordinator coordinator(CoordProperties properties) {
        URI uri = CoordUris.from(properties);
        try {
            return Coordinator.open(uri);
        } catch (IllegalArgumentException e) {
            throw new CoordConfigurationException("coord: cannot open " + CoordinatorUri.redacted(uri)
                    + " made of the coord.* settings: " + e.getMessage(), e);
        }
    }

    /**
     * The application's default session.
     *
     * @param coordinator the coordinator to open it on (the only one, or the {@code @Primary} one: with several
     *                    and none primary, no default session is made)
     * @param properties  whose {@code coord.session-ttl} is the TTL asked for
     * @return a new ACTIVE session, closed early in shutdown ({@link #SESSION_SHUTDOWN_PHASE})
     * @throws IllegalArgumentException if {@code coord.session-ttl} is outside 100 ms to 1 hour
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnSingleCandidate(Coordinator.class)
    public Session coordSession(Coordinator coordinator, CoordProperties properties) {
        Duration ttl = properties.getSessionTtl();
        if (ttl == null) {
            throw new CoordConfigurationException("coord.session-ttl is empty; expected a duration between 100ms and 1h, "
                    + "default " + CoordProperties.DEFAULT_SESSION_TTL.toSeconds() + "s");
        }
        try {
            Arguments.ttl(ttl);
        } catch (IllegalArgumentException e) {
            throw new CoordConfigurationException("coord.session-ttl: " + e.getMessage(), e);
        }
        return coordinator.openSession(ttl);
    }

    /**
     * Closes the session beans early in shutdown.
     *
     * @param beans   the context's bean factory, whose {@link Session} singletons are closed
     * @param context the context whose close (not a mere stop) closes them
     * @return the lifecycle, in phase {@link #SESSION_SHUTDOWN_PHASE}
     */
    @Bean
    CoordSessionShutdown coordSessionShutdown(ConfigurableListableBeanFactory beans, ApplicationContext context) {
        return new CoordSessionShutdown(beans, context, SESSION_SHUTDOWN_PHASE);
    }
}
