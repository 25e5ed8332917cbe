package io.coord.spring.boot;

import io.coord.Session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
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

    private final ObjectProvider<Session> sessions;
    private final int phase;
    private volatile boolean running;

    CoordSessionShutdown(ObjectProvider<Session> sessions, int phase) {
        this.sessions = sessions;
        this.phase = phase;
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        sessions.orderedStream().forEach(session -> {
            if (!session.state().isTerminal()) {
                log.info("closing coord session {} early in shutdown: what it holds is free for others at once", session.id());
            }
            session.close();                              // idempotent; the bean's destroy method closes it again
        });
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
