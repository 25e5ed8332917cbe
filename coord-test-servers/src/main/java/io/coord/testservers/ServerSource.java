package io.coord.testservers;

/**
 * Where a test server came from. The source decides what a test may do with it: only servers the
 * kit started itself as child processes ({@link #BINARY}) or in-process ({@link #IN_PROCESS}) can
 * be killed, paused and restarted; see {@link TestServer#supportsFaults()}.
 */
public enum ServerSource {
    /** A binary found on PATH, started by the kit as a child process on loopback. Faults supported. */
    BINARY,
    /** A server running inside this JVM (ZooKeeper via curator-test). Kill/restart supported. */
    IN_PROCESS,
    /** A container started through Testcontainers because no binary was found. No faults. */
    TESTCONTAINERS,
    /** A server named by an environment variable (e.g. {@code COORD_ETCD_ENDPOINTS}). No faults. */
    EXTERNAL
}
