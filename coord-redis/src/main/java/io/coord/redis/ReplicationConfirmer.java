package io.coord.redis;

import io.coord.Primitive;
import io.coord.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The optional durability knob ({@link RedisCoordinatorBuilder#replicaAcknowledgement(int, Duration)}):
 * after a grant, {@code WAIT} for the configured number of replicas and report the answer as a
 * {@link ReplicaAcknowledgement}, whatever it is. It never fails the grant and closes no window
 * (see {@link ReplicaAcknowledgement} for what an answer means).
 *
 * <h2>State and threads</h2>
 * <ul>
 *   <li>This class owns the listener list (copy-on-write: added and removed from any thread) and
 *       the latest answer (volatile, written by the granting thread, read by any).</li>
 *   <li>{@link #confirm} only sends; its answer completes on lettuce's thread.</li>
 *   <li>Listeners are called on the coordinator's event thread, one task per answer and listener.</li>
 * </ul>
 */
final class ReplicationConfirmer {

    private static final Logger log = LoggerFactory.getLogger(ReplicationConfirmer.class);

    private final int replicas;
    private final Duration timeout;
    private final Executor events;
    private final CopyOnWriteArrayList<Consumer<ReplicaAcknowledgement>> listeners = new CopyOnWriteArrayList<>();
    private volatile ReplicaAcknowledgement last;

    /**
     * @param replicas replicas to wait for after each grant; 0 turns the knob off
     * @param timeout  how long {@code WAIT} may wait
     * @param events   the coordinator's event executor, for the listeners
     */
    ReplicationConfirmer(int replicas, Duration timeout, Executor events) {
        this.replicas = replicas;
        this.timeout = timeout;
        this.events = events;
    }

    /** Whether grants are followed by {@code WAIT}. */
    boolean enabled() {
        return replicas > 0;
    }

    /**
     * After a grant (on the acquiring worker thread): {@code WAIT} for the configured replicas and
     * report the answer to the listeners, whatever it is. Never fails the grant.
     */
    CompletableFuture<ReplicaAcknowledgement> confirm(RedisLink link, Primitive primitive, String name, String slotKey, long token) {
        return link.confirmReplication(primitive, slotKey, replicas, timeout.toMillis()).handle((acked, e) -> {
            if (e != null) {
                log.warn("WAIT after the grant of {} '{}' (token {}) failed: {}", primitive, name, token, e.toString());
            }
            return report(primitive, name, token, e != null ? -1 : acked);
        });
    }

    private ReplicaAcknowledgement report(Primitive primitive, String name, long token, long acked) {
        ReplicaAcknowledgement ack = new ReplicaAcknowledgement(primitive, name, token, replicas, acked);
        last = ack;
        if (!ack.complete()) {
            log.warn("grant of {} '{}' (token {}) acknowledged by {} of {} replicas within {} ms: a failover may lose it",
                    primitive, name, token, acked, replicas, timeout.toMillis());
        }
        for (Consumer<ReplicaAcknowledgement> l : listeners) {
            events.execute(() -> l.accept(ack));
        }
        return ack;
    }

    /** The latest {@code WAIT} answer, or null if none yet (or the knob is off). */
    ReplicaAcknowledgement last() {
        return last;
    }

    /** Tells {@code listener} (on the event thread) of every {@code WAIT} answer after a grant. */
    Subscription onAcknowledgement(Consumer<ReplicaAcknowledgement> listener) {
        Objects.requireNonNull(listener, "replica acknowledgement listener must not be null");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }
}
