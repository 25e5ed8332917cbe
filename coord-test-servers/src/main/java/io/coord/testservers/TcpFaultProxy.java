package io.coord.testservers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loopback TCP proxy for partition tests: listens on a free 127.0.0.1 port and forwards every
 * accepted connection to a fixed target. The {@link Mode} can be switched at any time:
 * <ul>
 *   <li>{@link Mode#PASS}: bytes are forwarded as soon as they are read.</li>
 *   <li>{@link Mode#DROP}: every current connection is reset (both sides, RST) at once, and new
 *       connections are accepted and reset immediately: clients see connection errors.</li>
 *   <li>{@link Mode#BLACKHOLE}: connections stay open and new ones are accepted, but nothing is
 *       delivered in either direction — like a network that silently loses packets. Bytes already
 *       read are held, not lost, so after {@link #heal()} a connection that is still open resumes
 *       with an intact byte stream (as TCP retransmission would deliver them).</li>
 *   <li>{@link Mode#DELAY}: each chunk is delivered {@code delay} after it was read, in order, in
 *       both directions (one-way latency; a request/response round trip gains 2 × delay).</li>
 * </ul>
 *
 * <p>Threads: one acceptor thread, and per connection one reader and one writer thread per
 * direction (plain daemon threads named {@code coord-proxy-<port>-...}); at most
 * {@code maxConnections} connections are served at once, further ones are reset. Chunks travel
 * through a bounded queue per direction. The mode is guarded by this proxy's monitor; writers wait
 * on it while black-holed. {@link #close()} resets all connections, stops every thread and returns
 * after they ended (bounded join); the proxy is also closed by the kit's JVM shutdown hook.
 */
public final class TcpFaultProxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpFaultProxy.class);
    private static final int CHUNK = 16 * 1024;
    private static final int QUEUE_CHUNKS = 256;
    private static final int CONNECT_TIMEOUT_MS = 2000;
    private static final long JOIN_MS = 5000;

    /** What the proxy does with traffic; see the class comment. */
    public enum Mode {
        /** Forward immediately. */
        PASS,
        /** Reset all connections, reset new ones. */
        DROP,
        /** Keep connections open, deliver nothing. */
        BLACKHOLE,
        /** Forward with added latency. */
        DELAY
    }

    /** Where new connections go; volatile so that {@link #retarget} takes effect for the next accept. */
    private volatile String targetHost;
    private volatile int targetPort;
    private final int maxConnections;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicInteger ids = new AtomicInteger();
    private Mode mode = Mode.PASS;      // guarded by this
    private long delayNanos;            // guarded by this
    private volatile boolean closed;

    private TcpFaultProxy(String targetHost, int targetPort, int maxConnections) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.maxConnections = maxConnections;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        this.acceptor = new Thread(this::acceptLoop, "coord-proxy-" + server.getLocalPort() + "-accept");
        acceptor.setDaemon(true);
    }

    /**
     * Starts a proxy to {@code targetHost:targetPort} in {@link Mode#PASS}, at most 32 connections.
     *
     * @param targetHost the server's host
     * @param targetPort the server's port, 1 to 65535
     * @return the running proxy on a free 127.0.0.1 port; close it when done
     * @throws IllegalArgumentException if {@code targetPort} is out of range
     */
    public static TcpFaultProxy start(String targetHost, int targetPort) {
        return start(targetHost, targetPort, 32);
    }

    /**
     * Starts a proxy in {@link Mode#PASS} serving at most {@code maxConnections} (1..256) at once.
     *
     * @param targetHost the server's host
     * @param targetPort the server's port, 1 to 65535
     * @param maxConnections connections served at once, 1 to 256 (further ones are reset)
     * @return the running proxy on a free 127.0.0.1 port; close it when done
     * @throws IllegalArgumentException if {@code targetPort} or {@code maxConnections} is out of range
     * @throws java.io.UncheckedIOException if no listener can be opened
     */
    public static TcpFaultProxy start(String targetHost, int targetPort, int maxConnections) {
        Objects.requireNonNull(targetHost, "targetHost");
        if (targetPort < 1 || targetPort > 65535) {
            throw new IllegalArgumentException("targetPort must be in [1, 65535], was " + targetPort);
        }
        if (maxConnections < 1 || maxConnections > 256) {
            throw new IllegalArgumentException("maxConnections must be in [1, 256], was " + maxConnections);
        }
        try {
            TcpFaultProxy p = new TcpFaultProxy(targetHost, targetPort, maxConnections);
            Reaper.register(p);
            p.acceptor.start();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a proxy listener on 127.0.0.1", e);
        }
    }

    /**
     * The port the proxy listens on (127.0.0.1).
     *
     * @return the listening port, fixed for the proxy's life
     */
    public int port() {
        return server.getLocalPort();
    }

    /**
     * {@code 127.0.0.1:port} of the proxy.
     *
     * @return the address clients should connect to
     */
    public String hostPort() {
        return "127.0.0.1:" + port();
    }

    /**
     * The current mode.
     *
     * @return the mode set last
     */
    public synchronized Mode mode() {
        return mode;
    }

    /**
     * The added one-way latency in {@link Mode#DELAY}, zero otherwise.
     *
     * @return the one-way latency, or zero
     */
    public synchronized Duration delay() {
        return mode == Mode.DELAY ? Duration.ofNanos(delayNanos) : Duration.ZERO;
    }

    /**
     * Sends new connections to another target (for a failover: clients keep their address while
     * the server behind it changes), and resets the current ones so that clients reconnect there.
     *
     * @param host the new target's host
     * @param port the new target's port
     */
    public void retarget(String host, int port) {
        Objects.requireNonNull(host, "host");
        synchronized (this) {
            this.targetHost = host;
            this.targetPort = port;
        }
        drop();
        heal();
    }

    /** Back to {@link Mode#PASS}; held (black-holed) bytes are delivered. */
    public void heal() {
        setMode(Mode.PASS, 0);
    }

    /** Same as {@link #heal()}. */
    public void pass() {
        heal();
    }

    /** {@link Mode#DROP}: resets every current connection before returning; new ones are reset. */
    public void drop() {
        setMode(Mode.DROP, 0);
        for (Connection c : connections) {
            c.close();
        }
    }

    /** {@link Mode#BLACKHOLE}: from now on nothing is delivered until the mode changes. */
    public void blackhole() {
        setMode(Mode.BLACKHOLE, 0);
    }

    /**
     * {@link Mode#DELAY} with {@code oneWay} latency per direction ({@code 0 < oneWay <= 60 s}).
     *
     * @param oneWay the latency added in each direction
     * @throws IllegalArgumentException if {@code oneWay} is out of (0, 60 s]
     */
    public void delay(Duration oneWay) {
        if (oneWay.isNegative() || oneWay.isZero() || oneWay.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new IllegalArgumentException("delay must be in (0, 60 s], was " + oneWay);
        }
        setMode(Mode.DELAY, oneWay.toNanos());
    }

    /**
     * Connections currently open through the proxy.
     *
     * @return the number of open client connections
     */
    public int activeConnections() {
        return connections.size();
    }

    /**
     * Connections accepted since start (including reset ones).
     *
     * @return the number accepted, never decreasing
     */
    public long acceptedConnections() {
        return accepted.get();
    }

    private synchronized void setMode(Mode m, long delay) {
        if (closed) {
            throw new IllegalStateException("proxy " + hostPort() + " is closed");
        }
        mode = m;
        delayNanos = delay;
        notifyAll();
        LOG.debug("proxy {} -> {}:{} mode {}{}", hostPort(), targetHost, targetPort, m,
                m == Mode.DELAY ? " " + Duration.ofNanos(delay) : "");
    }

    private synchronized long dueTime() {
        return System.nanoTime() + (mode == Mode.DELAY ? delayNanos : 0);
    }

    /** Blocks while black-holed; returns false if the proxy closed. Bounded by close(). */
    private synchronized boolean awaitDeliverable() throws InterruptedException {
        while (mode == Mode.BLACKHOLE && !closed) {
            wait(200);
        }
        return !closed;
    }

    private synchronized boolean isDropping() {
        return mode == Mode.DROP;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("proxy {} accept failed", hostPort(), e);
                }
                return;
            }
            accepted.incrementAndGet();
            if (closed || isDropping() || connections.size() >= maxConnections) {
                reset(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                upstream.connect(new InetSocketAddress(targetHost, targetPort), CONNECT_TIMEOUT_MS);
            } catch (IOException e) {
                LOG.debug("proxy {} cannot reach {}:{}: {}", hostPort(), targetHost, targetPort, e.toString());
                reset(upstream);
                reset(client);
                continue;
            }
            Connection c = new Connection(ids.incrementAndGet(), client, upstream);
            connections.add(c);
            if (closed || isDropping()) {
                c.close();
            } else {
                c.start();
            }
        }
    }

    /** Resets all connections, stops the acceptor and every pump thread, and waits for them. Idempotent. */
    @Override
    public void close() {
        List<Thread> toJoin = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            notifyAll();
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing the listener cannot fail in a way that matters
        }
        toJoin.add(acceptor);
        join(List.of(acceptor));
        for (Connection c : connections) {
            c.close();
            toJoin.addAll(c.threads);
        }
        join(toJoin);
        Reaper.unregister(this);
    }

    private static void join(List<Thread> threads) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MS);
        for (Thread t : threads) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                break;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void reset(Socket s) {
        try {
            if (!s.isClosed() && s.isConnected()) {
                s.setSoLinger(true, 0);
            }
        } catch (SocketException ignored) {
            // best effort RST
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public String toString() {
        return "TcpFaultProxy[" + hostPort() + " -> " + targetHost + ":" + targetPort + ", " + mode() + "]";
    }

    /** A chunk of bytes with the time it may be delivered; {@code data == null} marks end of stream. */
    private record Chunk(byte[] data, long due) {
    }

    /** One proxied connection: two directions, four threads, closed as a unit. */
    private final class Connection {
        private final Socket client;
        private final Socket upstream;
        private final List<Thread> threads = new ArrayList<>(4);
        private final AtomicInteger finishedDirections = new AtomicInteger();
        private volatile boolean connClosed;

        Connection(int id, Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
            String base = "coord-proxy-" + port() + "-c" + id;
            addDirection(base + "-up", client, upstream);
            addDirection(base + "-down", upstream, client);
        }

        private void addDirection(String name, Socket from, Socket to) {
            BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
            Thread r = new Thread(() -> readLoop(from, queue), name + "-read");
            Thread w = new Thread(() -> writeLoop(queue, to), name + "-write");
            r.setDaemon(true);
            w.setDaemon(true);
            threads.add(r);
            threads.add(w);
        }

        void start() {
            threads.forEach(Thread::start);
        }

        private void readLoop(Socket from, BlockingQueue<Chunk> queue) {
            byte[] buf = new byte[CHUNK];
            try {
                InputStream in = from.getInputStream();
                while (!connClosed) {
                    int n = in.read(buf);
                    if (n < 0) {
                        queue.put(new Chunk(null, dueTime()));
                        return;
                    }
                    byte[] data = new byte[n];
                    System.arraycopy(buf, 0, data, 0, n);
                    queue.put(new Chunk(data, dueTime()));
                }
            } catch (IOException | InterruptedException e) {
                close();
            }
        }

        private void writeLoop(BlockingQueue<Chunk> queue, Socket to) {
            try {
                OutputStream out = to.getOutputStream();
                while (!connClosed) {
                    Chunk c = queue.take();
                    if (!awaitDeliverable()) {
                        close();
                        return;
                    }
                    long wait;
                    while ((wait = c.due() - System.nanoTime()) > 0 && !connClosed) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    if (!awaitDeliverable()) {
                        close();
                        return;
                    }
                    if (c.data() == null) {
                        to.shutdownOutput();
                        if (finishedDirections.incrementAndGet() == 2) {
                            close();
                        }
                        return;
                    }
                    out.write(c.data());
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                close();
            }
        }

        void close() {
            if (connClosed) {
                return;
            }
            connClosed = true;
            reset(client);
            reset(upstream);
            for (Thread t : threads) {
                if (t != Thread.currentThread()) {
                    t.interrupt();
                }
            }
            connections.remove(this);
        }
    }
}
