package io.coord.testservers;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.Properties;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;

/**
 * A single in-process ZooKeeper (curator-test {@link TestingServer}) on a free 127.0.0.1 port with
 * a small tick time (default {@value #DEFAULT_TICK_MS} ms, so negotiated session timeouts lie in
 * [2, 20] × tick = [0.4 s, 4 s]) and no per-IP connection limit.
 *
 * <p>Guarantees: {@link #start} returns once the server answers {@code srvr}; {@link #stop()}
 * shuts it down (clients lose their connection, the data directory stays); {@link #restart()}
 * brings it back on the same port and data directory, so persistent znodes survive (sessions
 * survive only if their client reconnects within the session timeout after the restart, as with a
 * real server); {@link #close()} stops it and deletes the data directory, also run from a
 * JVM shutdown hook if the test forgets.
 *
 * <p>Secure mode ({@link #startSecure}): besides the plain client port (kept for the {@code srvr} probe; it
 * enforces authentication too) the server serves TLS on {@link #secureConnectString()} with the Netty connection
 * factory, a PEM key store (the certificates' server bundle) and trust store (their CA), client certificates
 * required; every client must authenticate with the {@code digest} scheme ({@code enforce.auth}), and the super
 * user ({@value ZooKeeperSecureMode#SUPER_USER}, password {@link #superPassword()}) may do anything. curator-test's
 * standalone server has no secure port, so secure mode runs ZooKeeper's own {@link ZooKeeperServerEmbedded}.
 * ZooKeeper takes these server settings from JVM-wide System properties: see {@link ZooKeeperSecureMode} for how
 * they are contained (while a secure server is open, a plain one cannot be started in the same JVM, and the reverse).
 */
public final class ZooKeeperTestServer implements ZooKeeperServer {
    /** Default tick time in milliseconds. */
    public static final int DEFAULT_TICK_MS = 200;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    static {
        ZooKeeperSecureMode.init(); // the super digest, before any server loads ZooKeeper's digest provider
    }

    private final TestingServer server;          // plain mode
    private ZooKeeperServerEmbedded embedded;    // secure mode
    private final Properties secureConfig;       // secure mode
    private final int plainPort;
    private final int securePort;
    private final int tickTimeMs;
    private final Path dataDir;
    private boolean running;
    private boolean closed;

    private ZooKeeperTestServer(TestingServer server, int tickTimeMs, Path dataDir) {
        this.server = server;
        this.secureConfig = null;
        this.plainPort = server.getPort();
        this.securePort = -1;
        this.tickTimeMs = tickTimeMs;
        this.dataDir = dataDir;
        this.running = true;
    }

    private ZooKeeperTestServer(ZooKeeperServerEmbedded embedded, Properties config, int plainPort, int securePort,
                                int tickTimeMs, Path dataDir) {
        this.server = null;
        this.embedded = embedded;
        this.secureConfig = config;
        this.plainPort = plainPort;
        this.securePort = securePort;
        this.tickTimeMs = tickTimeMs;
        this.dataDir = dataDir;
        this.running = true;
    }

    /**
     * The super user's name, {@value ZooKeeperSecureMode#SUPER_USER}: digest-authenticated as it, a client may do anything.
     *
     * @return the super user's digest user name
     */
    public static String superUser() {
        return ZooKeeperSecureMode.SUPER_USER;
    }

    /**
     * A copy of the super user's password: random, made for this JVM (nothing secret is committed).
     *
     * @return a new copy of the password (the same password for the whole JVM); clear it when done
     */
    public static char[] superPassword() {
        return ZooKeeperSecureMode.superPassword();
    }

    /**
     * The settings of a raw ZooKeeper client (not coord) for a secure server: TLS over the Netty socket, trusting
     * {@code certificates.caCertificate()}, presenting {@code client} (its key-and-certificate bundle), host names
     * verified, SASL off. Every key is set here because the in-process server's own settings are System properties.
     *
     * @param certificates the certificates the server was started with
     * @param client the client certificate to present
     * @return a new client configuration for {@code new ZooKeeper(connectString, timeout, watcher, config)}
     */
    public static ZKClientConfig tlsClientConfig(TestCertificates certificates, TestCertificates.Pair client) {
        ZKClientConfig c = new ZKClientConfig();
        c.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
        c.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        c.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNetty");
        c.setProperty("zookeeper.ssl.trustStore.location", certificates.caCertificate().toString());
        c.setProperty("zookeeper.ssl.trustStore.type", "PEM");
        c.setProperty("zookeeper.ssl.keyStore.location", client.bundle().toString());
        c.setProperty("zookeeper.ssl.keyStore.type", "PEM");
        c.setProperty("zookeeper.ssl.hostnameVerification", "true");
        return c;
    }

