package io.coord.testkit.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HistoryTest {

    private static Event strip(Event e) {
        return e.withIndex(-1);
    }

    @Test
    void concurrentRecordingKeepsIndexAndTimeOrderAndPerProcessOrder() throws Exception {
        int threads = 8;
        int perThread = 2_000;
        History h = new History();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String p = "p" + t;
                futures.add(pool.submit(() -> {
                    start.await();
                    History.Recorder r = h.recorder(p, "lock");
                    for (int i = 0; i < perThread; i++) {
                        r.info(Operation.OTHER, i + 1, 0, "");
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
        List<Event> events = h.events();
        assertEquals(threads * perThread, events.size());
        assertEquals(threads * perThread, h.size());
        Map<String, Long> lastToken = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            Event e = events.get(i);
            assertEquals(i, e.index());
            if (i > 0) {
                assertTrue(events.get(i - 1).nanos() <= e.nanos(), "time order broken at index " + i);
            }
            long prev = lastToken.getOrDefault(e.process(), 0L);
            assertEquals(prev + 1, e.token(), "per-process order broken for " + e.process());
            lastToken.put(e.process(), e.token());
        }
        assertEquals(threads, lastToken.size());
    }

    @Test
    void lineFormatRoundTripsEveryFieldIncludingSpecialCharacters() {
        History h = new History();
        h.recordAt(123, "p\t1", EventType.INVOKE, Operation.ACQUIRE, "a/b c*{x}%é", 0, 0, "");
        h.recordAt(-5, "back\\slash", EventType.OK, Operation.CAMPAIGN, "", 7, Long.MAX_VALUE, "line\nbreak\r");
        h.recordAt(Long.MIN_VALUE, "p", EventType.LOST, Operation.ACQUIRE, "k", 9, -1, "\\t is not a tab");
        int i = 0;
        for (EventType type : EventType.values()) {
            for (Operation op : Operation.values()) {
                h.recordAt(1000 + i, "proc-" + i, type, op, "key", i, 2000 + i, "detail " + i);
                i++;
            }
        }
        List<String> lines = h.toLines();
        assertEquals(h.size(), lines.size());
        for (String line : lines) {
            assertTrue(line.startsWith("E1\t"), line);
            assertEquals(9, line.split("\t", -1).length, line);
            assertTrue(line.indexOf('\n') < 0 && line.indexOf('\r') < 0, line);
        }
        List<Event> parsed = lines.stream().map(EventFormat::parse).toList();
        assertEquals(h.events().stream().map(HistoryTest::strip).toList(), parsed);

        History copy = new History();
        StringBuilder text = new StringBuilder();
        h.writeTo(text);
        assertEquals(h.size(), copy.ingest(new BufferedReader(new StringReader(text.toString()))));
        assertEquals(h.events(), copy.events());
    }

    @Test
    void formatIsTheDocumentedOne() {
        Event e = new Event(3, 100, "p1", EventType.OK, Operation.ACQUIRE, "lock", 5, 200, "a\tb");
        assertEquals("E1\t100\tp1\tOK\tACQUIRE\tlock\t5\t200\ta\\tb", EventFormat.format(e));
    }

    @Test
    void ingestSkipsForeignLinesAndAppendsAfterExistingEvents() {
        History h = new History();
        h.recordAt(1, "parent", EventType.INVOKE, Operation.ACQUIRE, "lock", 0, 0, "");
        int n = h.ingest(List.of("some log line", "", "E1\t50\tchild\tOK\tACQUIRE\tlock\t3\t0\t",
                "E1x not an event", "E1\t60\tchild\tLOST\tACQUIRE\tlock\t3\t0\tgone"));
        assertEquals(2, n);
        List<Event> events = h.events();
        assertEquals(3, events.size());
        assertEquals(new Event(1, 50, "child", EventType.OK, Operation.ACQUIRE, "lock", 3, 0, ""), events.get(1));
        assertEquals(new Event(2, 60, "child", EventType.LOST, Operation.ACQUIRE, "lock", 3, 0, "gone"),
                events.get(2));
    }

    @Test
    void malformedEventLinesAreRejectedWithAMessageQuotingTheLine() {
        List<String> bad = List.of(
                "E1\t50\tchild\tOK\tACQUIRE\tlock\t3\t0",            // 8 fields
                "E1\tx\tchild\tOK\tACQUIRE\tlock\t3\t0\t",           // bad number
                "E1\t50\tchild\tDONE\tACQUIRE\tlock\t3\t0\t",        // bad type
                "E1\t50\tchild\tOK\tLOCK\tlock\t3\t0\t",             // bad op
                "E1\t50\t\tOK\tACQUIRE\tlock\t3\t0\t",               // empty process
                "E1\t50\tchild\tOK\tACQUIRE\tlock\t-3\t0\t",         // negative token
                "E1\t50\tchild\tOK\tACQUIRE\tlo\\ck\t3\t0\t",        // unknown escape
                "E1\t50\tchild\tOK\tACQUIRE\tlock\t3\t0\tend\\");    // dangling backslash
        for (String line : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new History().ingest(List.of(line)), line);
            assertTrue(e.getMessage().contains(line), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> EventFormat.parse("not an event"));
    }

    @Test
    void sinkReceivesEveryEventAsALineInIndexOrder() {
        List<String> sink = new ArrayList<>();
        History h = new History(sink::add);
        History.Recorder r = h.recorder("p1", "lock");
        r.invoke(Operation.ACQUIRE);
        r.ok(Operation.ACQUIRE, 1);
        r.fail(Operation.WRITE, "timeout");
        assertEquals(h.toLines(), sink);
        assertEquals(3, sink.size());
    }

    @Test
    void childJvmEventsAreIngestedWithComparableMonotonicTimes() throws Exception {
        String cp = Path.of(ChildRecorder.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                + File.pathSeparator
                + Path.of(History.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        History h = new History();
        h.recorder("parent", "lock").invoke(Operation.OTHER);
        long before = System.nanoTime();
        Process child = new ProcessBuilder(java, "-cp", cp, ChildRecorder.class.getName(), "child-1")
                .redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    lines.add(line);
                }
            }
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child did not exit");
            assertEquals(0, child.exitValue(), () -> String.join("\n", lines));
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        long after = System.nanoTime();

        assertEquals(5, h.ingest(lines), () -> String.join("\n", lines));
        List<Event> events = h.events();
        assertEquals(6, events.size());
        for (Event e : events.subList(1, 6)) {
            assertEquals("child-1", e.process());
            assertTrue(e.nanos() > before && e.nanos() < after,
                    "child nanoTime " + e.nanos() + " outside parent's [" + before + ", " + after + "]");
        }
        assertEquals("tab\there, newline\nthere", events.get(3).detail());
        Verdict v = FencedMutexChecker.check(h);
        assertTrue(v.ok(), v::describe);
        assertEquals(1, v.grants());
        assertEquals(1, v.releases());
    }
}
