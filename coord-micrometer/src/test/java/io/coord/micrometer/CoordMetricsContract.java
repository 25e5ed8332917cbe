package io.coord.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.testkit.CrashableClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link CoordMetrics} exports, against one real backend (a subclass per backend): counts and tags after a
 * lock cycle, a timed-out, a cancelled and a session-ended acquisition, a grant lost with a closed or a crashed
 * session, an election campaign; names are tags only when opted in; close unbinds. After each test the server holds
 * nothing of the test's namespace but what the backend keeps for good.
 */
abstract class CoordMetricsContract {

    /** Opens a coordinator on {@code namespace}, as a separate process would. */
    abstract Coordinator open(String namespace);

    /** A coordinator on {@code namespace} the test can cut off from the server, as a crash would. */
    abstract CrashableClient openCrashable(String namespace);

    /** What the server holds of {@code namespace} that must be gone once every session is closed. */
    abstract Set<String> leftovers(String namespace);

    /** A TTL the server grants as asked, short enough to wait for an expiry. */
    abstract Duration shortTtl();

    /** The backend's name, as the {@code backend} tag carries it. */
    abstract String backend();

    String namespace;
    Coordinator coord;
    SimpleMeterRegistry registry;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void open() {
        namespace = "mm-" + UUID.randomUUID().toString().substring(0, 8);
        coord = closeLater(open(namespace));
        registry = new SimpleMeterRegistry();
    }

