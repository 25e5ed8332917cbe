package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.AlreadyHeldException;
import io.coord.LossReason;
import io.coord.NotLeaderException;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionExpiredException;
import io.coord.Subscription;
import io.coord.election.Election;
import io.coord.election.Leader;
import io.coord.election.Leadership;
import io.coord.testkit.history.FencedMutexChecker;
import io.coord.testkit.history.History;
import io.coord.testkit.history.Operation;
import io.coord.testkit.history.Verdict;
import io.coord.testkit.register.FencedRegister;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Election rules: one leader at a time, increasing terms, hand-over, observation, proclaim, loss. */
public abstract class ElectionRules extends Scenario {

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected ElectionRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    @Test
    void theLeaderIsVisibleToEveryone() throws Exception {
        String name = unique("visible");
        assertThat(coord.election(name).leader()).isEmpty();
        try (Session s = session()) {
            Leadership l = s.election(name).campaign("alpha");
            assertThat(l.term()).isPositive();
            assertThat(l.isLeader()).isTrue();
            assertThat(l.value()).isEqualTo("alpha");
            Optional<Leader> seen = newCoordinator().election(name).leader();
            assertThat(seen).contains(new Leader(s.id(), "alpha", l.term()));
            l.resign();
            assertThat(l.isLeader()).isFalse();
            assertThat(coord.election(name).leader()).isEmpty();
            assertThat(entries(Primitive.ELECTION, name)).isEmpty();
        }
    }