    /**
     * Starts a secure server (see the class comment) with the default tick time: TLS with
     * {@code certificates.server().bundle()} as key store and {@code certificates.caCertificate()} as trust store.
     *
     * @param certificates the test CA and the server certificate
     * @return a started server serving its plain and TLS client ports; close it when done
     * @throws IllegalStateException if the server does not start
     */
    public static ZooKeeperTestServer startSecure(TestCertificates certificates) {
        Path dir;
        try {
            dir = Files.createTempDirectory("coord-zk-secure-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a ZooKeeper data dir", e);
        }
        try {
            ZooKeeperSecureMode.enterSecure(ZooKeeperSecureMode.serverProperties(certificates.server().bundle(), certificates.caCertificate()));
        } catch (RuntimeException e) {
            ChildProcess.deleteTree(dir);
            throw e;
        }
        int[] ports = FreePorts.allocate(2);
        int tick = DEFAULT_TICK_MS;
        Properties config = new Properties();
        config.setProperty("dataDir", dir.resolve("data").toAbsolutePath().toString());
        config.setProperty("clientPort", Integer.toString(ports[0]));
        config.setProperty("clientPortAddress", "127.0.0.1");
        config.setProperty("secureClientPort", Integer.toString(ports[1]));
        config.setProperty("secureClientPortAddress", "127.0.0.1");
        config.setProperty("tickTime", Integer.toString(tick));
        config.setProperty("maxClientCnxns", "0");
        config.setProperty("admin.enableServer", "false");
        config.setProperty("minSessionTimeout", Integer.toString(2 * tick));
        config.setProperty("maxSessionTimeout", Integer.toString(20 * tick));
        ZooKeeperTestServer z;
        try {
            z = new ZooKeeperTestServer(startEmbedded(dir, config), config, ports[0], ports[1], tick, dir);
        } catch (RuntimeException e) {
            ZooKeeperSecureMode.leaveSecure();
            ChildProcess.deleteTree(dir);
            throw e;
        }
        Reaper.register(z);
        try {
            z.awaitServing(READY_TIMEOUT);
        } catch (RuntimeException e) {
            z.close();
            throw e;
        }
        return z;
    }

    private static ZooKeeperServerEmbedded startEmbedded(Path dir, Properties config) {
        try {
            Properties copy = new Properties();
            copy.putAll(config);
            ZooKeeperServerEmbedded e = ZooKeeperServerEmbedded.builder().baseDir(dir).configuration(copy)
                    .exitHandler(ExitHandler.LOG_ONLY).build();
            e.start(READY_TIMEOUT.toMillis());
            return e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start a secure in-process ZooKeeper on 127.0.0.1:" + config.getProperty("secureClientPort"), e);
        }
    }

    /**
     * Starts a server with the default tick time.
     *
     * @return a started server; close it when done
     */
    public static ZooKeeperTestServer start() {
        return start(DEFAULT_TICK_MS);
    }

    /**
     * Starts a server with {@code tickTimeMs} (50..3000).
     *
     * @param tickTimeMs the tick time, 50 to 3000 ms
     * @return a started server; close it when done
     * @throws IllegalArgumentException if {@code tickTimeMs} is out of range
     */
    public static ZooKeeperTestServer start(int tickTimeMs) {
        if (tickTimeMs < 50 || tickTimeMs > 3000) {
            throw new IllegalArgumentException("tickTime must be in [50, 3000] ms, was " + tickTimeMs);
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("coord-zk-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a ZooKeeper data dir", e);
        }
        InstanceSpec spec = spec(dir.toFile(), FreePorts.allocate(), -1, -1, -1, tickTimeMs);
        ZooKeeperSecureMode.enterPlain();
        TestingServer ts;
        try {
            ts = new TestingServer(spec, true);
        } catch (Exception e) {
            ZooKeeperSecureMode.leavePlain();
            ChildProcess.deleteTree(dir);
            throw new IllegalStateException("cannot start in-process ZooKeeper on 127.0.0.1:" + spec.getPort(), e);
        }
        ZooKeeperTestServer z = new ZooKeeperTestServer(ts, tickTimeMs, dir);
        Reaper.register(z);
        try {
            z.awaitServing(READY_TIMEOUT);
        } catch (RuntimeException e) {
            z.close();
            throw e;
        }
        return z;
    }

