package io.coord.testkit.history;

import static io.coord.testkit.history.Operation.ACQUIRE;
import static io.coord.testkit.history.Operation.RELEASE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.testkit.register.FencedRegister;
import java.util.List;
import org.junit.jupiter.api.Test;

class RegisterCheckerTest {

    @Test
    void writesUnderGrantedTokensAreConsistentAndStaleOnesAreCounted() {
        History h = new History();
        FencedRegister reg = new FencedRegister();
        History.Recorder p1 = h.recorder("p1", "lock");
        History.Recorder p2 = h.recorder("p2", "lock");
        p1.invoke(ACQUIRE);
        p1.ok(ACQUIRE, 1, System.nanoTime() + 60_000_000_000L);
        assertTrue(reg.write(1, "p1", 1).accepted());
        assertTrue(reg.write(1, "p1", 2).accepted());
        p2.invoke(ACQUIRE);
        p1.lost(1, "paused past its lease");
        p2.ok(ACQUIRE, 2);
        assertTrue(reg.write(2, "p2", 3).accepted());
        assertFalse(reg.write(1, "p1", 99).accepted()); // the resumed stale holder
        p2.invoke(RELEASE);
        p2.ok(RELEASE);

        Verdict mutex = FencedMutexChecker.check(h);
        assertTrue(mutex.ok(), mutex::describe);
        RegisterVerdict v = RegisterChecker.check(mutex, reg);
        assertTrue(v.ok(), v::describe);
        assertEquals(3, v.acceptedWrites());
        assertEquals(1, v.staleWritesRejected());
        assertEquals(0, v.acceptedAfterBeliefEnd());
        assertTrue(RegisterChecker.check(mutex, "lock", reg).ok());
    }

    @Test
    void acceptedWriteWithATokenNoGrantCarriesIsAViolation() {
        Timeline t = new Timeline().acquire(0, "p1", 1).release(10, "p1");
        FencedRegister reg = new FencedRegister();
        reg.write(1, "p1", 1);
        reg.write(7, "intruder", 2);
        RegisterVerdict v = RegisterChecker.check(t.check(), reg);
        assertEquals(1, v.violations().size(), v::describe);
        Violation u = v.violations().get(0);
        assertEquals(Violation.Kind.UNKNOWN_TOKEN, u.kind());
        assertEquals("intruder", u.process());
        assertTrue(u.message().contains("token 7") && u.message().contains("intruder"), u.message());
    }

    @Test
    void grantsOfAnotherKeyDoNotCount() {
        Timeline t = new Timeline("a").acquire(0, "p1", 1).release(10, "p1");
        FencedRegister reg = new FencedRegister();
        reg.write(1, "p1", 1);
        assertTrue(RegisterChecker.check(t.check(), "a", reg).ok());
        RegisterVerdict other = RegisterChecker.check(t.check(), "b", reg);
        assertEquals(1, other.violations().size(), other::describe);
        assertTrue(other.violations().get(0).message().contains("'b'"));
    }

    @Test
    void decreasingAcceptedTokensAreAViolation() {
        // A broken register (or a write log assembled elsewhere): token 2 accepted after token 3.
        Verdict mutex = new Timeline().acquire(0, "p1", 2).release(5, "p1")
                .acquire(10, "p2", 3).release(15, "p2").check();
        List<FencedRegister.Write> writes = List.of(
                new FencedRegister.Write(1, "p1", 2, "1", Timeline.at(2)),
                new FencedRegister.Write(2, "p2", 3, "2", Timeline.at(12)),
                new FencedRegister.Write(3, "p1", 2, "3", Timeline.at(20)));
        RegisterVerdict v = RegisterChecker.check(mutex, null, writes, 0);
        assertEquals(1, v.violations().size(), v::describe);
        Violation o = v.violations().get(0);
        assertEquals(Violation.Kind.REGISTER_ORDER, o.kind());
        assertTrue(o.message().contains("token 2") && o.message().contains("token 3")
                && o.message().contains("+20.000ms"), o.message());
        assertEquals(1, v.acceptedAfterBeliefEnd()); // write #3 came after p1's release at 5
    }

    @Test
    void acceptedWritesAfterTheHoldEndedAreCounted() {
        History h = new History();
        History.Recorder p1 = h.recorder("p1", "lock");
        FencedRegister reg = new FencedRegister();
        p1.invoke(ACQUIRE);
        p1.ok(ACQUIRE, 5);
        reg.write(5, "p1", 1);          // while holding
        p1.invoke(RELEASE);
        p1.ok(RELEASE);
        reg.write(5, "p1", 2);          // after releasing: accepted (no newer token yet), counted
        RegisterVerdict v = RegisterChecker.check(FencedMutexChecker.check(h), reg);
        assertTrue(v.ok(), v::describe);
        assertEquals(1, v.acceptedAfterBeliefEnd());
    }
}
