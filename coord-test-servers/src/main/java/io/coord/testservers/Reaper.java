package io.coord.testservers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process-wide registry of everything the kit started and has not closed yet. One JVM shutdown
 * hook (installed on first use) closes whatever is still registered, newest first, so child
 * processes and in-process servers are stopped even when a test fails or forgets to close.
 * Thread-safe: all access is synchronized on the registry set.
 */
final class Reaper {
    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);
    private static final Set<AutoCloseable> LIVE = Collections.newSetFromMap(new IdentityHashMap<>());
    private static boolean hookInstalled;

    private Reaper() {
    }

    /** Registers {@code resource} to be closed at JVM exit unless {@link #unregister} is called first. */
    static void register(AutoCloseable resource) {
        synchronized (LIVE) {
            if (!hookInstalled) {
                Runtime.getRuntime().addShutdownHook(new Thread(Reaper::closeAll, "coord-testkit-reaper"));
                hookInstalled = true;
            }
            LIVE.add(resource);
        }
    }

    /** Forgets {@code resource} (it was closed normally). */
    static void unregister(AutoCloseable resource) {
        synchronized (LIVE) {
            LIVE.remove(resource);
        }
    }

    private static void closeAll() {
        List<AutoCloseable> all;
        synchronized (LIVE) {
            all = new ArrayList<>(LIVE);
            LIVE.clear();
        }
        Collections.reverse(all);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception | Error e) {
                LOG.warn("shutdown hook could not close {}", c, e);
            }
        }
    }
}
