package io.coord.spring.boot;

import io.coord.Session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the context's {@link Session} beans when the context stops, in phase
 * {@link CoordAutoConfiguration#SESSION_SHUTDOWN_PHASE} (see there why that phase). Closing revokes each lease, so
 * every lock and leadership it holds is free for other instances immediately, and nothing later in shutdown can use
 * a session that is about to disappear without knowing it.
 *
 * <p>Threads: {@link #start()} and {@link #stop()} run on the thread that refreshes or closes the context (on JVM
 * exit, Spring's shutdown hook thread); closing a session makes at most one bounded round trip (the revocation, within
 * the coordinator's operation timeout) on that thread.
 */
final class CoordSessionShutdown implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(CoordSessionShutdown.class);

    private final ConfigurableListableBeanFactory beans;
    private final int phase;
    private volatile boolean running;

    CoordSessionShutdown(ConfigurableListableBeanFactory beans, int phase) {
        this.beans = beans;
        this.phase = phase;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        // Only sessions that exist: a lazy session bean never used is not opened now just to be closed.
        for (String name : beans.getBeanNamesForType(Session.class, false, false)) {
            if (!beans.containsSingleton(name)) {
                continue;
            }
            Session session = beans.getBean(name, Session.class);
            try {
                if (!session.state().isTerminal()) {
                    log.info("closing coord session {} (bean '{}') early in shutdown: what it holds is free for others at once",
                            session.id(), name);
                }
                session.close();                          // idempotent; the bean's destroy method closes it again
            } catch (RuntimeException e) {
                // Shutdown goes on: the lease then ends on the server at its TTL at the latest.
                log.warn("could not close coord session bean '{}' in shutdown; it expires on the server within its TTL", name, e);
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return phase;
    }
}
