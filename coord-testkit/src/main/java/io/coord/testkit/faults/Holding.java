package io.coord.testkit.faults;

import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.semaphore.Permit;
import io.coord.shard.ShardListener;
import io.coord.shard.ShardOwnership;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** A grant, permit or leadership held by this JVM, seen through the same few questions (the term is the election's token). */
record Holding(long token, Supplier<Boolean> held, CompletableFuture<LossReason> lost, Runnable release) {

    static Holding take(Session s, HolderFaultRules.Held kind, String name) throws InterruptedException {
        return switch (kind) {
            case LOCK -> of(s.lock(name).acquire());
            case WRITE_LOCK -> of(s.readWriteLock(name).writeLock().acquire());
            case PERMIT -> {
                Permit p = s.semaphore(name, 1).acquire();
                yield new Holding(p.fencingToken(), p::isHeld, p.whenLost(), p::release);
            }
            case ELECTION -> {
                Leadership l = s.election(name).campaign("holder-" + ProcessHandle.current().pid());
                yield new Holding(l.term(), l::isLeader, l.whenLost(), l::resign);
            }
            case SHARD -> shard(s, name);
        };
    }

    /** Owns the one shard of group {@code name}: the group's oldest member does, so this waits for the members before. */
    private static Holding shard(Session s, String name) throws InterruptedException {
        CompletableFuture<Long> assigned = new CompletableFuture<>();
        ShardOwnership ownership = s.shards(name, "holder-" + ProcessHandle.current().pid() + "-" + s.id(), 1, new ShardListener() {
            @Override
            public void assigned(int shard, long fencingToken) {
                assigned.complete(fencingToken);
            }

            @Override
            public void revoked(int shard, boolean lost) {
            }
        });
        try {
            long token = assigned.get();
            return new Holding(token, () -> ownership.owned().containsKey(0), ownership.membership().whenLost(), ownership::close);
        } catch (ExecutionException e) {
            ownership.close();
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            ownership.close();
            throw e;
        }
    }

    private static Holding of(LockGrant g) {
        return new Holding(g.fencingToken(), g::isHeld, g.whenLost(), g::release);
    }

    static Primitive primitive(HolderFaultRules.Held kind) {
        return switch (kind) {
            case LOCK -> Primitive.LOCK;
            case WRITE_LOCK -> Primitive.READ_WRITE_LOCK;
            case PERMIT -> Primitive.SEMAPHORE;
            case ELECTION -> Primitive.ELECTION;
            case SHARD -> Primitive.LOCK;
        };
    }
}
