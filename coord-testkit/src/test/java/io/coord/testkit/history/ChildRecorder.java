package io.coord.testkit.history;

/**
 * Main class run in a child JVM by {@link HistoryTest}: records a few events into a history whose
 * sink is stdout, mixed with a non-event line, like a holder process of the fault suite.
 */
public final class ChildRecorder {
    private ChildRecorder() {
    }

    public static void main(String[] args) {
        String process = args.length > 0 ? args[0] : "child";
        System.out.println("child starting (not an event line)");
        History h = new History(System.out::println);
        History.Recorder r = h.recorder(process, "lock");
        r.invoke(Operation.ACQUIRE);
        r.ok(Operation.ACQUIRE, 42, System.nanoTime() + 1_000_000_000L);
        r.info(Operation.RENEW, 42, System.nanoTime() + 2_000_000_000L, "tab\there, newline\nthere");
        r.invoke(Operation.RELEASE);
        r.ok(Operation.RELEASE);
        System.out.println("child done");
    }
}
