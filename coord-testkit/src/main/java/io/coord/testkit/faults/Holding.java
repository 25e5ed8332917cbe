package io.coord.testkit.faults;

import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.election.Leadership;
import io.coord.lock.LockGrant;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** A grant or leadership held by this JVM, seen through the same few questions (the term is the election's token). */
record Holding(long token, Supplier<Boolean> held, CompletableFuture<LossReason> lost, Runnable release) {

    static Holding take(Session s, HolderFaultRules.Held kind, String name) throws InterruptedException {
        if (kind == HolderFaultRules.Held.LOCK) {
            LockGrant g = s.lock(name).acquire();
            return new Holding(g.fencingToken(), g::isHeld, g.whenLost(), g::release);
        }
        Leadership l = s.election(name).campaign("parent");
        return new Holding(l.term(), l::isLeader, l.whenLost(), l::resign);
    }

    static Primitive primitive(HolderFaultRules.Held kind) {
        return kind == HolderFaultRules.Held.LOCK ? Primitive.LOCK : Primitive.ELECTION;
    }
}
