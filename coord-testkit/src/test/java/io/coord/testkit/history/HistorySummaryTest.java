package io.coord.testkit.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.coord.testkit.register.FencedRegister;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistorySummaryTest {

    @Test
    void summarisesCountsAndPrintsAMarkdownRow() {
        Timeline t = new Timeline()
                .acquire(0, "p1", 1).acquire(2, "p1", 1)
                .acquire(10, "p2", 2)                   // overlaps p1
                .release(20, "p1").release(21, "p1")
                .lost(30, "p2", 2)
                .invoke(40, "p3", Operation.ACQUIRE).fail(50, "p3", Operation.ACQUIRE, "timeout")
                .acquire(60, "p4", 2).release(70, "p4"); // equal token: token violation
        Verdict mutex = t.check();
        FencedRegister reg = new FencedRegister();
        reg.write(2, "p2", 1);
        reg.write(1, "p1", 2); // rejected
        HistorySummary s = HistorySummary.of(mutex, RegisterChecker.check(mutex, reg));
        assertEquals(new HistorySummary(8, 3, 1, 3, 1, 1, 2, 1, 1, 0, 1, 1, 0), s);
        assertEquals("| fault | backend | operations | grants | reentrant | releases | losses | failed acquires"
                + " | max holders | overlaps | token violations | pairing violations | writes accepted"
                + " | stale writes rejected | register violations |\n" + "|---".repeat(15) + "|",
                HistorySummary.markdownHeader("fault", "backend"));
        assertEquals("| pause | zk | 8 | 3 | 1 | 3 | 1 | 1 | 2 | 1 | 1 | 0 | 1 | 1 | 0 |",
                s.markdownRow("pause", "zk"));
        assertEquals(List.of("8", "3", "1", "3", "1", "1", "2", "1", "1", "0", "-", "-", "-"),
                HistorySummary.of(mutex).cells());
    }
}
