package io.coord.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A standalone ZooKeeper server inside this JVM, from ZooKeeper's own server classes: a free
 * loopback port, a temporary data directory deleted on {@link #close()}, and a small tickTime so
 * that short session timeouts are legal (ZooKeeper accepts 2 to 20 × tickTime). The default backend of every
 * example.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private final Path dataDir;
    private final ZooKeeperServer server;
    private final ServerCnxnFactory connections;
    private final int tickTimeMillis;

    private EmbeddedZooKeeper(Path dataDir, ZooKeeperServer server, ServerCnxnFactory connections, int tickTimeMillis) {
        this.dataDir = dataDir;
        this.server = server;
        this.connections = connections;
        this.tickTimeMillis = tickTimeMillis;
    }

    /**
     * Starts a server on a free loopback port.
     *
     * @param tickTimeMillis the server's tickTime: sessions of 2 to 20 ticks are legal
     * @return the running server; close it to stop it and delete its data
     * @throws IOException          if its directory or port cannot be had
     * @throws InterruptedException if interrupted while starting
     */
    public static EmbeddedZooKeeper start(int tickTimeMillis) throws IOException, InterruptedException {
        Path dataDir = Files.createTempDirectory("coord-example-zk-");
        ServerCnxnFactory connections = null;
        boolean started = false;
        try {
            ZooKeeperServer server = new ZooKeeperServer(dataDir.resolve("snapshots").toFile(),
                    dataDir.resolve("txlog").toFile(), tickTimeMillis);
            connections = ServerCnxnFactory.createFactory(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
            connections.startup(server);                  // port 0: the OS picks a free one
            started = true;
            return new EmbeddedZooKeeper(dataDir, server, connections, tickTimeMillis);
        } finally {
            if (!started) {                               // whatever went wrong, leave nothing behind
                if (connections != null) {
                    connections.shutdown();
                }
                deleteRecursively(dataDir);
            }
        }
    }

    /**
     * Where clients connect.
     *
     * @return {@code host:port} for a client
     */
    public String connectString() {
        return InetAddress.getLoopbackAddress().getHostAddress() + ":" + connections.getLocalPort();
    }

    /**
     * A plain ZooKeeper client, connected (at most 10 s), e.g. for a store's fence.
     *
     * @param connectString {@code host:port}
     * @return the connected client; close it when done
     * @throws IOException          if it did not connect within 10 s
     * @throws InterruptedException if interrupted while connecting
     */
    public static ZooKeeper connect(String connectString) throws IOException, InterruptedException {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connectString, 10_000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(10, TimeUnit.SECONDS)) {
            zk.close();
            throw new IOException("the store's ZooKeeper client did not connect to " + connectString + " within 10 s");
        }
        return zk;
    }

    /**
     * The server's tickTime.
     *
     * @return milliseconds per tick
     */
    public int tickTimeMillis() {
        return tickTimeMillis;
    }

    /** Stops the server and its threads and deletes the data directory. */
    @Override
    public void close() {
        connections.shutdown();                           // closes client connections, stops the server
        server.shutdown();                                // no-op if already down
        deleteRecursively(dataDir);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + dir, e);
        }
    }
}
