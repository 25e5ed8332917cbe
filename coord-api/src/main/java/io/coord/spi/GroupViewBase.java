package io.coord.spi;

import io.coord.Subscription;
import io.coord.group.GroupEvent;
import io.coord.group.GroupListener;
import io.coord.group.GroupSnapshot;
import io.coord.group.GroupView;
import io.coord.group.Member;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What every backend's group view shares: argument checks, the watch's {@link GroupFeed}, and the absence alerts,
 * which are watchers with timers. A backend supplies one read and one watch.
 *
 * <p>Threads: alert state is touched only on the coordinator's event thread (the watch delivers there and the
 * timers hop there); the timers run on the coordinator's scheduler.
 */
public abstract class GroupViewBase implements GroupView {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GroupViewBase.class);

    /** The coordinator whose threads deliver events and run timers. */
    protected final CoordinatorBase coordinator;
    private final String name;

    /**
     * @param coordinator the coordinator that made the view
     * @param name        the group's name, already checked
     */
    protected GroupViewBase(CoordinatorBase coordinator, String name) {
        this.coordinator = coordinator;
        this.name = name;
    }

    /**
     * Reads the group once from the server, blocking (bounded by the operation timeout).
     *
     * @return the group now
     */
    protected abstract GroupSnapshot read();

    /**
     * Starts the backend's watch for {@code feed}: publish the group read first, then every later state (see
     * {@link GroupFeed}), re-reading after a lost connection until the feed is closed. Must not block.
     *
     * @param feed where states go
     * @return stops the watch (run once, when the feed closes; must not block on a client library's thread)
     */
    protected abstract Runnable startWatch(GroupFeed feed);

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final GroupSnapshot members() {
        coordinator.ensureOpen();
        return read();
    }

    @Override
    public final Subscription watch(GroupListener listener) {
        Arguments.notNull("group listener", listener);
        coordinator.ensureOpen();
        GroupFeed feed = new GroupFeed(coordinator, listener);
        feed.stopWith(startWatch(feed));
        return feed;
    }

    @Override
    public final Subscription alertWhenAbsent(Duration after, Consumer<Member> alert) {
        Arguments.duration("absence", after, Duration.ofMillis(1), Arguments.MAX_TIMEOUT);
        Arguments.notNull("absence alert", alert);
        return new Alerts(after) {
            /** Member id -> the timer of its absence; a timer acts only while it is still the one here. */
            private final Map<String, Timer> away = new HashMap<>();

            @Override
            void handle(GroupEvent e) {
                if (e.type() == GroupEvent.Type.SNAPSHOT) {
                    return; // only departures seen by this watch are judged
                }
                Member m = e.member().orElseThrow();
                if (e.type() == GroupEvent.Type.LEFT && e.snapshot().member(m.id()).isEmpty()) {
                    Timer[] mine = new Timer[1];
                    mine[0] = later(() -> {
                        if (away.remove(m.id(), mine[0])) {
                            alert.accept(m);
                        }
                    });
                    Timer.cancel(away.put(m.id(), mine[0]));
                } else if (e.type() == GroupEvent.Type.JOINED) {
                    Timer.cancel(away.remove(m.id()));
                }
            }

            @Override
            void stopTimers() {
                away.values().forEach(Timer::cancel);
                away.clear();
            }
        }.start();
    }

    @Override
    public final Subscription alertWhenBelow(int minimum, Duration after, Consumer<GroupSnapshot> alert) {
        if (minimum < 1) {
            throw new IllegalArgumentException("the minimum group size must be at least 1 (got " + minimum + ")");
        }
        Arguments.duration("time below the minimum", after, Duration.ofMillis(1), Arguments.MAX_TIMEOUT);
        Arguments.notNull("group size alert", alert);
        return new Alerts(after) {
            /** Running while the group is small and has not been alerted on; it acts only while it is still this one. */
            private Timer timer;
            private boolean alerted;
            private GroupSnapshot current;

            @Override
            void handle(GroupEvent e) {
                current = e.snapshot();
                if (current.size() >= minimum) {
                    Timer.cancel(timer);
                    timer = null;
                    alerted = false;
                } else if (timer == null && !alerted) {
                    Timer[] mine = new Timer[1];
                    mine[0] = later(() -> {
                        if (timer == mine[0]) {
                            timer = null;
                            alerted = true;
                            alert.accept(current);
                        }
                    });
                    timer = mine[0];
                }
            }

            @Override
            void stopTimers() {
                Timer.cancel(timer);
                timer = null;
            }
        }.start();
    }

    /** A scheduled alert action; cancelling it is best effort, so the action itself checks it is still current. */
    private record Timer(ScheduledFuture<?> future) {
        static void cancel(Timer t) {
            if (t != null) {
                t.future.cancel(false);
            }
        }
    }

    /** A watcher with timers whose actions run on the event thread, all stopped with its subscription. */
    private abstract class Alerts implements GroupListener, Subscription {
        private final Duration after;
        private Subscription watch;
        private volatile boolean closed;
        /** Counted down by the watch's first event: from then on the alert judges every change. */
        private final java.util.concurrent.CountDownLatch armed = new java.util.concurrent.CountDownLatch(1);

        Alerts(Duration after) {
            this.after = after;
        }

        /** Event thread: one event of the watch. */
        abstract void handle(GroupEvent e);

        /** Event thread: cancels every timer. */
        abstract void stopTimers();

        /** Starts the watch and waits (bounded by the operation timeout, never on the event thread) for its first read. */
        final Alerts start() {
            watch = watch(this);
            if (!coordinator.isEventThread()) {
                try {
                    if (!armed.await(coordinator.operationTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                        log.warn("the alert on group '{}' is not armed yet: its first read takes longer than {} ms (it keeps trying)",
                                name, coordinator.operationTimeout().toMillis());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return this;
        }

        @Override
        public final void onEvent(GroupEvent e) {
            if (!closed) {
                handle(e);
            }
            armed.countDown();
        }

        /** Runs {@code action} on the event thread after the alert's duration, unless closed by then. */
        final Timer later(Runnable action) {
            return new Timer(coordinator.scheduler().schedule(() -> coordinator.events().execute(() -> {
                if (!closed) {
                    try {
                        action.run();
                    } catch (RuntimeException | Error e) {
                        // the alert is the caller's code: its failure must not stop this watch's later alerts
                        log.warn("an alert on group '{}' threw; later alerts still run", name, e);
                    }
                }
            }), after.toNanos(), TimeUnit.NANOSECONDS));
        }

        @Override
        public final void close() {
            if (closed) {
                return;
            }
            closed = true;
            watch.close();
            coordinator.events().execute(this::stopTimers);
        }
    }
}
