package io.coord.spi;

import io.coord.BackendUnavailableException;
import io.coord.CoordException;
import io.coord.Subscription;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import io.coord.group.Membership;
import io.coord.lock.LockGrant;
import io.coord.shard.ShardListener;
import io.coord.shard.ShardOwnership;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ShardOwnership} built on a {@link Membership}, the group's watch and one {@link io.coord.lock.FencedLock}
 * per shard; it works the same on every backend.
 *
 * <p>Who owns what: every decision runs in one serial task queue over the coordinator's worker pool (the "actor"),
 * which alone touches {@code pending}, {@code granted}, {@code closed} and calls the listener, so the listener is
 * called one at a time, in order, and may block. The group watch (on the event thread) only records the latest
 * snapshot and queues a reassignment; grants and losses arrive on the event thread and are queued likewise.
 * {@code owned} is a concurrent copy of the held grants, for {@link #owned()} from any thread.
 *
 * <p>Why it is safe: a shard is reported assigned only once its lock is granted, and a moved shard's lock is released
 * only after the listener's {@code revoked} returned; the lock itself lets no second session in while the first
 * holds it, and its fencing tokens increase. Views of the group that disagree for a moment only make a member wait
 * in a lock's queue until the views agree and it cancels.
 */
final class SessionShards implements ShardOwnership {

    private static final Logger log = LoggerFactory.getLogger(SessionShards.class);
    private static final long RETRY_MILLIS = 500;

    private final SessionBase session;
    private final String group;
    private final int shardCount;
    private final ShardListener listener;
    private final String metadata;
    private final Membership membership;
    private final Actor actor = new Actor();
    private final Map<Integer, LockGrant> owned = new ConcurrentHashMap<>();
    private volatile Set<Integer> assigned = Set.of();
    private volatile GroupSnapshot latest;
    private Subscription watch;

    // actor state
    private final Map<Integer, CompletableFuture<LockGrant>> pending = new HashMap<>();
    private final Set<String> otherCounts = new HashSet<>();
    private boolean closed;

    private SessionShards(SessionBase session, String group, int shardCount, ShardListener listener, Membership membership) {
        this.session = session;
        this.group = group;
        this.shardCount = shardCount;
        this.listener = listener;
        this.metadata = metadataFor(shardCount);
        this.membership = membership;
    }

    /** Joins the group (one round trip, on the caller's thread), then watches it; shards follow in the background. */
    static SessionShards start(SessionBase session, String group, String memberId, int shardCount, ShardListener listener) {
        Membership membership = session.join(group, memberId, metadataFor(shardCount));
        SessionShards shards = new SessionShards(session, group, shardCount, listener, membership);
        try {
            shards.watch = session.coordinator().group(group).watch(e -> {
                shards.latest = e.snapshot();
                shards.actor.execute(shards::reassign);
            });
        } catch (RuntimeException e) {
            membership.leave();
            throw e;
        }
        membership.whenLost().thenAccept(reason -> shards.actor.execute(() -> shards.stop(true)));
        return shards;
    }

    /** What a sharding member announces: its shard count, so that only members that agree share the shards. */
    static String metadataFor(int shardCount) {
        return "shards=" + shardCount;
    }

    @Override
    public String group() {
        return group;
    }

    @Override
    public int shardCount() {
        return shardCount;
    }

    @Override
    public Membership membership() {
        return membership;
    }

    @Override
    public Map<Integer, Long> owned() {
        Map<Integer, Long> now = new HashMap<>();
        owned.forEach((shard, grant) -> {
            if (grant.isHeld()) {
                now.put(shard, grant.fencingToken());
            }
        });
        return Map.copyOf(now);
    }

    @Override
    public Set<Integer> assigned() {
        return assigned;
    }

    @Override
    public void close() {
        if (actor.isCurrent()) {
            stop(false);
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        actor.execute(() -> {
            try {
                stop(false);
            } finally {
                done.complete(null);
            }
        });
        boolean interrupted = false;
        while (true) {
            try {
                done.get(); // bounded: every round trip in stop() is bounded by the operation timeout
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException e) {
                break; // not thrown: done completes normally
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ShardOwnership[group=" + group + ", member=" + membership.memberId() + ", shards=" + shardCount
                + ", owned=" + owned.keySet() + "]";
    }

    // ---- actor ------------------------------------------------------------------------------

    /** Computes this member's shards from the latest snapshot, then revokes, cancels and acquires to match. */
    private void reassign() {
        GroupSnapshot snapshot = latest;
        if (closed || snapshot == null) {
            return;
        }
        Member me = membership.member();
        List<Member> sharing = new ArrayList<>();
        for (Member m : snapshot.members()) {
            if (metadata.equals(m.metadata())) {
                sharing.add(m);
            } else if (otherCounts.add(m.id() + "\u0000" + m.metadata())) {
                log.warn("member '{}' of group '{}' announces '{}', not '{}': it gets no shards from this member's view",
                        m.id(), group, m.metadata(), metadata);
            }
        }
        sharing.sort(Comparator.comparingLong(Member::joinToken));
        List<String> ids = sharing.stream().map(Member::id).toList();
        int mine = -1;
        for (int i = 0; i < sharing.size(); i++) {
            if (sharing.get(i).id().equals(me.id()) && sharing.get(i).joinToken() == me.joinToken()) {
                mine = i;
            }
        }
        Set<Integer> want = mine < 0 ? Set.of() : ShardAssignment.compute(ids, shardCount).get(mine);
        assigned = want;
        for (Integer shard : new ArrayList<>(owned.keySet())) {
            if (!want.contains(shard)) {
                revokeAndRelease(shard);
            }
        }
        pending.entrySet().removeIf(p -> {
            if (want.contains(p.getKey())) {
                return false;
            }
            p.getValue().cancel(false); // the lock removes the queue entry and releases a grant that raced this
            return true;
        });
        if (!membership.isJoined()) {
            return;
        }
        for (Integer shard : want) {
            if (!owned.containsKey(shard) && !pending.containsKey(shard)) {
                acquire(shard);
            }
        }
    }

    private void acquire(int shard) {
        CompletableFuture<LockGrant> request;
        try {
            request = session.lock(ShardOwnership.lockName(group, shard)).acquireAsync();
        } catch (CoordException e) {
            log.debug("not acquiring shard {} of group '{}': {}", shard, group, e.toString());
            return;
        }
        pending.put(shard, request);
        request.whenComplete((grant, failure) -> actor.execute(() -> granted(shard, request, grant, failure)));
    }

    private void granted(int shard, CompletableFuture<LockGrant> request, LockGrant grant, Throwable failure) {
        if (pending.get(shard) != request) {
            return; // cancelled by a reassignment: the lock took care of a grant that raced the cancellation
        }
        pending.remove(shard);
        if (failure != null) {
            if (!closed && !(failure instanceof CancellationException) && membership.isJoined()) {
                log.warn("acquiring shard {} of group '{}' failed; retrying in {} ms", shard, group, RETRY_MILLIS, failure);
                session.coordinator().scheduler().schedule(() -> actor.execute(this::reassign), RETRY_MILLIS, TimeUnit.MILLISECONDS);
            }
            return;
        }
        if (closed || !assigned.contains(shard)) {
            release(shard, grant);
            return;
        }
        owned.put(shard, grant);
        grant.whenLost().thenAccept(reason -> actor.execute(() -> grantLost(shard, grant)));
        tell(() -> listener.assigned(shard, grant.fencingToken()), "assigned", shard);
    }

    private void grantLost(int shard, LockGrant grant) {
        if (!owned.remove(shard, grant)) {
            return;
        }
        tell(() -> listener.revoked(shard, true), "revoked", shard);
        reassign(); // acquires it again if it is still ours and the membership stands
    }

    /** The assignment moved: the listener is told, and only then is the lock released. */
    private void revokeAndRelease(int shard) {
        LockGrant grant = owned.remove(shard);
        boolean lost = !grant.isHeld(); // lost just now, its loss still queued: the next owner may be in already
        tell(() -> listener.revoked(shard, lost), "revoked", shard);
        if (!lost) {
            release(shard, grant);
        }
    }

    /** Releases a grant; one the server did not confirm is retried, so that the next owner is not kept waiting. */
    private void release(int shard, LockGrant grant) {
        try {
            grant.release();
        } catch (io.coord.LockLostException lost) {
            // lost meanwhile: nothing of ours is left to release
        } catch (BackendUnavailableException e) {
            if (membership.isJoined()) {
                log.warn("releasing shard {} of group '{}' failed; retrying in {} ms", shard, group, RETRY_MILLIS, e);
                session.coordinator().scheduler().schedule(() -> actor.execute(() -> {
                    release(shard, grant);
                    reassign(); // the shard may be ours again meanwhile: its lock is free to take now
                }), RETRY_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
    }

    /** Closes (lost == false: revoke, release, leave) or gives up after the membership was lost (revoke as lost). */
    private void stop(boolean lost) {
        if (closed) {
            return;
        }
        closed = true;
        assigned = Set.of();
        watch.close();
        pending.values().forEach(p -> p.cancel(false));
        pending.clear();
        for (Integer shard : new ArrayList<>(owned.keySet())) {
            LockGrant grant = owned.remove(shard);
            boolean held = grant.isHeld();
            tell(() -> listener.revoked(shard, lost || !held), "revoked", shard);
            if (held) {
                release(shard, grant);
            }
        }
        if (!lost) {
            try {
                membership.leave();
            } catch (BackendUnavailableException e) {
                log.warn("leaving group '{}' failed; the member goes with its session", group, e);
            }
        }
    }

    private void tell(Runnable call, String what, int shard) {
        try {
            call.run();
        } catch (RuntimeException | Error e) {
            log.warn("the shard listener of group '{}' threw in {}({}); shards go on", group, what, shard, e);
        }
    }

    /** A serial task queue over the worker pool: tasks run one at a time, in order; {@link #isCurrent} tells if inside one. */
    private final class Actor {
        private final Queue<Runnable> tasks = new ArrayDeque<>();
        private boolean running;
        private volatile Thread runner;

        void execute(Runnable task) {
            synchronized (tasks) {
                tasks.add(task);
                if (running) {
                    return;
                }
                running = true;
            }
            session.coordinator().workers().execute(this::drain);
        }

        boolean isCurrent() {
            return runner == Thread.currentThread();
        }

        private void drain() {
            runner = Thread.currentThread();
            while (true) {
                Runnable task;
                synchronized (tasks) {
                    task = tasks.poll();
                    if (task == null) {
                        runner = null;
                        running = false;
                        return;
                    }
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("shards of group '{}': an internal step failed", group, e);
                }
            }
        }
    }
}
