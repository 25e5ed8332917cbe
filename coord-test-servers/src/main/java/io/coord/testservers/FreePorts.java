package io.coord.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Free TCP ports on 127.0.0.1. Guarantees: the ports returned by one call are distinct, were
 * bindable at the time of the call, and were not handed out before by this JVM. (Another process
 * may still grab one before the server binds it; launchers retry a failed fresh start on new ports.)
 */
public final class FreePorts {
    private static final Set<Integer> HANDED_OUT = new HashSet<>();
    private static final int MAX_ATTEMPTS = 200;

    private FreePorts() {
    }

    /**
     * Returns {@code count} distinct free loopback ports.
     *
     * @param count how many ports, 1 to 64
     * @return {@code count} distinct ports, none handed out before by this JVM
     * @throws IllegalArgumentException if {@code count} is out of [1, 64]
     * @throws IllegalStateException if not enough free ports were found
     */
    public static synchronized int[] allocate(int count) {
        if (count < 1 || count > 64) {
            throw new IllegalArgumentException("count must be in [1, 64], was " + count);
        }
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            int found = 0;
            for (int attempt = 0; attempt < MAX_ATTEMPTS && found < count; attempt++) {
                ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                held.add(s);
                int p = s.getLocalPort();
                if (HANDED_OUT.add(p)) {
                    ports[found++] = p;
                }
            }
            if (found < count) {
                throw new IllegalStateException("could not find " + count + " free loopback ports");
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot allocate loopback ports", e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a probe socket cannot matter
                }
            }
        }
    }

    /**
     * Returns one free loopback port.
     *
     * @return a port not handed out before by this JVM
     */
    public static int allocate() {
        return allocate(1)[0];
    }
}
