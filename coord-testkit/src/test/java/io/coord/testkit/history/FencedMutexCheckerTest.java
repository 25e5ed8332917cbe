package io.coord.testkit.history;

import static io.coord.testkit.history.Operation.ACQUIRE;
import static io.coord.testkit.history.Operation.CAMPAIGN;
import static io.coord.testkit.history.Operation.RELEASE;
import static io.coord.testkit.history.Operation.RESIGN;
import static io.coord.testkit.history.Operation.WRITE;
import static io.coord.testkit.history.Violation.Kind.INVALID_TOKEN;
import static io.coord.testkit.history.Violation.Kind.OVERLAP;
import static io.coord.testkit.history.Violation.Kind.PAIRING;
import static io.coord.testkit.history.Violation.Kind.REENTRANT_TOKEN;
import static io.coord.testkit.history.Violation.Kind.TOKEN_ORDER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class FencedMutexCheckerTest {

    private static void assertOk(Verdict v) {
        assertTrue(v.ok(), v::describe);
    }

    private static Violation single(Verdict v, Violation.Kind kind) {
        assertEquals(1, v.violations().size(), v::describe);
        Violation only = v.violations().get(0);
        assertEquals(kind, only.kind(), v::describe);
        return only;
    }

    @Test
    void sequentialGrantsWithIncreasingTokensAreOk() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 10).invoke(3, "p1", WRITE).ok(4, "p1", WRITE, 0).release(5, "p1")
                .acquire(4, "p2", 11).release(10, "p2") // p2 invoked while p1 held; granted after release
                .acquire(20, "p3", 15).release(30, "p3")
                .check();
        assertOk(v);
        assertEquals(3, v.grants());
        assertEquals(3, v.releases());
        assertEquals(0, v.reentrantGrants());
        assertEquals(1, v.maxConcurrentHolders());
        assertEquals(7, v.operations());
        assertEquals(0, v.pendingInvocations());
        assertEquals(0, v.openGrants());
        assertEquals(List.of("p1", "p2", "p3"), v.intervals().stream().map(Interval::process).toList());
        assertEquals(Timeline.at(5), v.intervals().get(0).endNanos());
        assertEquals(Interval.End.RELEASE, v.intervals().get(0).end());
    }

    @Test
    void overlappingGrantsAreReportedWithProcessesTokensAndTimes() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 1)
                .acquire(10, "p2", 2) // OK at 11 while p1 still holds
                .release(30, "p1").release(40, "p2")
                .check();
        Violation o = single(v, OVERLAP);
        assertEquals("p2", o.process());
        assertEquals(2, o.token());
        assertEquals(Timeline.at(11), o.nanos());
        assertTrue(o.message().contains("p2") && o.message().contains("token 2")
                && o.message().contains("p1") && o.message().contains("token 1")
                && o.message().contains("+11.000ms") && o.message().contains("+1.000ms"), o.message());
        assertEquals(2, v.maxConcurrentHolders());
        assertEquals(1, v.overlaps());
        assertFalse(v.ok());
        assertTrue(v.okIgnoring(OVERLAP));
        assertFalse(v.okIgnoring(TOKEN_ORDER));
    }

    @Test
    void releaseInvokedAtTheSameInstantAsTheNextGrantIsNotAnOverlap() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 1).invoke(5, "p2", ACQUIRE)
                .invoke(10, "p1", RELEASE).ok(10, "p2", ACQUIRE, 2).ok(11, "p1", RELEASE, 0)
                .release(20, "p2")
                .check();
        assertOk(v);
        assertEquals(1, v.maxConcurrentHolders());
    }

    @Test
    void decreasingTokenIsAViolation() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 5).release(5, "p1")
                .acquire(10, "p2", 3).release(15, "p2")
                .check();
        Violation t = single(v, TOKEN_ORDER);
        assertEquals("p2", t.process());
        assertEquals(3, t.token());
        assertTrue(t.message().contains("token 3") && t.message().contains("token 5")
                && t.message().contains("p1"), t.message());
    }

    @Test
    void tokenMustExceedEveryEarlierTokenNotOnlyThePreviousOne() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 7).release(5, "p1")
                .acquire(10, "p2", 9).release(15, "p2")
                .acquire(20, "p3", 8).release(25, "p3") // > 7 but < 9
                .check();
        Violation t = single(v, TOKEN_ORDER);
        assertEquals("p3", t.process());
        assertTrue(t.message().contains("token 9"), t.message());
    }

    @Test
    void equalTokenForDifferentProcessesIsAViolation() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 4).release(5, "p1")
                .acquire(10, "p2", 4).release(15, "p2")
                .check();
        Violation t = single(v, TOKEN_ORDER);
        assertEquals("p2", t.process());
        assertEquals(4, t.token());
    }

    @Test
    void nonPositiveTokenIsAViolation() {
        Verdict v = new Timeline().acquire(0, "p1", 0).release(5, "p1").check();
        assertEquals(1, v.count(INVALID_TOKEN), v::describe);
    }

    @Test
    void reentrantGrantKeepingItsTokenIsOkAndNeedsAsManyReleases() {
        Timeline t = new Timeline()
                .acquire(0, "p1", 3)
                .acquire(5, "p1", 3) // re-entry, same token
                .release(10, "p1")   // count 2 -> 1: still held
                .release(20, "p1")   // count 1 -> 0: interval ends at 20
                .acquire(30, "p2", 4).release(40, "p2");
        Verdict v = t.check();
        assertOk(v);
        assertEquals(2, v.grants());
        assertEquals(1, v.reentrantGrants());
        assertEquals(3, v.releases());
        Interval p1 = v.intervals().get(0);
        assertEquals("p1", p1.process());
        assertEquals(Timeline.at(1), p1.startNanos());
        assertEquals(Timeline.at(20), p1.endNanos());
    }

    @Test
    void grantBetweenTheReleasesOfAReentrantHoldOverlaps() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 3).acquire(5, "p1", 3)
                .release(10, "p1")
                .acquire(12, "p2", 4) // p1 still holds once
                .release(20, "p1").release(30, "p2")
                .check();
        Violation o = single(v, OVERLAP);
        assertEquals("p2", o.process());
    }

    @Test
    void reentrantGrantChangingItsTokenIsAViolation() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 3)
                .acquire(5, "p1", 6)
                .release(10, "p1").release(20, "p1")
                .check();
        Violation r = single(v, REENTRANT_TOKEN);
        assertEquals("p1", r.process());
        assertEquals(6, r.token());
        assertTrue(r.message().contains("token 6") && r.message().contains("token 3"), r.message());
    }

    @Test
    void lossEndsTheHoldSoALaterGrantIsOk() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 1)
                .lost(50, "p1", 1)
                .acquire(40, "p2", 2) // invoked 40, granted 41... would overlap; move p2 later below
                .check();
        // p2 was granted at 41 while p1 learnt of its loss only at 50: a real overlap of beliefs.
        assertEquals(1, v.overlaps(), v::describe);

        Verdict after = new Timeline()
                .acquire(0, "p1", 1)
                .invoke(30, "p2", ACQUIRE)
                .lost(50, "p1", 1)
                .ok(60, "p2", ACQUIRE, 2)
                .release(70, "p2")
                .invoke(80, "p1", RELEASE).fail(81, "p1", RELEASE, "lock lost") // release after loss
                .check();
        assertOk(after);
        assertEquals(1, after.losses());
        assertEquals(1, after.releases()); // p2's; p1's release came after its loss and found no hold
        assertEquals(Interval.End.LOST, after.intervals().get(0).end());
        assertEquals(Timeline.at(50), after.intervals().get(0).endNanos());
    }

    @Test
    void lossOfAnOlderGrantDoesNotEndTheCurrentOne() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 1).release(5, "p1")
                .acquire(10, "p1", 2)
                .lost(15, "p1", 1)      // late signal about token 1
                .acquire(20, "p2", 3)   // p1 still holds token 2
                .check();
        assertEquals(1, v.overlaps(), v::describe);
        assertEquals("p2", v.violations(OVERLAP).get(0).process());
    }

    @Test
    void leaseBoundedBeliefEndsAtValidUntil() {
        Verdict v = new Timeline()
                .invoke(0, "p1", ACQUIRE).okUntil(1, "p1", ACQUIRE, 1, 50) // belief ends at 50
                .invoke(20, "p2", ACQUIRE).ok(60, "p2", ACQUIRE, 2)          // p1 paused, never releases
                .release(70, "p2")
                .check();
        assertOk(v);
        assertEquals(Interval.End.VALID_UNTIL, v.intervals().get(0).end());
        assertEquals(Timeline.at(50), v.intervals().get(0).endNanos());
        assertEquals(0, v.openGrants());
    }

    @Test
    void withoutALeaseBoundAnUnreleasedGrantIsOpenEndedAndOverlapsLaterGrants() {
        Verdict v = new Timeline()
                .acquire(0, "p1", 1)
                .invoke(20, "p2", ACQUIRE).ok(60, "p2", ACQUIRE, 2)
                .check();
        assertEquals(1, v.overlaps(), v::describe);
        assertEquals(2, v.openGrants());
        assertTrue(v.intervals().get(0).open());
        assertEquals(Long.MAX_VALUE, v.intervals().get(0).endNanos());
    }

    @Test
    void renewalExtendsTheLeaseBound() {
        Verdict v = new Timeline()
                .invoke(0, "p1", ACQUIRE).okUntil(1, "p1", ACQUIRE, 1, 50)
                .renewed(30, "p1", 1, 100) // still believes it holds until 100
                .invoke(20, "p2", ACQUIRE).ok(60, "p2", ACQUIRE, 2)
                .check();
        Violation o = single(v, OVERLAP);
        assertTrue(o.message().contains("+100.000ms") && o.message().contains("VALID_UNTIL"), o.message());
    }

    @Test
    void renewalAfterTheBoundPassedDoesNotResurrectTheHold() {
        Verdict v = new Timeline()
                .invoke(0, "p1", ACQUIRE).okUntil(1, "p1", ACQUIRE, 1, 50)
                .renewed(55, "p1", 1, 200)
                .invoke(20, "p2", ACQUIRE).ok(60, "p2", ACQUIRE, 2).release(70, "p2")
                .check();
        assertOk(v);
    }

    @Test
    void okWithoutInvocationIsAPairingViolation() {
        Verdict v = new Timeline()
                .ok(1, "p1", ACQUIRE, 1).release(5, "p1")
                .check();
        Violation p = single(v, PAIRING);
        assertEquals("p1", p.process());
        assertTrue(p.message().contains("no outstanding invocation"), p.message());
    }

    @Test
    void okAfterATimedOutAcquireIsAPairingViolation() {
        Verdict v = new Timeline()
                .invoke(0, "p1", ACQUIRE).fail(100, "p1", ACQUIRE, "timeout")
                .ok(150, "p1", ACQUIRE, 1)
                .check();
        Violation p = single(v, PAIRING);
        assertEquals(Timeline.at(150), p.nanos());
        assertEquals(1, v.failedAcquires());
    }

    @Test
    void invokingWhileAnotherInvocationIsOutstandingIsAPairingViolation() {
        Verdict v = new Timeline()
                .invoke(0, "p1", ACQUIRE).invoke(5, "p1", ACQUIRE).ok(6, "p1", ACQUIRE, 1)
                .check();
        assertEquals(1, v.count(PAIRING), v::describe);
        assertEquals(0, v.pendingInvocations()); // the OK completes the latest invocation
        assertEquals(1, v.grants());
    }

    @Test
    void completionOfAnotherOperationIsAPairingViolation() {
        Verdict v = new Timeline()
                .invoke(0, "p1", ACQUIRE).ok(1, "p1", RELEASE, 0)
                .check();
        assertEquals(1, v.count(PAIRING), v::describe);
    }

    @Test
    void pendingInvocationsAndFailuresAreCountedNotViolations() {
        Verdict v = new Timeline()
                .invoke(0, "p1", ACQUIRE).fail(10, "p1", ACQUIRE, "interrupted")
                .invoke(20, "p2", ACQUIRE) // child killed while waiting
                .check();
        assertOk(v);
        assertEquals(1, v.failedAcquires());
        assertEquals(1, v.pendingInvocations());
        assertEquals(0, v.grants());
    }

    @Test
    void keysAreIndependentMutexes() {
        Timeline a = new Timeline("a");
        a.acquire(0, "p1", 5);
        a.history.recordAt(Timeline.at(2), "p2", EventType.INVOKE, ACQUIRE, "b", 0, 0, "");
        a.history.recordAt(Timeline.at(3), "p2", EventType.OK, ACQUIRE, "b", 1, 0, ""); // smaller token, other key
        Verdict v = a.check();
        assertOk(v);
        assertEquals(1, v.maxConcurrentHolders());
        assertEquals(2, v.grants());
    }

    @Test
    void eventsAreCheckedInTimeOrderNotRecordingOrder() {
        Timeline t = new Timeline();
        // recorded out of order, as when a child's events are ingested after the parent's
        t.acquire(20, "p2", 2).release(30, "p2");
        t.acquire(0, "p1", 1).release(10, "p1");
        assertOk(t.check());

        Timeline bad = new Timeline();
        bad.acquire(20, "p2", 1).release(30, "p2");
        bad.acquire(0, "p1", 2).release(10, "p1");
        assertEquals(1, bad.check().count(TOKEN_ORDER));
    }

    @Test
    void campaignAndResignAreGrantsAndReleases() {
        Verdict ok = new Timeline("leader")
                .invoke(0, "c1", CAMPAIGN).ok(1, "c1", CAMPAIGN, 1).invoke(10, "c1", RESIGN).ok(11, "c1", RESIGN, 0)
                .invoke(5, "c2", CAMPAIGN).ok(12, "c2", CAMPAIGN, 2)
                .check();
        assertOk(ok);
        assertEquals(2, ok.grants());

        Verdict twoLeaders = new Timeline("leader")
                .invoke(0, "c1", CAMPAIGN).ok(1, "c1", CAMPAIGN, 1)
                .invoke(5, "c2", CAMPAIGN).ok(6, "c2", CAMPAIGN, 2)
                .check();
        assertEquals(1, twoLeaders.overlaps(), twoLeaders::describe);
    }

    @Test
    void emptyHistoryIsOk() {
        Verdict v = FencedMutexChecker.check(new History());
        assertOk(v);
        assertEquals(0, v.events());
        assertEquals(0, v.maxConcurrentHolders());
    }

    @Test
    void realTimeRecordingThroughRecordersChecksOk() {
        History h = new History();
        History.Recorder p1 = h.recorder("p1", "lock");
        History.Recorder p2 = h.recorder("p2", "lock");
        p1.invoke(ACQUIRE);
        p1.ok(ACQUIRE, 1, System.nanoTime() + 60_000_000_000L);
        p2.invoke(ACQUIRE);
        p1.invoke(RELEASE);
        p2.ok(ACQUIRE, 2);
        p1.ok(RELEASE);
        p2.lost(2, "session expired");
        Verdict v = FencedMutexChecker.check(h);
        assertOk(v);
        assertEquals(List.of(Interval.End.RELEASE, Interval.End.LOST),
                v.intervals().stream().map(Interval::end).toList());
    }
}
