package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.Coordinator;
import io.coord.LockLostException;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.SessionExpiredException;
import io.coord.SessionState;
import io.coord.lock.LockGrant;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Lease rules: granted TTL, keep-alive, close, crash and expiry, validity deadline, listeners. */
public abstract class SessionRules extends Scenario {

    /**
     * These rules against the backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected SessionRules(Supplier<KitBackend> backend) {
        super(backend);
    }

    @Test
    void capabilitiesAreExactlyTheDeclaredOnes() {
        assertThat(coord.capabilities()).isEqualTo(backend.declaredCapabilities());
        assertThat(coord.namespace()).isEqualTo(namespace);
    }

    @Test
    void reportsTheGrantedTtl() {
        try (Session asked = session(backend.shortTtl())) {
            assertThat(asked.requestedTtl()).isEqualTo(backend.shortTtl());
            assertThat(asked.grantedTtl()).as("a legal TTL is granted as asked").isEqualTo(backend.shortTtl());
        }
        Duration tiny = Duration.ofMillis(100);
        try (Session clamped = session(tiny)) {
            assertThat(clamped.requestedTtl()).isEqualTo(tiny);
            assertThat(clamped.grantedTtl())
                    .as("below the server minimum the TTL is raised, and reported as raised")
                    .isGreaterThanOrEqualTo(tiny)
                    .isGreaterThanOrEqualTo(backend.minimumGrantedTtl());
            long left = clamped.validUntilNanos() - System.nanoTime();
            assertThat(left).as("validity never exceeds the granted TTL").isLessThanOrEqualTo(clamped.grantedTtl().toNanos());
        }
    }

    @Test
    void aHealthySessionOutlivesSeveralTtls() throws Exception {
        Duration ttl = backend.shortTtl();
        Session holder = session(ttl);
        List<SessionState> changes = new CopyOnWriteArrayList<>();
        holder.addListener((s, from, to) -> changes.add(to));
        String name = unique("outlive");
        LockGrant grant = holder.lock(name).acquire();
        long firstDeadline = holder.validUntilNanos();

        await().during(ttl.multipliedBy(3)).atMost(ttl.multipliedBy(3).plus(patience()))
                .until(() -> holder.state() == SessionState.ACTIVE && grant.isHeld());

        assertThat(holder.validUntilNanos()).as("renewals moved the deadline forward").isGreaterThan(firstDeadline);
        assertThat(holder.validUntilNanos() - System.nanoTime()).isLessThanOrEqualTo(holder.grantedTtl().toNanos());
        try (Session other = session()) {
            assertThat(other.lock(name).tryAcquire(Duration.ZERO)).as("the lock is still held after 3 TTLs").isEmpty();
        }
        assertThat(changes).as("no state change while healthy").isEmpty();
        grant.release();
        holder.close();
    }

    @Test
    void closeFreesEverythingAtOnce() throws Exception {
        Session holder = session(backend.longTtl());
        String name = unique("close");
        LockGrant grant = holder.lock(name).acquire();
        LockGrant fair = holder.fairLock(name).acquire();
        var leadership = holder.election(name).campaign("v");
        assertThat(entries(Primitive.LOCK, name)).hasSize(1);
        assertThat(entries(Primitive.FAIR_LOCK, name)).hasSize(1);
        assertThat(entries(Primitive.ELECTION, name)).hasSize(1);
        List<SessionState> changes = new CopyOnWriteArrayList<>();
        holder.addListener((s, from, to) -> changes.add(to));

        holder.close();

        // No waiting: close() revoked the lease before returning, so the server already holds nothing.
        assertThat(leftovers()).as("nothing of the closed session remains on the server").isEmpty();
        assertThat(holder.state()).isEqualTo(SessionState.CLOSED);
        try (Session next = session()) {
            assertThat(next.lock(name).tryAcquire(Duration.ZERO)).as("lock free at once").isPresent();
            assertThat(next.fairLock(name).tryAcquire(Duration.ZERO)).as("fair lock free at once").isPresent();
            assertThat(next.election(name).campaign("w", Duration.ZERO)).as("leadership free at once").isPresent();
        }
        assertThat(join(grant.whenLost())).isEqualTo(LossReason.SESSION_CLOSED);
        assertThat(join(fair.whenLost())).isEqualTo(LossReason.SESSION_CLOSED);
        assertThat(join(leadership.whenLost())).isEqualTo(LossReason.SESSION_CLOSED);
        assertThat(grant.isHeld()).isFalse();
        assertThatThrownBy(grant::release).isInstanceOf(LockLostException.class).hasMessageContaining("lost");
        await().untilAsserted(() -> assertThat(changes).containsExactly(SessionState.CLOSED));
        assertThat(join(holder.whenEnded())).isEqualTo(SessionState.CLOSED);
        holder.close(); // idempotent
    }

    @Test
    void aCrashedSessionExpiresAndItsLockPassesToTheWaiter() throws Exception {
        CrashableClient doomedClient = crashable();
        Session holder = doomedClient.coordinator().openSession(backend.shortTtl());
        List<SessionState> changes = new CopyOnWriteArrayList<>();
        holder.addListener((s, from, to) -> changes.add(to));
        String name = unique("crash");
        LockGrant grant = holder.lock(name).acquire();
        try (Session waiter = session()) {
            CompletableFuture<LockGrant> next = waiter.lock(name).acquireAsync();

            doomedClient.crash();
            long holderDeadline = holder.validUntilNanos();

            LockGrant taken = join(next);
            long grantedAt = System.nanoTime();
            assertThat(taken.fencingToken()).as("the next holder's token is greater").isGreaterThan(grant.fencingToken());
            assertThat(grantedAt).as("validUntil never lies late: the lock passed only after the holder's deadline")
                    .isGreaterThanOrEqualTo(holderDeadline);
            assertThat(join(grant.whenLost())).isEqualTo(LossReason.SESSION_EXPIRED);
            assertThat(grant.isHeld()).isFalse();
            await().until(() -> holder.state() == SessionState.EXPIRED);
            await().untilAsserted(() -> assertThat(changes).endsWith(SessionState.EXPIRED));
            assertThat(changes).as("expired is final and reported once").containsOnlyOnce(SessionState.EXPIRED);
            assertThatThrownBy(grant::release).isInstanceOf(LockLostException.class);
            assertThat(taken.isHeld()).as("the stale release did not disturb the new holder").isTrue();
            try (Session third = session()) {
                assertThat(third.lock(name).tryAcquire(Duration.ZERO)).isEmpty();
            }
            taken.release();
        }
        holder.close();
    }

    @Test
    void aWaiterWhoseSessionDiesFailsAndNeverGetsTheLock() throws Exception {
        String name = unique("deadwaiter");
        CrashableClient doomedClient = crashable();
        try (Session holder = session(); Session doomed = doomedClient.coordinator().openSession(backend.shortTtl());
             Session third = session()) {
            LockGrant held = holder.fairLock(name).acquire();
            CompletableFuture<LockGrant> dead = doomed.fairLock(name).acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.FAIR_LOCK, name)).hasSize(2));
            CompletableFuture<LockGrant> alive = third.fairLock(name).acquireAsync();
            await().untilAsserted(() -> assertThat(entries(Primitive.FAIR_LOCK, name)).hasSize(3));

            doomedClient.crash();

            assertThatThrownBy(() -> join(dead)).hasCauseInstanceOf(SessionExpiredException.class);
            held.release();
            LockGrant next = join(alive);
            assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
            assertThat(dead.isCompletedExceptionally()).isTrue();
            next.release();
        }
    }

    @Test
    void listenersSeeEveryChangeAndCanUnsubscribe() throws Exception {
        Session s = session();
        List<String> seen = new CopyOnWriteArrayList<>();
        var kept = s.addListener((x, from, to) -> seen.add(from + "->" + to));
        var dropped = s.addListener((x, from, to) -> seen.add("dropped " + to));
        dropped.close();
        s.close();
        await().untilAsserted(() -> assertThat(seen).containsExactly("ACTIVE->CLOSED"));
        kept.close();
    }

    @Test
    void useAfterCloseIsRejectedClearly() throws Exception {
        Session s = session();
        var lock = s.lock(unique("after"));
        s.close();
        assertThatThrownBy(() -> s.lock("x")).isInstanceOf(SessionExpiredException.class).hasMessageContaining("closed");
        assertThatThrownBy(lock::acquire).isInstanceOf(SessionExpiredException.class);
        assertThatThrownBy(() -> lock.tryAcquire(Duration.ZERO)).isInstanceOf(SessionExpiredException.class);
        CompletableFuture<?> f = null;
        try {
            f = lock.acquireAsync();
        } catch (SessionExpiredException expected) {
            // rejected at once: also fine
        }
        if (f != null) {
            CompletableFuture<?> failed = f;
            assertThatThrownBy(failed::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SessionExpiredException.class);
        }
        Coordinator other = newCoordinator();
        other.close();
        assertThatThrownBy(() -> other.openSession(backend.longTtl())).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> other.election("e")).isInstanceOf(IllegalStateException.class);
        other.close(); // idempotent
        assertThat(Optional.of(s.state())).contains(SessionState.CLOSED);
    }
}