    @Test
    void oneLeaderAtATimeWithStrictlyIncreasingTerms() throws Exception {
        int candidates = 3;
        int terms = 6;
        String name = unique("terms");
        FencedRegister register = new FencedRegister();
        History history = new History();
        ExecutorService pool = Executors.newFixedThreadPool(candidates);
        List<Session> sessions = new ArrayList<>();
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < candidates; i++) {
                Session s = newCoordinator().openSession(backend.longTtl());
                sessions.add(s);
                String process = "c" + i;
                Election e = s.election(name);
                runs.add(pool.submit(() -> {
                    History.Recorder rec = history.recorder(process, name);
                    for (int t = 0; t < terms; t++) {
                        rec.invoke(Operation.CAMPAIGN);
                        Leadership l = e.campaign(process + "/" + t);
                        rec.ok(Operation.CAMPAIGN, l.term());
                        long v = register.value();
                        assertThat(register.write(l.term(), process, v + 1).accepted()).isTrue();
                        rec.invoke(Operation.RESIGN);
                        l.resign();
                        rec.ok(Operation.RESIGN, l.term());
                    }
                    return null;
                }));
            }
            for (Future<?> r : runs) {
                r.get();
            }
        } finally {
            pool.shutdownNow();
            sessions.forEach(Session::close);
        }
        Verdict verdict = FencedMutexChecker.check(history);
        assertThat(verdict.violations()).as(verdict.describe()).isEmpty();
        assertThat(verdict.grants()).isEqualTo(candidates * terms);
        assertThat(register.value()).isEqualTo(candidates * terms);
        assertThat(register.rejectedCount()).isZero();
    }

    @Test
    void observersSeeTheCurrentStateThenEveryChangeIncludingNoLeader() throws Exception {
        String name = unique("observe");
        List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
        try (Subscription sub = newCoordinator().election(name).observe(seen::add); Session a = session(); Session b = session()) {
            await().untilAsserted(() -> assertThat(seen).containsExactly(Optional.empty()));
            Leadership la = a.election(name).campaign("a1");
            await().untilAsserted(() -> assertThat(seen).hasSize(2));
            la.proclaim("a2");
            await().untilAsserted(() -> assertThat(seen).hasSize(3));
            CompletableFuture<Leadership> next = b.election(name).campaignAsync("b1");
            await().untilAsserted(() -> assertThat(entries(Primitive.ELECTION, name)).hasSize(2));
            la.resign();
            Leadership lb = join(next);
            await().untilAsserted(() -> assertThat(seen).hasSize(4));
            lb.resign();
            await().untilAsserted(() -> assertThat(seen).hasSize(5));
            assertThat(seen).containsExactly(
                    Optional.empty(),
                    Optional.of(new Leader(a.id(), "a1", la.term())),
                    Optional.of(new Leader(a.id(), "a2", la.term())),
                    Optional.of(new Leader(b.id(), "b1", lb.term())),
                    Optional.empty());
            assertThat(lb.term()).isGreaterThan(la.term());
        }
    }

    @Test
    void aLateObserverFirstSeesTheCurrentLeaderAndCancellingStopsEvents() throws Exception {
        String name = unique("late");
        try (Session a = session()) {
            Leadership l = a.election(name).campaign("now");
            List<Optional<Leader>> seen = new CopyOnWriteArrayList<>();
            Subscription sub = coord.election(name).observe(seen::add);
            await().untilAsserted(() -> assertThat(seen).containsExactly(Optional.of(new Leader(a.id(), "now", l.term()))));
            sub.close();
            l.proclaim("later");
            l.resign();
            // Nothing may arrive after close: prove it by waiting for an unrelated observer to see the end state.
            List<Optional<Leader>> witness = new CopyOnWriteArrayList<>();
            try (Subscription w = coord.election(name).observe(witness::add)) {
                await().untilAsserted(() -> assertThat(witness).containsExactly(Optional.empty()));
            }
            assertThat(seen).hasSize(1);
        }
    }

    @Test
    void proclaimWorksOnlyForTheLeader() throws Exception {
        String name = unique("proclaim");
        try (Session a = session(); Session b = session()) {
            Leadership l = a.election(name).campaign("first");
            l.proclaim("second");
            assertThat(l.value()).isEqualTo("second");
            assertThat(coord.election(name).leader().map(Leader::value)).contains("second");
            l.resign();
            assertThatThrownBy(() -> l.proclaim("third")).isInstanceOf(NotLeaderException.class).hasMessageContaining(name);
            Leadership lb = b.election(name).campaign("b");
            assertThatThrownBy(() -> l.proclaim("stale")).isInstanceOf(NotLeaderException.class);
            assertThat(coord.election(name).leader().map(Leader::value)).contains("b");
            lb.resign();
        }
    }

    @Test
    void aLeaderWhoseSessionDiesIsToldAndReplaced() throws Exception {
        String name = unique("replace");
        CrashableClient doomedClient = crashable();
        Session doomed = doomedClient.coordinator().openSession(backend.shortTtl());
        Leadership old = doomed.election(name).campaign("old");
        try (Session b = session()) {
            CompletableFuture<Leadership> next = b.election(name).campaignAsync("new");
            doomedClient.crash();
            assertThat(join(old.whenLost())).isEqualTo(LossReason.SESSION_EXPIRED);
            assertThat(old.isLeader()).isFalse();
            Leadership lb = join(next);
            assertThat(lb.term()).isGreaterThan(old.term());
            assertThatThrownBy(() -> old.proclaim("zombie")).isInstanceOf(NotLeaderException.class);
            assertThatThrownBy(old::resign).isInstanceOf(NotLeaderException.class);
            assertThat(coord.election(name).leader().map(Leader::value)).contains("new");
            lb.resign();
        }
        doomed.close();
    }

    @Test
    void aCampaignNeverSucceedsOnADeadSession() throws Exception {
        String name = unique("deadcampaign");
        try (Session leader = session()) {
            Leadership l = leader.election(name).campaign("lead");
            CrashableClient doomedClient = crashable();
            Session doomed = doomedClient.coordinator().openSession(backend.shortTtl());
            CompletableFuture<Leadership> hopeless = doomed.election(name).campaignAsync("ghost");
            await().untilAsserted(() -> assertThat(entries(Primitive.ELECTION, name)).hasSize(2));
            doomedClient.crash();
            assertThatThrownBy(() -> join(hopeless)).hasCauseInstanceOf(SessionExpiredException.class);
            l.resign();
            await().untilAsserted(() -> assertThat(coord.election(name).leader()).isEmpty());
            assertThatThrownBy(() -> doomed.election(name).campaign("again")).isInstanceOf(SessionExpiredException.class);
            doomed.close();
        }
    }

    @Test
    void aTimedOutOrCancelledCampaignWithdraws() throws Exception {
        String name = unique("withdraw");
        try (Session a = session(); Session b = session(); Session c = session()) {
            Leadership l = a.election(name).campaign("a");
            assertThat(b.election(name).campaign("b", Duration.ofMillis(300))).isEmpty();
            assertThat(entries(Primitive.ELECTION, name)).hasSize(1);
            CompletableFuture<Leadership> cancelled = c.election(name).campaignAsync("c");
            await().untilAsserted(() -> assertThat(entries(Primitive.ELECTION, name)).hasSize(2));
            cancelled.cancel(true);
            await().untilAsserted(() -> assertThat(entries(Primitive.ELECTION, name)).hasSize(1));
            assertThatThrownBy(() -> a.election(name).campaign("again")).isInstanceOf(AlreadyHeldException.class);
            l.resign();
            assertThat(coord.election(name).leader()).as("nobody who gave up became leader").isEmpty();
        }
    }
}
