package io.coord.testservers;

import org.opentest4j.TestAbortedException;

/**
 * A server (or cluster) a test talks to. Guarantees: {@link #close()} releases everything the kit
 * started for it and returns only once child processes have exited; closing twice is harmless;
 * anything not closed is stopped by a JVM shutdown hook.
 */
public interface TestServer extends AutoCloseable {

    /**
     * Where this server came from.
     *
     * @return how the kit obtained this server: started itself, in-process, external or a container
     */
    ServerSource source();

    /**
     * Whether the test may inject server faults (kill, pause, restart, promote). True only for
     * servers the kit started itself.
     *
     * @return true for {@link ServerSource#BINARY} and {@link ServerSource#IN_PROCESS} servers
     */
    default boolean supportsFaults() {
        return source() == ServerSource.BINARY || source() == ServerSource.IN_PROCESS;
    }

    /**
     * Guard for fault tests. Returns normally when {@link #supportsFaults()}; otherwise, outside CI,
     * aborts the calling test with a visible reason ({@link TestAbortedException}); under
     * {@code CI=true} (where nothing may be skipped) throws {@link IllegalStateException}.
     *
     * @throws TestAbortedException if faults are not supported and {@code CI} is not {@code true}
     * @throws IllegalStateException if faults are not supported and {@code CI=true}
     */
    default void requireFaults() {
        if (supportsFaults()) {
            return;
        }
        String reason = "this test injects server faults, which a " + source()
                + " server does not support (only servers the kit starts itself can be killed/paused/restarted)";
        if (TestServerPolicy.fromEnvironment().isCi()) {
            throw new IllegalStateException(reason + "; CI=true forbids skipping it: install the server binary"
                    + " (scripts/install-test-servers.sh) and unset the external endpoint variables");
        }
        throw new TestAbortedException(reason);
    }

    /** Stops whatever the kit started for this server and waits for it; never throws checked exceptions. */
    @Override
    void close();
}
