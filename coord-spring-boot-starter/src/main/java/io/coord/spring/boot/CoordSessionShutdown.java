package io.coord.spring.boot;

import io.coord.Session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.Lifecycle;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.util.ClassUtils;

/**
 * Closes the context's {@link Session} beans when the context is closed, in phase
 * {@link CoordAutoConfiguration#SESSION_SHUTDOWN_PHASE} (see there why that phase). Closing revokes each lease, so
 * every lock and leadership it holds is free for other instances immediately, and nothing later in shutdown can use
 * a session that is about to disappear without knowing it. Before the sessions it stops the leader initiators still
 * running and closes the ShedLock providers, so that neither reports a hold "lost" to a session closed on purpose.
 *
 * <p>Only a close ends the sessions: a {@code ConfigurableApplicationContext.stop()}, {@code pause()} or a
 * stop-for-restart (the context's {@code start()}/{@code restart()} follows) leaves them open and renewing, so that
 * the lifecycles restarted on them (leader initiators) find them ACTIVE. Spring calls the same {@link #stop()} on
 * close and on stop; the close is told apart by the {@link ContextClosedEvent}, which Spring publishes (to its
 * synchronous listeners, on the closing thread) before it stops the lifecycles. This bean is also not pauseable
 * ({@link #isPauseable()}). With an asynchronous event multicaster the event may come too late: the sessions are then
 * closed when their beans are destroyed, a little later in the same close.
 *
 * <p>Threads: {@link #start()}, {@link #stop()} and {@link #onApplicationEvent} run on the thread that refreshes,
 * stops or closes the context (on JVM exit, Spring's shutdown hook thread); closing a session makes at most one
 * bounded round trip (the revocation, within the coordinator's operation timeout) on that thread.
 */
final class CoordSessionShutdown implements SmartLifecycle, ApplicationListener<ContextClosedEvent> {

    private static final Logger log = LoggerFactory.getLogger(CoordSessionShutdown.class);
    private static final String INITIATOR = "io.coord.spring.integration.CoordLeaderInitiator";
    private static final String LOCK_PROVIDER = "io.coord.shedlock.CoordLockProvider";

    private final ConfigurableListableBeanFactory beans;
    private final ApplicationContext context;
    private final int phase;
    private volatile boolean running;
    private volatile boolean closing;

    CoordSessionShutdown(ConfigurableListableBeanFactory beans, ApplicationContext context, int phase) {
        this.beans = beans;
        this.context = context;
        this.phase = phase;
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        // A child context's close event reaches its parent too: only this context's own close counts.
        if (event.getApplicationContext() == context) {
            closing = true;
        }
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        if (!closing) {
            // Still "running" on purpose: a later close then calls stop() again (Spring stops running beans only),
            // and this time the sessions are closed; a start() in between finds it running and does nothing.
            log.debug("context stopped, not closed: the coord sessions stay open");
            return;
        }
        running = false;
        stopOrClose(INITIATOR);
        stopOrClose(LOCK_PROVIDER);
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

    /** Stops (a running {@link Lifecycle}) or closes (an {@link AutoCloseable}) the existing singletons of a type. */
    private void stopOrClose(String className) {
        ClassLoader loader = beans.getBeanClassLoader();
        if (!ClassUtils.isPresent(className, loader)) {
            return;
        }
        Class<?> type = ClassUtils.resolveClassName(className, loader);
        for (String name : beans.getBeanNamesForType(type, false, false)) {
            if (!beans.containsSingleton(name)) {
                continue;
            }
            Object bean = beans.getBean(name);
            try {
                if (bean instanceof Lifecycle lifecycle) {
                    if (lifecycle.isRunning()) {
                        lifecycle.stop();
                    }
                } else if (bean instanceof AutoCloseable closeable) {
                    closeable.close();                    // idempotent; the bean's destroy method closes it again
                }
            } catch (Exception e) {
                log.warn("could not stop bean '{}' before closing the coord sessions; going on", name, e);
            }
        }
    }

    /**
     * Not pauseable: a {@code pause()} of the context leaves it, and with it the sessions, as they are.
     *
     * @return false
     */
    @Override
    public boolean isPauseable() {
        return false;
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
