package io.coord.examples.registry;

import com.sun.net.httpserver.HttpServer;
import io.coord.Coordinator;
import io.coord.Session;
import io.coord.group.Membership;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One instance of {@code user-service}, in a process of its own: serves {@code GET /user} on a free loopback port,
 * registers {@code 127.0.0.1:port} in the group {@code user-service} under its instance id, and stays registered as
 * long as its session lives. It reports on stdout.
 *
 * <pre>
 * args: uri instanceId ttlMillis
 * out:  JOINED port joinToken | LOST reason | BYE served
 * in:   EXIT (leave the group, close, exit 0); end of input does the same
 * </pre>
 */
public final class UserServiceInstance {

    static final String GROUP = "user-service";

    private UserServiceInstance() {
    }

    /**
     * Runs one instance; see the class comment.
     *
     * @param args {@code uri instanceId ttlMillis}
     * @throws Exception any failure, which ends the process with a stack trace
     */
    public static void main(String[] args) throws Exception {
        String uri = args[0];
        String id = args[1];
        Duration ttl = Duration.ofMillis(Long.parseLong(args[2]));
        AtomicLong served = new AtomicLong();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        http.createContext("/user", exchange -> {
            byte[] body = ("user from " + id).getBytes(StandardCharsets.UTF_8);
            served.incrementAndGet();
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        try (Coordinator coordinator = Coordinator.open(uri); Session session = coordinator.openSession(ttl);
             Membership membership = session.join(GROUP, id, "127.0.0.1:" + http.getAddress().getPort())) {
            membership.whenLost().thenAccept(reason -> say("LOST " + reason));
            say("JOINED " + http.getAddress().getPort() + " " + membership.member().joinToken());
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null && !line.trim().equals("EXIT"); ) {
                    say("UNKNOWN " + line);
                }
            }
        } finally {
            http.stop(0);
        }
        say("BYE " + served.get());
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
