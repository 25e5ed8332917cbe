package io.coord.zookeeper;

import java.util.HashMap;
import java.util.Map;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.WatcherType;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many open {@link ZkGroupWatch}es of one coordinator watch each group path, so that the last one to close
 * removes the server's persistent watch. The server keeps one persistent watch per path and connection however
 * many watchers the handle has on it, and removing one watcher ({@code removeWatches}) only drops it locally; only
 * {@code removeAllWatches} ends the server's, and it also drops every other watcher of that path on the handle.
 * Owned by the coordinator; thread-safe (a short lock, never held while waiting: removals are asynchronous).
 */
final class ZkGroupWatches {

    private static final Logger log = LoggerFactory.getLogger(ZkGroupWatches.class);

    private final Map<String, Integer> open = new HashMap<>();

    /** A watch of {@code path} opened (before it adds its watcher). */
    synchronized void opened(String path) {
        open.merge(path, 1, Integer::sum);
    }

    /**
     * A watch of {@code view}'s path closed; {@code watcher} (null if it never added one) was added on {@code zk}.
     * The last one removes every persistent watch of the path on the client's current handle, server side too.
     */
    synchronized void closed(ZkGroupView view, ZooKeeper zk, Watcher watcher) {
        String path = view.path();
        int left = open.merge(path, -1, Integer::sum);
        try {
            if (left <= 0) {
                open.remove(path);
                view.count();
                view.handle().removeAllWatches(path, WatcherType.PersistentRecursive, true, (rc, p, ctx) -> {
                    // event thread: NOWATCHER means the handle was replaced meanwhile; nothing to do
                }, null);
            } else if (watcher != null) {
                view.count();
                zk.removeWatches(path, watcher, WatcherType.PersistentRecursive, true, (rc, p, ctx) -> {
                    // event thread: nothing to do
                }, null);
            }
        } catch (RuntimeException e) {
            log.debug("removing the watch of {} failed (the client is closing?)", path, e);
        }
    }
}
