package io.coord.spi;

import io.coord.Primitive;
import io.coord.Session;
import io.coord.semaphore.Permit;
import io.coord.semaphore.Semaphore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The {@link Semaphore} of every backend: a queue entry per request, tagged with the number of permits, under
 * {@link GrantRule#fewerThan} (granted when fewer than {@code permits} entries stand ahead, so at most
 * {@code permits} entries — the oldest — are granted at any instant); a granted entry claims a slot
 * ({@link QueueEntry#claimSlot}), whose token is the permit's. One claim per session and name, as for locks.
 */
final class SessionSemaphore implements Semaphore {

    private final SessionBase session;
    private final String name;
    private final int permits;
    private final Acquisitions.Target target;
    private final Supplier<QueueEntry> entries;

    /**
     * @param permits already checked by {@link Arguments#permits(int)}
     * @param entries a new, not yet enqueued entry tagged with {@code permits} for each acquisition
     */
    SessionSemaphore(SessionBase session, String name, int permits, Supplier<QueueEntry> entries) {
        this.session = session;
        this.name = name;
        this.permits = permits;
        String description = "semaphore '" + name + "'";
        this.target = new Acquisitions.Target(session, Primitive.SEMAPHORE, name, Primitive.SEMAPHORE + ":" + name,
                "a permit of " + description, GrantRule.fewerThan(permits, description));
        this.entries = entries;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int permits() {
        return permits;
    }

    @Override
    public Session session() {
        return session;
    }

    @Override
    public Permit acquire() throws InterruptedException {
        session.ensureLive();
        QueueEntry entry = entries.get();
        return Acquisitions.blocking(target, entry, (token, slot) -> permit(entry, token, slot));
    }

    @Override
    public Optional<Permit> tryAcquire(Duration timeout) throws InterruptedException {
        Arguments.timeout(timeout);
        session.ensureLive();
        QueueEntry entry = entries.get();
        return Acquisitions.timed(target, entry, timeout, (token, slot) -> permit(entry, token, slot)).map(p -> p);
    }

    @Override
    public CompletableFuture<Permit> acquireAsync() {
        session.ensureLive();
        QueueEntry entry = entries.get();
        @SuppressWarnings("unchecked")
        CompletableFuture<Permit> future = (CompletableFuture<Permit>) (CompletableFuture<?>)
                Acquisitions.async(target, entry, (token, slot) -> permit(entry, token, slot));
        return future;
    }

    private SessionPermit permit(QueueEntry entry, long token, int slot) {
        return new SessionPermit(session, target.claimKey(), name, token, slot, entry);
    }

    @Override
    public String toString() {
        return "semaphore '" + name + "' (" + permits + " permits) of " + session;
    }
}
