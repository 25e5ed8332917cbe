package io.coord.zookeeper;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import io.coord.spi.GroupFeed;
import io.coord.spi.GroupViewBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.ZooKeeper;

/**
 * A group read and watched through the coordinator's Curator client (no session needed): the children of
 * {@code /<ns>/groups/<group>} are the members ({@link ZkPaths}).
 *
 * <p>A read is {@code sync} (so that a lagging ensemble member answers at least as recently as every write done
 * before the call), {@code getChildren} of the group node, then one {@code getData} per child, all pipelined on one
 * handle: 2 + members round trips. Its revision is the greatest zxid it saw, {@code max(pzxid of the group node,
 * mzxid of each member)}: every change of the group (a member created or deleted, its data written) moves one of
 * them, so a later state never has a smaller revision. A group node that does not exist (never used, or reaped
 * once empty) has the {@code pzxid} of its nearest existing ancestor, which moved when the group node was deleted.
 * The watch is {@link ZkGroupWatch}, built from the same requests.
 *
 * <p>Threads: {@link #read()} blocks the caller (bounded by the operation timeout, retrying while the client
 * reconnects); the request methods only send, and complete their futures on the handle's event thread.
 */
final class ZkGroupView extends GroupViewBase {

    /** A pause between read attempts while the client reconnects. */
    private static final long RETRY_PAUSE_MS = 100;

    /** The member node names of a group and the group node's pzxid (its nearest ancestor's if it does not exist). */
    record Listing(List<String> children, long revision) {
    }

    private final ZooKeeperCoordinator zkCoordinator;
    private final String path;

    ZkGroupView(ZooKeeperCoordinator coordinator, String name) {
        super(coordinator, name);
        this.zkCoordinator = coordinator;
        this.path = coordinator.paths().group(name);
    }

    @Override
    protected GroupSnapshot read() {
        long deadline = System.nanoTime() + zkCoordinator.operationTimeout().toNanos();
        String what = "reading group '" + name() + "'";
        try {
            while (true) {
                ZooKeeper zk = handle();
                CompletableFuture<GroupSnapshot> read = sync(zk).thenCompose(v -> list(zk)).thenCompose(l -> snapshot(zk, l));
                try {
                    return read.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException e) {
                    Code code = e.getCause() instanceof KeeperException k ? k.code() : null;
                    if (code != null && ZkSecurity.isRefusal(code)) {
                        throw zkCoordinator.security().refused(what, code);
                    }
                    if (!isTransient(code) || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_PAUSE_MS) - deadline > 0) {
                        throw new BackendUnavailableException("ZooKeeper: " + what + " failed: " + e.getCause(), e.getCause());
                    }
                }
                Thread.sleep(RETRY_PAUSE_MS); // the connection was lost under the read: read again once it is back
            }
        } catch (TimeoutException e) {
            throw new BackendUnavailableException("ZooKeeper: " + what + ": no reply within "
                    + zkCoordinator.operationTimeout().toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while " + what, e);
        }
    }

    @Override
    protected Runnable startWatch(GroupFeed feed) {
        ZkGroupWatch watch = new ZkGroupWatch(zkCoordinator, this, feed);
        watch.start();
        return watch::stop;
    }

    // ---- requests, for the read and the watch ----------------------------------------------

    /** {@code /<ns>/groups/<encoded group>}. */
    String path() {
        return path;
    }

    /** The Curator client's current handle (Curator replaces it after its session expired). */
    ZooKeeper handle() {
        try {
            return zkCoordinator.client().getZookeeperClient().getZooKeeper();
        } catch (Exception e) {
            throw new BackendUnavailableException("ZooKeeper: the coordinator's client is not available: " + e, e);
        }
    }

