package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.AcquisitionOutcome;
import io.coord.BackendUnavailableException;
import io.coord.CoordObserver;
import io.coord.Coordinator;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionExpiredException;
import io.coord.SessionState;
import io.coord.Subscription;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The observer hook ({@link Coordinator#addObserver}): every acquisition and campaign ends in exactly one
 * {@link AcquisitionOutcome}, what is held is counted up and down ({@link io.coord.CoordStats#held}), a lost grant
 * is reported with its reason, session changes are reported once each, as a chain, an observer that throws (even an
 * {@link Error}) breaks nothing, and a removed observer is told nothing more. Counts only, never timings.
 */
@Tag(ObserverRules.TAG)
public abstract class ObserverRules extends Scenario {

    /** The JUnit tag of this group, to run it alone: {@code mvn … -Dgroups=observer}. */
    public static final String TAG = "observer";

    /**
     * The rules against the backend {@code backend} supplies, once per scenario.
     *
     * @param backend supplies the backend under test
     */
    protected ObserverRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    /** Everything one observer was told, as text (waits as "wait>=0" only: never a timing). */
    static final class Recorder implements CoordObserver {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<String> outcomes = new CopyOnWriteArrayList<>();
        final AtomicInteger renewals = new AtomicInteger();
        final AtomicInteger negativeWaits = new AtomicInteger();
        /** Per session id, the states in the order reported: ACTIVE (opened), then each change's current state. */
        final Map<String, List<SessionState>> chains = new ConcurrentHashMap<>();
        /** Changes whose previous state was not the last one reported for that session (must stay empty). */
        final List<String> brokenLinks = new CopyOnWriteArrayList<>();
        /** What {@link io.coord.CoordStats#held} said of the primitive while its loss was reported. */
        final List<Long> heldAtLoss = new CopyOnWriteArrayList<>();
        volatile io.coord.CoordStats stats;

        @Override
        public void sessionOpened(String sessionId) {
            events.add("opened " + sessionId);
            chains.computeIfAbsent(sessionId, id -> new CopyOnWriteArrayList<>()).add(SessionState.ACTIVE);
        }

        @Override
        public void sessionStateChanged(String sessionId, SessionState previous, SessionState current) {
            events.add(sessionId + " " + previous + "->" + current);
            List<SessionState> chain = chains.computeIfAbsent(sessionId, id -> new CopyOnWriteArrayList<>());
            synchronized (chain) { // one session's changes are reported one at a time; the lock only guards the check
                SessionState last = chain.isEmpty() ? null : chain.get(chain.size() - 1);
                if (last != previous || last.isTerminal()) {
                    brokenLinks.add(sessionId + ": " + previous + "->" + current + " after " + chain);
                }
                chain.add(current);
            }
        }

        @Override
        public void renewed(String sessionId, Duration latency) {
            renewals.incrementAndGet();
        }

        @Override
        public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
            if (waited.isNegative()) {
                negativeWaits.incrementAndGet();
            }
            outcomes.add(primitive + " " + name + " " + outcome);
        }

        @Override
        public void lost(Primitive primitive, String name, LossReason reason) {
            if (stats != null) {
                heldAtLoss.add(stats.held(primitive));
            }
            events.add("lost " + primitive + " " + name + " " + reason);
        }

        List<String> lostEvents() {
            return events.stream().filter(e -> e.startsWith("lost ")).toList();
        }
    }

    private Recorder observe(Coordinator c) {
        Recorder r = new Recorder();
        r.stats = c.stats();
        c.addObserver(r);
        return r;
    }

    /**
     * The session's reported changes form one chain: opened first, each change starting where the last ended,
     * the terminal state {@code terminal} exactly once and last, ACTIVE/SUSPENDED toggles in between allowed.
     */
    private static void assertChain(Recorder r, String sessionId, SessionState terminal) {
        assertThat(r.brokenLinks).as("every change starts where the previous one ended").isEmpty();
        List<SessionState> chain = r.chains.get(sessionId);
        assertThat(chain).as("session %s was reported opened", sessionId).isNotNull();
        assertThat(chain.get(0)).isEqualTo(SessionState.ACTIVE);
        assertThat(r.events.stream().filter(e -> e.equals("opened " + sessionId)).count()).as("opened once").isEqualTo(1);
        assertThat(r.events.indexOf("opened " + sessionId)).as("opened before any change")
                .isLessThan(r.events.stream().filter(e -> e.startsWith(sessionId + " ")).mapToInt(r.events::indexOf).min().orElse(Integer.MAX_VALUE));
        assertThat(chain.stream().filter(SessionState::isTerminal).toList()).as("one terminal state: %s", chain).containsExactly(terminal);
        assertThat(chain.get(chain.size() - 1)).as("the terminal state is the last: %s", chain).isEqualTo(terminal);
    }

    /** {@link io.coord.CoordStats#held} is never negative (it is not clamped: a double decrement would show). */
    private static void assertHeldNotNegative(Coordinator c) {
        for (Primitive p : Primitive.values()) {
            assertThat(c.stats().held(p)).as("held(%s)", p).isNotNegative();
        }
    }

    /** Everything held is back to 0 (after every session closed). */
    private void awaitNothingHeld(Coordinator c) {
        await().untilAsserted(() -> {
            for (Primitive p : Primitive.values()) {
                assertThat(c.stats().held(p)).as("held(%s) back to 0", p).isZero();
            }
        });
    }

    @Test
    void aGrantedLockCycleIsOneGrantedOutcomeAndCountsHeldUpAndDown() throws Exception {
        Recorder r = observe(coord);
        String name = unique("obs-cycle");
        long tripsBefore = coord.stats().roundTrips(Primitive.LOCK);
        try (Session s = session()) {
            assertThat(coord.stats().held(Primitive.SESSION)).isEqualTo(1);
            LockGrant grant = s.lock(name).acquire();
            assertThat(r.outcomes).as("told before acquire() returned").containsExactly("LOCK " + name + " GRANTED");
            assertThat(coord.stats().held(Primitive.LOCK)).isEqualTo(1);
            assertThat(coord.stats().held(Primitive.FAIR_LOCK)).isZero();
            LockGrant fair = s.fairLock(name).tryAcquire(Duration.ofSeconds(30)).orElseThrow();
            assertThat(coord.stats().held(Primitive.FAIR_LOCK)).isEqualTo(1);
            grant.release();
            fair.release();
            assertThat(coord.stats().held(Primitive.LOCK)).as("released: held goes back to 0").isZero();
            assertThat(coord.stats().held(Primitive.FAIR_LOCK)).isZero();
        }
        assertThat(coord.stats().held(Primitive.SESSION)).isZero();
        await().untilAsserted(() -> assertThat(r.outcomes).containsExactly("LOCK " + name + " GRANTED", "FAIR_LOCK " + name + " GRANTED"));
        assertThat(r.negativeWaits).hasValue(0);
        assertThat(coord.stats().roundTrips(Primitive.LOCK) - tripsBefore).as("round trips counted").isPositive();
        assertThat(r.lostEvents()).as("a released grant is not lost").isEmpty();
        awaitNothingHeld(coord);
    }

    @Test
    void aTimedOutAndACancelledAcquisitionEachEndOnceWithTheirOutcome() throws Exception {
        Recorder r = observe(coord);
        String name = unique("obs-wait");
        try (Session holder = session(); Session waiter = session()) {
            LockGrant held = holder.lock(name).acquire();
            assertThat(waiter.lock(name).tryAcquire(Duration.ofMillis(200))).isEmpty();
            assertThat(r.outcomes).as("told before the caller saw the result").containsExactly("LOCK " + name + " GRANTED", "LOCK " + name + " TIMED_OUT");

            CompletableFuture<LockGrant> pending = waiter.lock(name).acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.LOCK, name)).hasSize(2));
            assertThat(pending.cancel(true)).isTrue();
            await().untilAsserted(() -> assertThat(r.outcomes).endsWith("LOCK " + name + " CANCELLED"));
            await().untilAsserted(() -> assertThat(entries(Primitive.LOCK, name)).hasSize(1));
            assertThat(coord.stats().held(Primitive.LOCK)).as("only the holder's grant").isEqualTo(1);
            held.release();
            assertHeldNotNegative(coord);
        }
        awaitNothingHeld(coord);
        assertThat(r.outcomes).as("exactly one outcome per acquisition")
                .containsExactly("LOCK " + name + " GRANTED", "LOCK " + name + " TIMED_OUT", "LOCK " + name + " CANCELLED");
        assertThat(r.negativeWaits).hasValue(0);
    }

    @Test
    void anAsynchronousGrantIsToldBeforeItsFutureCompletes() throws Exception {
        Recorder r = observe(coord);
        String name = unique("obs-async");
        try (Session s = session()) {
            AtomicReference<List<String>> seenOnCompletion = new AtomicReference<>();
            CompletableFuture<LockGrant> granted = s.fairLock(name).acquireAsync();
            // On coord's event thread: only a snapshot (no blocking round trip there); released on this thread.
            CompletableFuture<LockGrant> seen = granted.whenComplete((g, e) -> seenOnCompletion.set(List.copyOf(r.outcomes)));
            LockGrant grant = join(seen);
            assertThat(seenOnCompletion.get()).containsExactly("FAIR_LOCK " + name + " GRANTED");
            grant.release();
        }
        assertThat(r.outcomes).hasSize(1);
        awaitNothingHeld(coord);
    }

    @Test
    void aWaiterWhoseSessionIsClosedEndsSessionClosed() throws Exception {
        Recorder r = observe(coord);
        String name = unique("obs-dead");
        try (Session holder = session()) {
            LockGrant held = holder.fairLock(name).acquire();
            Session waiter = session();
            CompletableFuture<LockGrant> pending = waiter.fairLock(name).acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.FAIR_LOCK, name)).hasSize(2));
            waiter.close();
            await().until(pending::isDone);
            await().untilAsserted(() -> assertThat(r.outcomes).containsExactly(
                    "FAIR_LOCK " + name + " GRANTED", "FAIR_LOCK " + name + " SESSION_CLOSED"));
            held.release();
        }
        assertThat(r.outcomes).hasSize(2);
    }

    @Test
    void aGrantAndALeadershipLostWithTheirSessionAreReportedWithTheReason() throws Exception {
        Recorder r = observe(coord);
        String lock = unique("obs-lost");
        String election = unique("obs-elect");
        Session s = session();
        s.lock(lock).acquire();
        Leadership leading = s.election(election).campaign("a");
        assertThat(coord.stats().held(Primitive.LOCK)).isEqualTo(1);
        assertThat(coord.stats().held(Primitive.ELECTION)).isEqualTo(1);
        s.close();
        assertThat(join(leading.whenLost())).isEqualTo(LossReason.SESSION_CLOSED);
        await().untilAsserted(() -> assertThat(r.lostEvents()).containsExactlyInAnyOrder(
                "lost LOCK " + lock + " SESSION_CLOSED", "lost ELECTION " + election + " SESSION_CLOSED"));
        assertThat(coord.stats().held(Primitive.LOCK)).as("lost: no longer held").isZero();
        assertThat(coord.stats().held(Primitive.ELECTION)).isZero();
        assertThat(r.heldAtLoss).as("no longer counted as held when the loss is reported").containsExactly(0L, 0L);
        assertThat(r.outcomes).containsExactly("LOCK " + lock + " GRANTED", "ELECTION " + election + " GRANTED");
    }

    @Test
    void aGrantOfACrashedSessionIsLostAsExpired() throws Exception {
        CrashableClient doomedClient = crashable();
        Coordinator doomedCoord = doomedClient.coordinator();
        Recorder r = observe(doomedCoord);
        String name = unique("obs-crash");
        Session doomed = doomedCoord.openSession(backend.shortTtl());
        List<String> heard = new CopyOnWriteArrayList<>();
        doomed.addListener((session, previous, current) -> heard.add(previous + "->" + current));
        LockGrant grant = doomed.lock(name).acquire();
        assertThat(doomedCoord.stats().held(Primitive.LOCK)).isEqualTo(1);
        doomedClient.crash();
        assertThat(join(grant.whenLost())).isEqualTo(LossReason.SESSION_EXPIRED);
        await().untilAsserted(() -> assertThat(r.lostEvents()).containsExactly("lost LOCK " + name + " SESSION_EXPIRED"));
        await().untilAsserted(() -> assertThat(r.events).filteredOn(e -> e.startsWith(doomed.id() + " ") && e.endsWith("->EXPIRED"))
                .as("the expiry is reported once").hasSize(1));
        assertChain(r, doomed.id(), SessionState.EXPIRED);
        List<String> observed = r.events.stream().filter(e -> e.startsWith(doomed.id() + " ")).map(e -> e.substring(doomed.id().length() + 1)).toList();
        await().untilAsserted(() -> assertThat(heard).as("the session's listener hears the same chain, once each, in order")
                .isEqualTo(observed));
        assertThat(r.heldAtLoss).as("no longer counted as held when the loss is reported").containsExactly(0L);
        assertThat(doomedCoord.stats().held(Primitive.LOCK)).isZero();
        assertThat(doomedCoord.stats().held(Primitive.SESSION)).isZero();
        doomed.close();
        try (Session next = session()) { // the lock passes on (and a backend that reaps dead entries on read does so)
            next.lock(name).tryAcquire(patience()).orElseThrow().release();
        }
        assertThat(r.outcomes).as("the crashed coordinator saw its own acquisition only").containsExactly("LOCK " + name + " GRANTED");
    }

    @Test
    void sessionsAreReportedOpenedRenewedAndClosed() throws Exception {
        Recorder r = observe(coord);
        Session s = session(backend.shortTtl());
        await().untilAsserted(() -> assertThat(r.renewals.get()).as("renewals reported").isGreaterThanOrEqualTo(2));
        s.close();
        // A slow renewal on a busy machine may add ACTIVE<->SUSPENDED toggles: only the chain's ends are fixed.
        await().untilAsserted(() -> assertThat(r.events).first().isEqualTo("opened " + s.id()));
        await().untilAsserted(() -> assertThat(r.events).filteredOn(e -> e.endsWith("->CLOSED")).hasSize(1));
        assertChain(r, s.id(), SessionState.CLOSED);
    }

    @Test
    void aCampaignIsOneOutcomeAndLeadershipIsCountedUntilResigned() throws Exception {
        Recorder r = observe(coord);
        String name = unique("obs-campaign");
        try (Session a = session(); Session b = session()) {
            Leadership leader = a.election(name).campaign("a");
            assertThat(coord.stats().held(Primitive.ELECTION)).isEqualTo(1);
            Optional<Leadership> second = b.election(name).campaign("b", Duration.ofMillis(200));
            assertThat(second).isEmpty();
            leader.resign();
            assertThat(coord.stats().held(Primitive.ELECTION)).isZero();
        }
        await().untilAsserted(() -> assertThat(r.outcomes).containsExactly("ELECTION " + name + " GRANTED", "ELECTION " + name + " TIMED_OUT"));
        assertThat(r.lostEvents()).as("a resigned leadership is not lost").isEmpty();
        awaitNothingHeld(coord);
    }

    @Test
    void aThrowingObserverBreaksNothingAndARemovedOneIsToldNothingMore() throws Exception {
        AtomicInteger thrown = new AtomicInteger();
        coord.addObserver(new CoordObserver() {
            @Override
            public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
                thrown.incrementAndGet();
                throw new IllegalStateException("an observer's own bug");
            }
        });
        Recorder kept = observe(coord);
        Recorder removed = new Recorder();
        Subscription subscription = coord.addObserver(removed);
        String name = unique("obs-removed");
        int eventsAtClose;
        try (Session s = session()) {
            s.lock(name).acquire().release();
            await().untilAsserted(() -> assertThat(removed.outcomes).hasSize(1));
            subscription.close();
            subscription.close(); // idempotent
            eventsAtClose = removed.events.size(); // "opened", maybe ACTIVE<->SUSPENDED toggles of a slow renewal
            s.lock(name).acquire().release();
        }
        await().untilAsserted(() -> assertThat(kept.outcomes).hasSize(2));
        assertThat(thrown).as("the throwing observer was still told").hasValue(2);
        assertThat(removed.outcomes).as("nothing after close").hasSize(1);
        assertThat(removed.events).as("not the session's close either").hasSize(eventsAtClose)
                .noneMatch(e -> e.endsWith("->CLOSED"));
    }

    @Test
    void anObserverThrowingAnErrorOnEveryEventHangsNothing() throws Exception {
        AtomicInteger told = new AtomicInteger();
        coord.addObserver(new CoordObserver() {
            private void fail() {
                told.incrementAndGet();
                throw new AssertionError("an observer's Error");
            }

            @Override
            public void sessionOpened(String sessionId) {
                fail();
            }

            @Override
            public void sessionStateChanged(String sessionId, SessionState previous, SessionState current) {
                fail();
            }

            @Override
            public void renewed(String sessionId, Duration latency) {
                fail();
            }

            @Override
            public void renewalFailed(String sessionId, Duration latency, Class<? extends Throwable> error) {
                fail();
            }

            @Override
            public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
                fail();
            }

            @Override
            public void lost(Primitive primitive, String name, LossReason reason) {
                fail();
            }
        });
        Recorder r = observe(coord);
        String name = unique("obs-error");
        Session holder = session();
        LockGrant grant = holder.lock(name).acquire();
        try (Session waiter = session()) {
            assertThat(waiter.lock(name).tryAcquire(Duration.ofMillis(200))).as("a timed-out acquire still returns").isEmpty();
            CompletableFuture<LockGrant> pending = waiter.lock(name).acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.LOCK, name)).hasSize(2));
            grant.release();
            join(pending).release();
        }
        LockGrant lostOne = holder.lock(name).acquire();
        holder.close();
        assertThat(join(holder.whenEnded())).isEqualTo(SessionState.CLOSED);
        assertThat(join(lostOne.whenLost())).as("a loss is still signalled").isEqualTo(LossReason.SESSION_CLOSED);
        await().untilAsserted(() -> assertThat(r.outcomes).containsExactly("LOCK " + name + " GRANTED", "LOCK " + name + " TIMED_OUT",
                "LOCK " + name + " GRANTED", "LOCK " + name + " GRANTED"));
        assertThat(r.lostEvents()).containsExactly("lost LOCK " + name + " SESSION_CLOSED");
        assertChain(r, holder.id(), SessionState.CLOSED);
        assertThat(told.get()).as("the failing observer was told everything the recorder was").isGreaterThanOrEqualTo(r.outcomes.size() + 1);
        awaitNothingHeld(coord);
    }

    @Test
    void anObserverMayCloseItsOwnSubscriptionFromWithin() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicReference<Subscription> self = new AtomicReference<>();
        CompletableFuture<Void> closedWithin = new CompletableFuture<>();
        self.set(coord.addObserver(new CoordObserver() {
            @Override
            public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
                calls.incrementAndGet();
                self.get().close(); // on the reporting thread, from within its own call: must not wait for itself
                closedWithin.complete(null);
            }
        }));
        Recorder r = observe(coord);
        String name = unique("obs-self-close");
        try (Session s = session()) {
            s.lock(name).acquire().release();
            join(closedWithin);
            s.lock(name).acquire().release();
        }
        await().untilAsserted(() -> assertThat(r.outcomes).hasSize(2));
        assertThat(calls).as("told once, then removed by itself").hasValue(1);
    }

    @Test
    void anInterruptedBlockedAcquireEndsCancelled() throws Exception {
        Recorder r = observe(coord);
        String name = unique("obs-interrupt");
        try (Session holder = session(); Session waiter = session()) {
            LockGrant held = holder.lock(name).acquire();
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread blocked = new Thread(() -> {
                try {
                    waiter.lock(name).acquire().release();
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            }, "obs-interrupted-waiter");
            blocked.start();
            await().untilAsserted(() -> assertThat(entries(Primitive.LOCK, name)).hasSize(2));
            blocked.interrupt();
            assertThat(join(outcome)).isInstanceOf(InterruptedException.class);
            blocked.join();
            assertThat(r.outcomes).as("told before the interrupt returned")
                    .containsExactly("LOCK " + name + " GRANTED", "LOCK " + name + " CANCELLED");
            assertThat(entries(Primitive.LOCK, name)).as("the waiter's entry is gone").hasSize(1);
            held.release();
        }
        awaitNothingHeld(coord);
    }

    @Test
    void grantsRacingACancelAreCountedExactlyOnce() throws Exception {
        Recorder r = observe(coord);
        String prefix = unique("obs-race");
        int attempts = 20;
        List<String> names = new ArrayList<>();
        try (Session s = session()) {
            for (int i = 0; i < attempts; i++) {
                String name = prefix + "-" + i;
                names.add(name);
                CompletableFuture<LockGrant> f = s.lock(name).acquireAsync();
                f.cancel(true); // the lock is free: the grant may win, lose, or tie with this cancel
            }
            await().untilAsserted(() -> assertThat(r.outcomes).hasSize(attempts));
            await().untilAsserted(() -> assertThat(coord.stats().held(Primitive.LOCK)).as("every raced grant released").isZero());
            for (String name : names) {
                await().untilAsserted(() -> assertThat(entries(Primitive.LOCK, name)).as("nothing left of %s", name).isEmpty());
            }
        }
        long granted = r.outcomes.stream().filter(o -> o.endsWith(" GRANTED")).count();
        long cancelled = r.outcomes.stream().filter(o -> o.endsWith(" CANCELLED")).count();
        assertThat(granted + cancelled).as("one outcome per attempt, each GRANTED or CANCELLED: %s", r.outcomes).isEqualTo(attempts);
        assertThat(r.lostEvents()).as("a released raced grant is not lost").isEmpty();
        assertThat(r.outcomes.stream().map(o -> o.split(" ")[1]).distinct().count()).as("one outcome per name").isEqualTo(attempts);
        awaitNothingHeld(coord);
    }

    @Test
    void anAcquisitionWhoseBackendIsCutOffEndsFailed() throws Exception {
        // A real backend failure: the client is cut off (CrashableClient) while its session is still valid, so the
        // enqueue request gets no reply and fails with the backend's request timeout (after its retries) before the
        // session expires.
        CrashableClient cutOff = crashable();
        Coordinator cutCoord = cutOff.coordinator();
        Recorder r = observe(cutCoord);
        String name = unique("obs-failed");
        // Long enough to outlast the backend's own request timeouts and retries (ZooKeeper retries a lost connection
        // for its connect timeout), short enough for the server to free the lease within the scenario's patience.
        Duration ttl = backend.longTtl().compareTo(Duration.ofSeconds(20)) > 0 ? backend.longTtl() : Duration.ofSeconds(20);
        Session s = cutCoord.openSession(ttl);
        cutOff.crash();
        CompletableFuture<LockGrant> attempt = s.lock(name).acquireAsync();
        await().until(attempt::isDone);
        Throwable cause = catchCause(attempt);
        if (s.grantedTtl().compareTo(ttl) < 0) {
            // The server capped the TTL (the kit's ZooKeeper grants at most 4 s, less than its client's retry budget):
            // the session ends before the request gives up, and that is the one outcome.
            assertThat(cause).isInstanceOf(SessionExpiredException.class);
            assertThat(r.outcomes).containsExactly("LOCK " + name + " SESSION_EXPIRED");
        } else {
            assertThat(cause).as("the request's failure, not the session's end").isInstanceOf(BackendUnavailableException.class);
            assertThat(r.outcomes).containsExactly("LOCK " + name + " FAILED");
        }
        assertThat(cutCoord.stats().held(Primitive.LOCK)).isZero();
    }

    private static Throwable catchCause(CompletableFuture<?> f) {
        try {
            f.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