    static InstanceSpec spec(File dir, int port, int electionPort, int quorumPort, int serverId, int tickTimeMs) {
        return spec(dir, port, electionPort, quorumPort, serverId, tickTimeMs, -1);
    }

    /** As above; {@code securePort} > 0 adds a TLS client port (secure mode; its settings: {@link ZooKeeperSecureMode}). */
    static InstanceSpec spec(File dir, int port, int electionPort, int quorumPort, int serverId, int tickTimeMs, int securePort) {
        Map<String, Object> custom = new java.util.HashMap<>(Map.of("admin.enableServer", "false",
                "minSessionTimeout", Integer.toString(2 * tickTimeMs),
                "maxSessionTimeout", Integer.toString(20 * tickTimeMs)));
        if (securePort > 0) {
            custom.put("secureClientPort", Integer.toString(securePort));
            custom.put("secureClientPortAddress", "127.0.0.1");
        }
        // maxClientCnxns 0 = unlimited (tests open many sessions from 127.0.0.1); no admin HTTP server;
        // session bounds as a real server computes them ([2, 20] x tick): curator-test lowers the
        // minimum to 1 x tick, which would hide clamping that production servers do.
        return new InstanceSpec(dir, port, electionPort, quorumPort, true, serverId, tickTimeMs, 0, custom, "127.0.0.1");
    }

    @Override
    public ServerSource source() {
        return ServerSource.IN_PROCESS;
    }

    /** {@code 127.0.0.1:port} of the plain client port. */
    @Override
    public String connectString() {
        return "127.0.0.1:" + plainPort;
    }

    /** {@code 127.0.0.1:port} of the TLS port, in secure mode. */
    @Override
    public Optional<String> secureConnectString() {
        return securePort < 0 ? Optional.empty() : Optional.of("127.0.0.1:" + securePort);
    }

    /**
     * The plain client port.
     *
     * @return the port, stable across stop/restart
     */
    public int port() {
        return plainPort;
    }

    /** The tick time in milliseconds. */
    @Override
    public int tickTimeMillis() {
        return tickTimeMs;
    }

    /**
     * The data directory (kept across stop/restart).
     *
     * @return the directory, deleted by {@link #close()}
     */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * True between start/restart and stop/close.
     *
     * @return true while the server runs
     */
    public synchronized boolean isRunning() {
        return running;
    }

    /** Shuts the server down, keeping its data; a no-op when stopped. */
    public synchronized void stop() {
        requireOpen();
        if (embedded != null) {
            embedded.close();
            running = false;
            return;
        }
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop ZooKeeper " + connectString(), e);
        }
        running = false;
    }

    /** Starts the server again on the same port and data directory (stops it first if running). */
    public synchronized void restart() {
        requireOpen();
        if (secureConfig != null) {
            embedded.close();
            embedded = startEmbedded(dataDir, secureConfig);
            running = true;
            awaitServing(READY_TIMEOUT);
            return;
        }
        try {
            server.restart();
        } catch (Exception e) {
            throw new IllegalStateException("cannot restart ZooKeeper " + connectString(), e);
        }
        running = true;
        awaitServing(READY_TIMEOUT);
    }

    /**
     * The server's {@code srvr} mode ("standalone") or empty when it does not answer.
     *
     * @return the mode, or empty
     */
    public Optional<String> mode() {
        return ZooKeeperProbe.mode(port(), Duration.ofMillis(500));
    }

    private void awaitServing(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            if (mode().isPresent()) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("in-process ZooKeeper " + connectString() + " not serving within " + timeout);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        try {
            if (server != null) {
                server.close();
            } else {
                embedded.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close ZooKeeper " + connectString(), e);
        } finally {
            if (server != null) {
                ZooKeeperSecureMode.leavePlain();
            } else {
                ZooKeeperSecureMode.leaveSecure();
            }
            Reaper.unregister(this);
            ChildProcess.deleteTree(dataDir);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("ZooKeeper " + connectString() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "ZooKeeperTestServer[" + connectString() + secureConnectString().map(s -> ", TLS " + s).orElse("")
                + ", tick " + tickTimeMs + " ms]";
    }
}