    @AfterEach
    void closeAndCheckTheServerIsClean() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        await().untilAsserted(() -> assertThat(leftovers(namespace)).as("left on the server under %s", namespace).isEmpty());
        registry.close();
    }

    <T extends AutoCloseable> T closeLater(T c) {
        toClose.add(c);
        return c;
    }

    static ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(20)).pollDelay(Duration.ZERO).atMost(Duration.ofSeconds(60));
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    CoordMetrics bound(CoordMetrics metrics) {
        metrics.bindTo(registry);
        return closeLater(metrics);
    }

    /** The series of one primitive and outcome without a name tag (a search by tags also finds the named ones). */
    Timer acquisitions(String primitive, String outcome) {
        return registry.get(CoordMetrics.ACQUISITIONS).tags("primitive", primitive, "outcome", outcome).timers().stream()
                .filter(t -> t.getId().getTag("name") == null).findFirst().orElseThrow();
    }

    Counter losses(String primitive, String reason) {
        return registry.get(CoordMetrics.LOSSES).tags("primitive", primitive, "reason", reason).counters().stream()
                .filter(c -> c.getId().getTag("name") == null).findFirst().orElseThrow();
    }

    double gauge(String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    double transitions(String from, String to) {
        return registry.get(CoordMetrics.SESSION_TRANSITIONS).tags("from", from, "to", to).counter().count();
    }

    /** Every meter name of {@code r} has one set of tag keys (as Prometheus requires); fails naming the offender. */
    static void assertOneTagKeySetPerName(MeterRegistry r) {
        Map<String, Set<Set<String>>> keys = new HashMap<>();
        for (Meter m : r.getMeters()) {
            keys.computeIfAbsent(m.getId().getName(), n -> new java.util.HashSet<>())
                    .add(m.getId().getTags().stream().map(Tag::getKey).collect(Collectors.toCollection(TreeSet::new)));
        }
        assertThat(keys).as("tag-key sets by meter name").allSatisfy((name, sets) -> assertThat(sets).as(name).hasSize(1));
    }

    /** The total count of every timer {@code name} (all tag values). */
    long totalCount(String name) {
        return registry.find(name).timers().stream().mapToLong(Timer::count).sum();
    }

    @Test
    void aLockCycleIsOneGrantedAcquisitionAndTheGaugesGoUpAndDown() throws Exception {
        bound(CoordMetrics.of(coord));
        assertThat(registry.find(CoordMetrics.ACQUISITIONS).timers()).as("every primitive × outcome, at zero before any event")
                .hasSize(5 * 6).allSatisfy(t -> assertThat(t.count()).isZero());
        assertOneTagKeySetPerName(registry);
        String name = unique("cycle");
        Session s = coord.openSession(Duration.ofSeconds(10));
        assertThat(gauge(CoordMetrics.SESSIONS_OPEN)).isEqualTo(1);
        LockGrant grant = s.lock(name).acquire();
        assertThat(gauge(CoordMetrics.GRANTS_HELD, "primitive", "lock")).isEqualTo(1);
        assertThat(gauge(CoordMetrics.GRANTS_HELD, "primitive", "fair_lock")).isZero();
        grant.release();
        assertThat(gauge(CoordMetrics.GRANTS_HELD, "primitive", "lock")).isZero();
        s.close();
        assertThat(gauge(CoordMetrics.SESSIONS_OPEN)).isZero();

        await().untilAsserted(() -> assertThat(acquisitions("lock", "granted").count()).isEqualTo(1));
        assertThat(totalCount(CoordMetrics.ACQUISITIONS)).as("one acquisition, one outcome").isEqualTo(1);
        assertThat(registry.get(CoordMetrics.ROUND_TRIPS).tags("primitive", "lock").functionCounter().count()).isPositive();
        assertThat(registry.get(CoordMetrics.SESSIONS_OPENED).counter().count()).isEqualTo(1);
        assertThat(transitions("active", "closed")).isEqualTo(1);
        assertThat(registry.find(CoordMetrics.LOSSES).counters()).as("a released grant is no loss")
                .allSatisfy(c -> assertThat(c.count()).isZero());
        assertOneTagKeySetPerName(registry);
        for (Meter m : registry.getMeters()) {
            assertThat(m.getId().getName()).startsWith("coord.");
            assertThat(m.getId().getBaseUnit()).as("no base unit repeated in the exported name: %s", m.getId())
                    .isIn(null, "seconds");
            assertThat(m.getId().getTag("backend")).isEqualTo(backend());
            assertThat(m.getId().getTag("namespace")).isEqualTo(namespace);
            assertThat(m.getId().getTag("name")).as("names are no tags by default: %s", m.getId()).isNull();
            for (Tag t : m.getId().getTags()) {
                if (!t.getKey().equals("namespace") && !t.getKey().equals("exception")) {
                    assertThat(t.getValue()).as("tag values are lower-case").isLowerCase();
                }
            }
        }
    }

    @Test
    void timedOutCancelledAndSessionEndedAcquisitionsAreCountedByOutcome() throws Exception {
        bound(CoordMetrics.of(coord));
        String name = unique("outcomes");
        Session holder = coord.openSession(Duration.ofSeconds(10));
        Session waiter = coord.openSession(Duration.ofSeconds(10));
        LockGrant held = holder.fairLock(name).acquire();

        assertThat(waiter.fairLock(name).tryAcquire(Duration.ofMillis(100))).isEmpty();
        await().untilAsserted(() -> assertThat(acquisitions("fair_lock", "timed_out").count()).isEqualTo(1));

        CompletableFuture<LockGrant> cancelled = waiter.fairLock(name).acquireAsync();
        cancelled.cancel(true); // whether its enqueue is answered yet or not, the entry is removed and it ends CANCELLED
        await().untilAsserted(() -> assertThat(acquisitions("fair_lock", "cancelled").count()).isEqualTo(1));

        CompletableFuture<LockGrant> orphaned = waiter.fairLock(name).acquireAsync();
        waiter.close();
        await().until(orphaned::isDone);
        await().untilAsserted(() -> assertThat(acquisitions("fair_lock", "session_closed").count()).isEqualTo(1));
        assertThat(acquisitions("fair_lock", "session_expired").count()).as("closed is not expired").isZero();

        held.release();
        holder.close();
        assertThat(acquisitions("fair_lock", "granted").count()).isEqualTo(1);
        assertThat(totalCount(CoordMetrics.ACQUISITIONS)).as("each of the four acquisitions ended once").isEqualTo(4);
        assertThat(acquisitions("fair_lock", "failed").count()).isZero();
    }

    @Test
    void aGrantLostWithItsClosedSessionIsCountedByReason() throws Exception {
        bound(CoordMetrics.of(coord));
        String name = unique("closed");
        Session s = coord.openSession(Duration.ofSeconds(10));
        LockGrant grant = s.lock(name).acquire();
        s.close();
        assertThat(grant.whenLost().get()).isNotNull();
        await().untilAsserted(() -> assertThat(losses("lock", "session_closed").count()).isEqualTo(1));
        assertThat(gauge(CoordMetrics.GRANTS_HELD, "primitive", "lock")).isZero();
        assertThat(losses("lock", "session_expired").count()).isZero();
    }

    @Test
    void aGrantOfACrashedSessionIsCountedAsLostToExpiry() throws Exception {
        CrashableClient crashable = closeLater(openCrashable(namespace));
        CoordMetrics metrics = CoordMetrics.of(crashable.coordinator());
        bound(metrics);
        String name = unique("crash");
        Session doomed = crashable.coordinator().openSession(shortTtl());
        LockGrant grant = doomed.lock(name).acquire();
        crashable.crash();
        await().until(() -> grant.whenLost().isDone());
        await().untilAsserted(() -> assertThat(losses("lock", "session_expired").count()).isEqualTo(1));
        await().untilAsserted(() -> assertThat(transitions("active", "expired") + transitions("suspended", "expired")).isEqualTo(1));
        assertThat(gauge(CoordMetrics.SESSIONS_OPEN)).isZero();
        assertThat(gauge(CoordMetrics.GRANTS_HELD, "primitive", "lock")).isZero();
        try (Session next = coord.openSession(Duration.ofSeconds(10))) { // the lock passes on; dead entries are reaped
            next.lock(name).tryAcquire(Duration.ofSeconds(60)).orElseThrow().release();
        }
    }

    @Test
    void anElectionCampaignIsCountedAndLeadershipIsAGauge() throws Exception {
        bound(CoordMetrics.of(coord));
        String name = unique("elect");
        try (Session a = coord.openSession(Duration.ofSeconds(10)); Session b = coord.openSession(Duration.ofSeconds(10))) {
            Leadership leader = a.election(name).campaign("a");
            assertThat(gauge(CoordMetrics.LEADERSHIPS_HELD)).isEqualTo(1);
            assertThat(b.election(name).campaign("b", Duration.ofMillis(100))).isEmpty();
            leader.resign();
            assertThat(gauge(CoordMetrics.LEADERSHIPS_HELD)).isZero();
        }
        await().untilAsserted(() -> assertThat(acquisitions("election", "granted").count()).isEqualTo(1));
        await().untilAsserted(() -> assertThat(acquisitions("election", "timed_out").count()).isEqualTo(1));
        assertThat(registry.get(CoordMetrics.ROUND_TRIPS).tags("primitive", "election").functionCounter().count()).isPositive();
        assertThat(losses("election", "session_closed").count()).as("resigned, not lost").isZero();
    }

    @Test
    void namesAreTagsOnlyWhenOptedInAndExtraTagsGoOnEveryMeter() throws Exception {
        bound(CoordMetrics.builder(coord).nameTag(true).tags("app", "billing").build());
        String name = unique("Named Lock/1");
        Session s = coord.openSession(Duration.ofSeconds(10));
        s.lock(name).acquire();
        s.close();
        await().untilAsserted(() -> assertThat(registry.get(CoordMetrics.ACQUISITIONS)
                .tags("primitive", "lock", "outcome", "granted", "name", name).timer().count()).isEqualTo(1));
        await().untilAsserted(() -> assertThat(registry.get(CoordMetrics.LOSSES)
                .tags("primitive", "lock", "reason", "session_closed", "name", name).counter().count()).isEqualTo(1));
        assertThat(registry.find(CoordMetrics.ACQUISITIONS).meters()).as("with the name tag, no series without a name")
                .allSatisfy(m -> assertThat(m.getId().getTag("name")).isNotNull());
        assertThat(registry.find(CoordMetrics.LOSSES).meters()).allSatisfy(m -> assertThat(m.getId().getTag("name")).isNotNull());
        assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("app")).isEqualTo("billing"));
        assertOneTagKeySetPerName(registry);
    }

    @Test
    void aPrometheusRegistryAcceptsEveryMeterWithAndWithoutTheNameTag() throws Exception {
        for (boolean named : new boolean[] {false, true}) {
            PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            List<String> refused = new CopyOnWriteArrayList<>();
            prometheus.config().onMeterRegistrationFailed((id, reason) -> refused.add(id + ": " + reason));
            CoordMetrics metrics = closeLater(CoordMetrics.builder(coord).nameTag(named).build());
            metrics.bindTo(prometheus);
            String name = unique("prom");
            Session s = coord.openSession(Duration.ofSeconds(10));
            s.lock(name).acquire();
            assertThat(s.fairLock(name).tryAcquire(Duration.ofSeconds(30))).isPresent();
            s.close();
            await().untilAsserted(() -> assertThat(prometheus.scrape()).contains("coord_losses_total{"));
            String scrape = prometheus.scrape();
            assertThat(refused).as("meters Prometheus refused (nameTag %s)", named).isEmpty();
            assertThat(scrape).contains("coord_acquisitions_seconds_count{").contains("coord_sessions_opened_total{")
                    .contains("coord_wakeups_total{").contains("coord_round_trips_total{")
                    .doesNotContain("coord_wakeups_wakeups").doesNotContain("_sessions_total").doesNotContain("losses_losses");
            assertThat(scrape.contains("name=\"" + name + "\"")).as("name tag exported only when on").isEqualTo(named);
            assertOneTagKeySetPerName(prometheus);
            metrics.close();
            assertThat(prometheus.getMeters()).isEmpty();
            prometheus.close();
        }
    }

    @Test
    void twoMetricsWithTheSameTagsOnOneRegistryAreRefusedAndADistinguishingTagFixesIt() throws Exception {
        CoordMetrics first = bound(CoordMetrics.of(coord));
        Coordinator other = closeLater(open(namespace)); // same backend and namespace: the same tags
        int before = registry.getMeters().size();
        CoordMetrics clash = closeLater(CoordMetrics.of(other));
        assertThatThrownBy(() -> clash.bindTo(registry)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("distinguishing tag");
        assertThat(registry.getMeters()).as("the refused bind registered nothing").hasSize(before);
        CoordMetrics distinct = bound(CoordMetrics.builder(other).tags("coordinator", "second").build());
        String name = unique("two");
        try (Session s = other.openSession(Duration.ofSeconds(10))) {
            s.lock(name).acquire().release();
        }
        Timer mine = registry.get(CoordMetrics.ACQUISITIONS).tags("primitive", "lock", "outcome", "granted", "coordinator", "second").timer();
        await().untilAsserted(() -> assertThat(mine.count()).isEqualTo(1));
        assertThat(registry.find(CoordMetrics.ACQUISITIONS).tags("primitive", "lock", "outcome", "granted").timers().stream()
                .filter(t -> t.getId().getTag("coordinator") == null).findFirst().orElseThrow().count())
                .as("the first coordinator's series is its own: it acquired nothing").isZero();
        distinct.close();
        assertThat(registry.find(CoordMetrics.SESSIONS_OPENED).counters()).as("closing one keeps the other's meters").hasSize(1);
        first.close();
        assertThat(registry.getMeters()).isEmpty();
    }

    @Test
    void closeRemovesTheMetersAndNothingIsCountedAfterwards() throws Exception {
        CoordMetrics metrics = bound(CoordMetrics.of(coord));
        SimpleMeterRegistry second = new SimpleMeterRegistry();
        metrics.bindTo(second);
        metrics.bindTo(second); // binding the same registry again changes nothing
        String name = unique("unbind");
        Session s = coord.openSession(Duration.ofSeconds(10));
        s.lock(name).acquire().release();
        Timer granted = acquisitions("lock", "granted");
        Timer grantedThere = second.get(CoordMetrics.ACQUISITIONS).tags("primitive", "lock", "outcome", "granted").timer();
        await().untilAsserted(() -> assertThat(granted.count()).isEqualTo(1));
        await().untilAsserted(() -> assertThat(grantedThere.count()).as("counted once per registry").isEqualTo(1));

        metrics.close();
        metrics.close(); // idempotent
        assertThat(registry.getMeters()).as("every meter removed").isEmpty();
        assertThat(second.getMeters()).isEmpty();
        s.lock(name).acquire().release();
        s.close();
        assertThat(granted.count()).as("no count after close").isEqualTo(1);
        assertThat(grantedThere.count()).isEqualTo(1);
        assertThatThrownBy(() -> metrics.bindTo(registry)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        second.close();
    }

    @Test
    void renewalsAreTimedByOutcome() throws Exception {
        bound(CoordMetrics.of(coord));
        try (Session s = coord.openSession(shortTtl())) {
            await().untilAsserted(() -> assertThat(registry.get(CoordMetrics.SESSION_RENEWALS)
                    .tags("outcome", "success", "exception", "none").timer().count()).isGreaterThanOrEqualTo(2));
            assertThat(registry.get(CoordMetrics.SESSIONS_OPENED).counter().count()).isEqualTo(1);
        }
        assertThat(transitions("active", "closed") + transitions("suspended", "closed")).as("closed once").isEqualTo(1);
    }

    @Test
    void badInputIsRejectedClearly() {
        assertThatThrownBy(() -> CoordMetrics.of(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("coordinator");
        assertThatThrownBy(() -> CoordMetrics.builder(coord).tags("app")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key, value pairs");
        assertThatThrownBy(() -> CoordMetrics.builder(coord).tags("app", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("tag value");
        assertThatThrownBy(() -> CoordMetrics.builder(coord).tags((Iterable<Tag>) null)).isInstanceOf(NullPointerException.class);
        CoordMetrics metrics = closeLater(CoordMetrics.of(coord));
        assertThatThrownBy(() -> metrics.bindTo(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("registry");
        Coordinator closed = open(namespace);
        closed.close();
        assertThatThrownBy(() -> CoordMetrics.of(closed).bindTo(registry)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(registry.getMeters()).as("a failed bind leaves no meter").isEmpty();
        assertThat(CoordMetrics.of(coord).toString()).contains(backend()).contains(namespace);
    }
}
