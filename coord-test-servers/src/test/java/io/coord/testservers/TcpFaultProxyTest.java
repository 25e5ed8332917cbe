package io.coord.testservers;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TcpFaultProxyTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A tiny echo server: one thread accepting, one per connection echoing. */
    static final class EchoServer implements AutoCloseable {
        final ServerSocket server;
        final List<Socket> sockets = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();

        EchoServer() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::acceptLoop, "echo-accept");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }

        private void acceptLoop() {
            try {
                while (!server.isClosed()) {
                    Socket s = server.accept();
                    sockets.add(s);
                    Thread t = new Thread(() -> echo(s), "echo-conn");
                    t.setDaemon(true);
                    threads.add(t);
                    t.start();
                }
            } catch (IOException ignored) {
                // closed
            }
        }

        private static void echo(Socket s) {
            byte[] buf = new byte[4096];
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // peer went away
            }
        }

        int port() {
            return server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
            for (Thread t : threads) {
                try {
                    t.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private EchoServer echo;
    private TcpFaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        proxy = TcpFaultProxy.start("127.0.0.1", echo.port());
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close();
        echo.close();
        String prefix = "coord-proxy-" + proxy.port() + "-";
        await().atMost(WAIT).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith(prefix) && t.isAlive()));
    }

    private Socket connect(int soTimeoutMs) throws IOException {
        Socket s = new Socket("127.0.0.1", proxy.port());
        s.setSoTimeout(soTimeoutMs);
        return s;
    }

    private static byte[] roundTrip(Socket s, String msg) throws IOException {
        byte[] out = msg.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(out);
        s.getOutputStream().flush();
        return s.getInputStream().readNBytes(out.length);
    }

    @Test
    void passForwardsBothWays() throws IOException {
        try (Socket s = connect(5000)) {
            assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), roundTrip(s, "hello"));
            assertEquals(TcpFaultProxy.Mode.PASS, proxy.mode());
            assertEquals(1, proxy.activeConnections());
        }
        await().atMost(WAIT).until(() -> proxy.activeConnections() == 0);
    }

    @Test
    void delayAddsLatencyInEachDirection() throws IOException {
        try (Socket s = connect(10_000)) {
            roundTrip(s, "warm-up");
            proxy.delay(Duration.ofMillis(150));
            assertEquals(Duration.ofMillis(150), proxy.delay());
            long t0 = System.nanoTime();
            assertArrayEquals("slow".getBytes(StandardCharsets.UTF_8), roundTrip(s, "slow"));
            long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(elapsedMs >= 300, "round trip through a 150 ms one-way delay took only " + elapsedMs + " ms");
            proxy.heal();
            assertArrayEquals("fast".getBytes(StandardCharsets.UTF_8), roundTrip(s, "fast"));
        }
    }

    @Test
    void blackholeDeliversNothingUntilHealedAndLosesNoBytes() throws IOException {
        try (Socket s = connect(300)) {
            roundTrip(s, "before");
            proxy.blackhole();
            s.getOutputStream().write("held".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
            try (Socket late = connect(300)) {   // new connections are accepted but never answered
                late.getOutputStream().write('x');
                assertThrows(SocketTimeoutException.class, () -> late.getInputStream().read());
            }
            proxy.heal();
            s.setSoTimeout(10_000);
            assertArrayEquals("held".getBytes(StandardCharsets.UTF_8), s.getInputStream().readNBytes(4));
            assertArrayEquals("after".getBytes(StandardCharsets.UTF_8), roundTrip(s, "after"));
        }
    }

    @Test
    void dropResetsCurrentAndNewConnections() throws IOException {
        try (Socket s = connect(10_000)) {
            roundTrip(s, "before");
            proxy.drop();
            assertEquals(0, proxy.activeConnections());
            assertClosedByPeer(s);
            try (Socket late = connect(10_000)) {
                assertClosedByPeer(late);
            }
        }
        proxy.heal();
        try (Socket s = connect(10_000)) {
            assertArrayEquals("again".getBytes(StandardCharsets.UTF_8), roundTrip(s, "again"));
        }
    }

    private static void assertClosedByPeer(Socket s) {
        try {
            s.getOutputStream().write('x');
            s.getOutputStream().flush();
            int r = s.getInputStream().read();
            assertEquals(-1, r, "expected EOF or reset");
        } catch (IOException expected) {
            // connection reset: what DROP promises
            assertTrue(!(expected instanceof SocketTimeoutException), "DROP must not time out: " + expected);
        }
    }
}
