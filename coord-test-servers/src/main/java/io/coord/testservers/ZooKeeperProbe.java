package io.coord.testservers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * ZooKeeper four-letter-word probe ({@code srvr}, whitelisted by default) over a plain socket,
 * bounded by its timeout; never throws.
 */
final class ZooKeeperProbe {
    private ZooKeeperProbe() {
    }

    /** The {@code Mode:} line of {@code srvr} ("leader", "follower", "standalone"), or empty. */
    static Optional<String> mode(int port, Duration timeout) {
        Optional<String> srvr = fourLetter(port, "srvr", timeout);
        if (srvr.isEmpty()) {
            return Optional.empty();
        }
        for (String line : srvr.get().split("\n")) {
            if (line.startsWith("Mode:")) {
                return Optional.of(line.substring(5).trim());
            }
        }
        return Optional.empty();
    }

    static Optional<String> fourLetter(int port, String cmd, Duration timeout) {
        int millis = (int) Math.max(1, timeout.toMillis());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), millis);
            s.setSoTimeout(millis);
            s.getOutputStream().write(cmd.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) >= 0 && out.size() < 1 << 20; ) {
                out.write(buf, 0, n);
            }
            return Optional.of(out.toString(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
