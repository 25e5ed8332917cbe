package io.coord.testservers;

/** A child JVM for {@link ChildProcessTest}: prints a tick every 20 ms for at most 60 s. */
public final class ChildJvmMain {
    private ChildJvmMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.out.println("ready " + System.getenv("COORD_CHILD_MARK"));
        for (int i = 0; i < 3000; i++) {
            System.out.println("tick " + i);
            System.out.flush();
            Thread.sleep(20); // the child process's own pace (it is the process under test), not a wait for a condition
        }
    }
}
