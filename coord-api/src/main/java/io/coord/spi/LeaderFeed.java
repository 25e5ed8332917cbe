package io.coord.spi;

import io.coord.Subscription;
import io.coord.election.Leader;
import io.coord.election.LeaderListener;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers an election's states to one observer: in the order {@link #publish} was called, on the
 * coordinator's event thread, skipping a state equal to the last one delivered, nothing after
 * {@link #close()}. Backends publish the state they read first, then every state they read after
 * a change notification, from one logical sequence (one watch, one poller).
 */
public final class LeaderFeed implements Subscription, Consumer<Optional<Leader>> {

    private static final Logger log = LoggerFactory.getLogger(LeaderFeed.class);

    private final CoordinatorBase coordinator;
    private final LeaderListener listener;
    private final Runnable onClose;
    private volatile boolean closed;
    /** Only touched on the event thread. */
    private Optional<Leader> last;

    /**
     * @param coordinator the coordinator on whose event thread states are delivered
     * @param listener    the observer
     * @param onClose     stops the backend's watch or poller (run once, on close)
     */
    public LeaderFeed(CoordinatorBase coordinator, LeaderListener listener, Runnable onClose) {
        this.coordinator = coordinator;
        this.listener = listener;
        this.onClose = onClose;
    }

    /**
     * Queues {@code state} for delivery; safe from any thread, including a client library's.
     *
     * @param state the leader read, or empty for none
     */
    public void publish(Optional<Leader> state) {
        if (closed) {
            return;
        }
        coordinator.events().execute(() -> {
            if (closed || state.equals(last)) {
                return;
            }
            last = state;
            try {
                listener.leaderChanged(state);
            } catch (RuntimeException e) {
                log.warn("leader listener failed", e);
            }
        });
    }

    @Override
    public void accept(Optional<Leader> state) {
        publish(state);
    }

    /**
     * Whether {@link #close()} was called: the backend should stop reading for this feed.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            onClose.run();
        }
    }
}
