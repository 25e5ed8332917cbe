package io.coord.testkit.faults;

import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import io.coord.semaphore.Permit;
import java.util.concurrent.CompletableFuture;
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
        };
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
        };
    }
}