    /** {@code sync} of the group's path on {@code zk}: later reads on it see every write done before. */
    CompletableFuture<Void> sync(ZooKeeper zk) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        count();
        zk.sync(path, (rc, p, ctx) -> settle(done, Code.get(rc), null, Code.NONODE), null);
        return done;
    }

    /** {@code getChildren} of the group node: the member nodes and the group's pzxid (see the class comment). */
    CompletableFuture<Listing> list(ZooKeeper zk) {
        CompletableFuture<Listing> listed = new CompletableFuture<>();
        count();
        zk.getChildren(path, false, (rc, p, ctx, children, stat) -> {
            Code code = Code.get(rc);
            if (code == Code.OK) {
                List<String> members = new ArrayList<>(children.size());
                for (String child : children) {
                    if (ZkPaths.memberId(child) != null) {
                        members.add(child);
                    }
                }
                listed.complete(new Listing(members, stat.getPzxid()));
            } else if (code == Code.NONODE) {
                ancestorRevision(zk, path).whenComplete((revision, e) -> {
                    if (e != null) {
                        listed.completeExceptionally(e);
                    } else {
                        listed.complete(new Listing(List.of(), revision));
                    }
                });
            } else {
                listed.completeExceptionally(KeeperException.create(code, path));
            }
        }, null);
        return listed;
    }

    /** {@code getData} of one member node: the member, or empty if the node does not exist (any more). */
    CompletableFuture<Optional<Member>> member(ZooKeeper zk, String child) {
        CompletableFuture<Optional<Member>> read = new CompletableFuture<>();
        String id = ZkPaths.memberId(child);
        count();
        zk.getData(path + "/" + child, false, (rc, p, ctx, data, stat) -> settle(read, Code.get(rc),
                () -> Optional.of(ZkPaths.member(id, data, stat)), Code.NONODE), null);
        return read.thenApply(m -> m == null ? Optional.empty() : m);
    }

    /** Every member of a listing, read on {@code zk} (pipelined), as one snapshot. */
    CompletableFuture<GroupSnapshot> snapshot(ZooKeeper zk, Listing listing) {
        List<CompletableFuture<Optional<Member>>> reads = new ArrayList<>();
        for (String child : listing.children()) {
            reads.add(member(zk, child));
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Member> members = new ArrayList<>();
            long revision = listing.revision();
            for (CompletableFuture<Optional<Member>> r : reads) {
                Optional<Member> m = r.join();
                if (m.isPresent()) {
                    members.add(m.get());
                    revision = Math.max(revision, m.get().version());
                }
            }
            return new GroupSnapshot(name(), members, revision);
        });
    }

    void count() {
        zkCoordinator.statsRecorder().roundTrip(Primitive.GROUP);
    }

    /** Whether a read failed only because the client is reconnecting (or Curator is replacing its session). */
    static boolean isTransient(Code code) {
        return code != null && (ZkConnection.isTransient(code) || code == Code.SESSIONEXPIRED || code == Code.SESSIONMOVED);
    }

    /** The pzxid of the nearest existing ancestor of {@code missing} ({@code /} always exists). */
    private CompletableFuture<Long> ancestorRevision(ZooKeeper zk, String missing) {
        String parent = missing.substring(0, Math.max(1, missing.lastIndexOf('/')));
        CompletableFuture<org.apache.zookeeper.data.Stat> stat = new CompletableFuture<>();
        count();
        zk.exists(parent, false, (rc, p, ctx, s) -> settle(stat, Code.get(rc), () -> s, Code.NONODE), null);
        return stat.thenCompose(s -> s != null ? CompletableFuture.completedFuture(s.getPzxid()) : ancestorRevision(zk, parent));
    }

    /** Completes {@code future} from a reply: the value on OK, null on an accepted code, else the code's exception. */
    private <T> void settle(CompletableFuture<T> future, Code code, java.util.function.Supplier<T> value, Code accepted) {
        if (code == Code.OK) {
            future.complete(value == null ? null : value.get());
        } else if (code == accepted) {
            future.complete(null);
        } else {
            future.completeExceptionally(KeeperException.create(code, path));
        }
    }
}
