package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.AcquisitionOutcome;
import io.coord.CoordObserver;
import io.coord.Coordinator;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.Subscription;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The observer hook ({@link Coordinator#addObserver}): every acquisition and campaign ends in exactly one
 * {@link AcquisitionOutcome}, what is held is counted up and down ({@link io.coord.CoordStats#held}), a lost grant
 * is reported with its reason, session changes are reported, an observer that throws breaks nothing, and a removed
 * observer is told nothing more. Counts only, never timings.
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

        @Override
        public void sessionOpened(Session session) {
            events.add("opened " + session.id());
        }

        @Override
        public void sessionStateChanged(Session session, SessionState previous, SessionState current) {
            events.add(session.id() + " " + previous + "->" + current);
        }

        @Override
        public void renewed(Session session, Duration latency) {
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
            events.add("lost " + primitive + " " + name + " " + reason);
        }

        List<String> lostEvents() {
            return events.stream().filter(e -> e.startsWith("lost ")).toList();
        }
    }

    private Recorder observe(Coordinator c) {
        Recorder r = new Recorder();
        c.addObserver(r);
        return r;
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
        }
        assertThat(r.outcomes).as("exactly one outcome per acquisition")
                .containsExactly("LOCK " + name + " GRANTED", "LOCK " + name + " TIMED_OUT", "LOCK " + name + " CANCELLED");
        assertThat(r.negativeWaits).hasValue(0);
    }

    @Test
    void anAsynchronousGrantIsToldBeforeItsFutureCompletes() throws Exception {
        Recorder r = observe(coord);
        String name = unique("obs-async");
        try (Session s = session()) {
            CompletableFuture<List<String>> seenOnCompletion = s.fairLock(name).acquireAsync()
                    .thenApply(grant -> {
                        List<String> seen = List.copyOf(r.outcomes);
                        grant.release();
                        return seen;
                    });
            assertThat(join(seenOnCompletion)).containsExactly("FAIR_LOCK " + name + " GRANTED");
        }
        assertThat(r.outcomes).hasSize(1);
    }

    @Test
    void aWaiterWhoseSessionIsClosedEndsSessionExpired() throws Exception {
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
                    "FAIR_LOCK " + name + " GRANTED", "FAIR_LOCK " + name + " SESSION_EXPIRED"));
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
        assertThat(r.outcomes).containsExactly("LOCK " + lock + " GRANTED", "ELECTION " + election + " GRANTED");
    }

    @Test
    void aGrantOfACrashedSessionIsLostAsExpired() throws Exception {
        CrashableClient doomedClient = crashable();
        Coordinator doomedCoord = doomedClient.coordinator();
        Recorder r = observe(doomedCoord);
        String name = unique("obs-crash");
        Session doomed = doomedCoord.openSession(backend.shortTtl());
        LockGrant grant = doomed.lock(name).acquire();
        assertThat(doomedCoord.stats().held(Primitive.LOCK)).isEqualTo(1);
        doomedClient.crash();
        assertThat(join(grant.whenLost())).isEqualTo(LossReason.SESSION_EXPIRED);
        await().untilAsserted(() -> assertThat(r.lostEvents()).containsExactly("lost LOCK " + name + " SESSION_EXPIRED"));
        await().untilAsserted(() -> assertThat(r.events).filteredOn(e -> e.startsWith(doomed.id() + " ") && e.endsWith("->EXPIRED"))
                .as("the expiry is reported once").hasSize(1));
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
        await().untilAsserted(() -> assertThat(r.events).containsExactly("opened " + s.id(), s.id() + " ACTIVE->CLOSED"));
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
        try (Session s = session()) {
            s.lock(name).acquire().release();
            await().untilAsserted(() -> assertThat(removed.outcomes).hasSize(1));
            subscription.close();
            subscription.close(); // idempotent
            s.lock(name).acquire().release();
        }
        await().untilAsserted(() -> assertThat(kept.outcomes).hasSize(2));
        assertThat(thrown).as("the throwing observer was still told").hasValue(2);
        assertThat(removed.outcomes).as("nothing after close").hasSize(1);
        assertThat(removed.events).as("not the session's close either").hasSize(1);
    }
}
