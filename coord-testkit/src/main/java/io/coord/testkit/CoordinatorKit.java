package io.coord.testkit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The conformance suite every coord backend passes. Subclass it once per server topology and
 * return a {@link KitBackend}; each {@code @Nested} group holds the rules of one primitive and
 * every rule is a test that can fail:
 *
 * <ul>
 *   <li>{@link SessionRules} — granted TTL reported, healthy sessions outlive several TTLs, close
 *       frees everything at once, a crashed session expires and its lock passes on, loss signals
 *       and listeners fire, {@code validUntil} never lies late, waiters of dead sessions fail;</li>
 *   <li>{@link LockRules} (lock and fair lock) — increasing tokens, mutual exclusion under
 *       contention checked by a fenced register and the history checker, timed/interrupted/
 *       cancelled acquires leave nothing, double release, release from any thread, no
 *       re-entrance, release after loss, safe names;</li>
 *   <li>{@link FairLockRules} — grant order is enqueue order, leavers keep the order, wake-ups per
 *       release stay constant from 1 to 20 waiters;</li>
 *   <li>{@link SemaphoreRules} — at most N live permits, slots unique (a fenced mutex each, history-checked) and
 *       the lowest free, record order, one wake-up per release, hygiene, a dead holder's permit passed on only after
 *       its lease, a clear error for another number of permits;</li>
 *   <li>{@link ReadWriteLockRules} — readers share, writers overlap nothing, no writer starvation, write tokens
 *       exceed every earlier grant's, the other mode fails at once, hygiene and loss;</li>
 *   <li>{@link GroupRules} — members visible with session, join token and metadata, guarded one-round-trip writes,
 *       one live session per member id, a watch's snapshot then every change in server order, dead members
 *       reported gone, closed sessions' members gone at once, absence alerts;</li>
 *   <li>{@link ElectionRules} — one leader at a time with increasing terms, hand-over, observers
 *       see every change including "no leader", proclaim only by the leader, dead leaders are
 *       told and replaced, campaigns never succeed on dead sessions;</li>
 *   <li>{@link PendingWaitRules} — a thousand pending acquisitions hold no thread of their own, and
 *       cancelling them all leaves only the holders' entries;</li>
 *   <li>{@link VirtualThreadRules} — the blocking API from many more virtual threads than carriers: every caller
 *       gets its turn, with the same exclusion, tokens and hygiene (Java 21+; CI runs them on Java 25);</li>
 *   <li>{@link ObserverRules} — observers are told one outcome per acquisition, what is held, what was lost and
 *       why, and nothing once removed;</li>
 *   <li>{@link BadInputRules} — a table of invalid calls, each with its error and message.</li>
 * </ul>
 *
 * After every scenario the kit checks that the namespace on the server holds only what the
 * backend declares permanent and that no coord client thread is left running.
 */
public abstract class CoordinatorKit {

    /**
     * The backend under test; called once per scenario, usually returning a shared instance.
     *
     * @return the backend
     */
    protected abstract KitBackend backend();

    @Nested
    @DisplayName("sessions")
    class Sessions extends SessionRules {
        Sessions() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("locks")
    class Locks extends LockRules {
        Locks() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("fair locks")
    class FairLocks extends FairLockRules {
        FairLocks() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("semaphores")
    class Semaphores extends SemaphoreRules {
        Semaphores() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("read-write locks")
    class ReadWriteLocks extends ReadWriteLockRules {
        ReadWriteLocks() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("groups")
    class Groups extends GroupRules {
        Groups() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("shards")
    class Shards extends ShardRules {
        Shards() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("elections")
    class Elections extends ElectionRules {
        Elections() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("pending waits")
    class PendingWaits extends PendingWaitRules {
        PendingWaits() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("virtual threads")
    class VirtualThreads extends VirtualThreadRules {
        VirtualThreads() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("observers")
    class Observers extends ObserverRules {
        Observers() {
            super(CoordinatorKit.this::backend);
        }
    }

    @Nested
    @DisplayName("bad input")
    class BadInput extends BadInputRules {
        BadInput() {
            super(CoordinatorKit.this::backend);
        }
    }
}
