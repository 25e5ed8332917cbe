package io.coord.zookeeper;

import io.coord.Primitive;
import io.coord.zookeeper.ZkConnection.Retry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;

/**
 * The queue, slot and group containers ({@link ZkPaths}) a coordinator has created or seen, so that a name's container
 * create is paid once per coordinator (the "4 on first use" of the round-trip budget). A cache only:
 * the server reaps empty containers, and an entry's create answering NONODE {@link #forget}s the queue
 * and creates it again. Shared by the coordinator's sessions; thread-safe.
 */
final class ZkContainers {

    private static final int MAX_KNOWN = 10_000;

    private final ZkPaths paths;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    ZkContainers(ZkPaths paths) {
        this.paths = paths;
    }

    /**
     * Creates {@code queue}'s container unless known (one round trip), and the skeleton above it if the
     * server reaped that too (one more per missing level). Asynchronous; never blocks.
     */
    CompletableFuture<Void> ensure(ZkConnection connection, Primitive primitive, String queue) {
        if (known.contains(queue)) {
            return CompletableFuture.completedFuture(null);
        }
        return create(connection, primitive, queue).thenCompose(code -> {
            if (code != Code.NONODE) {
                remember(queue);
                return CompletableFuture.completedFuture(null);
            }
            return skeleton(connection, primitive, paths.skeleton(), 0)
                    .thenCompose(v -> create(connection, primitive, queue))
                    .thenAccept(again -> remember(queue));
        });
    }

    void forget(String queue) {
        known.remove(queue);
    }

    private void remember(String queue) {
        if (known.size() >= MAX_KNOWN) {
            known.clear();
        }
        known.add(queue);
    }

    private CompletableFuture<Void> skeleton(ZkConnection connection, Primitive primitive, List<String> nodes, int i) {
        if (i == nodes.size()) {
            return CompletableFuture.completedFuture(null);
        }
        return create(connection, primitive, nodes.get(i)).thenCompose(code -> skeleton(connection, primitive, nodes, i + 1));
    }

    /** A container create: OK, NODEEXISTS (fine) or NONODE (parent missing). Repeating it is harmless. */
    private static CompletableFuture<Code> create(ZkConnection connection, Primitive primitive, String path) {
        return connection.<String>call(primitive, "creating " + path, Retry.REPEATABLE,
                (zk, reply) -> zk.create(path, new byte[0], connection.aclFor(path), CreateMode.CONTAINER,
                        (rc, p, ctx, name) -> reply.accept(Code.get(rc), name), null),
                Code.NODEEXISTS, Code.NONODE).thenApply(ZkConnection.Reply::code);
    }
}
