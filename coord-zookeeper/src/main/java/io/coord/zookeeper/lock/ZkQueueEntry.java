package io.coord.zookeeper.lock;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.spi.Candidate;
import io.coord.spi.Deadline;
import io.coord.zookeeper.ZkPaths;
import io.coord.zookeeper.ZooKeeperCoordinator;
import io.coord.zookeeper.session.ZooKeeperSession;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * The one queue recipe of the ZooKeeper backend, used by plain locks, fair locks and elections.
 *
 * <p><b>The plain {@link io.coord.lock.FencedLock} on ZooKeeper is this same fair queue</b> (in its
 * own subtree, {@code locks/} instead of {@code fair/}): waiters are granted in the order
 * ZooKeeper sequenced their entries, and each watches only its predecessor.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>{@link #enqueue()}: one {@code create} of an EPHEMERAL_SEQUENTIAL node
 *       {@code <queue>/<owner>-<nonce>-<seq>} under the queue's container (plus one {@code create}
 *       of the container the first time this coordinator uses that name, or after the server
 *       reaped it). The create returns the node's {@link Stat}: its {@code czxid} is the token.</li>
 *   <li>{@link #awaitTurn(Deadline)}: list the queue, order by sequence; first → granted. Otherwise
 *       put an exists-watch on the immediate predecessor only and wait for it on this worker
 *       thread; on a notification, count a wake-up and list again (which also verifies that our
 *       own node still exists — if not, the session is gone: {@link io.coord.SessionExpiredException}).</li>
 *   <li>{@link #remove()}: delete our node by its path (unique to this acquisition, so version -1
 *       can only ever delete ours). If the create's reply was lost (interrupt, connection loss),
 *       list the queue and delete the child carrying our {@code <owner>-<nonce>-} prefix. ZooKeeper
 *       executes one client's requests in order, so a create still in flight is executed before
 *       that listing and cannot appear after it.</li>
 * </ol>
 * One uncontended acquire + release: create, getChildren, delete = 3 round trips (4 the first
 * time a coordinator uses a name: the container create).
 *
 * <h2>Why safe</h2>
 * An entry is granted only when no entry with a smaller sequence exists; entries with a smaller
 * sequence were created earlier, so any read after our create (served by a member that has applied
 * our create) sees them unless they were deleted — by release, or by the expiry of their session,
 * which the server decides no earlier than that session's own {@code validUntil}. Our own handle
 * never opens a second ZooKeeper session (see {@link ZooKeeperSession}), so after an expiry every
 * request here fails with {@code SESSIONEXPIRED} and no entry is ever created for a dead coord
 * session. Tokens: see {@link ZkPaths}.
 *
 * <h2>Threads and ownership</h2>
 * Every method runs on the thread of the acquisition (a coord worker) or of the releasing caller,
 * never concurrently (the spi serializes them); fields are volatile for the hand-over between
 * those threads. The watcher runs on ZooKeeper's event thread and only counts down a latch.
 *
 * <h2>Connection loss</h2>
 * A request failing with {@code CONNECTIONLOSS} (or timing out: the client then drops the
 * connection) is retried after the handle reconnects (waiting at
 * most the deadline, or the connection timeout → {@link BackendUnavailableException}); a create
 * whose outcome is unknown is first looked up by prefix. Watches survive reconnection (the client
 * re-registers them and the server fires those whose node changed meanwhile).
 */
public final class ZkQueueEntry implements Candidate {

    /** Attempts of one step (create, delete) across container re-creation and connection losses. */
    private static final int MAX_ATTEMPTS = 5;
    /** Re-checks without a wait in between (predecessor already gone, connection loss) before giving up. */
    private static final int MAX_BUSY_CHECKS = 10_000;

    private final ZooKeeperSession session;
    private final ZooKeeperCoordinator coordinator;
    private final Primitive primitive;
    private final String queue;
    private final String prefix;
    private volatile byte[] data;

    /** Our node's name once known; null before the create's reply. */
    private volatile String nodeName;
    private volatile long czxid;
    private volatile int dataVersion;
    /** A create was sent (its outcome may be unknown). */
    private volatile boolean createSent;
    private volatile boolean removed;

    public ZkQueueEntry(ZooKeeperSession session, Primitive primitive, String queue, byte[] data) {
        this.session = session;
        this.coordinator = session.zkCoordinator();
        this.primitive = primitive;
        this.queue = queue;
        this.prefix = ZkPaths.entryPrefix(session.zkSessionId());
        this.data = data;
    }

    @Override
    public void enqueue() throws Exception {
        ZooKeeper zk = session.zk();
        Exception last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            ensureQueue(zk);
            Stat stat = new Stat();
            try {
                createSent = true;
                session.stats().roundTrip(primitive);
                String created = zk.create(queue + "/" + prefix, data, ZooDefs.Ids.OPEN_ACL_UNSAFE,
                        CreateMode.EPHEMERAL_SEQUENTIAL, stat);
                adopt(ZkPaths.lastSegment(created), stat);
                return;
            } catch (KeeperException.NoNodeException e) {
                coordinator.forgetQueue(queue); // the container was reaped meanwhile: re-create it
                last = e;
            } catch (KeeperException.ConnectionLossException | KeeperException.RequestTimeoutException e) {
                last = e;
                session.awaitConnected(Deadline.after(coordinator.connectionTimeout()), "enqueueing in " + queue);
                if (findOwn(zk)) {
                    return;
                }
            } catch (KeeperException.SessionExpiredException e) {
                session.serverSaysExpired("ZooKeeper answered SESSIONEXPIRED to a create");
                throw session.expiredError();
            }
        }
        throw new BackendUnavailableException("could not enqueue in " + queue + " after " + MAX_ATTEMPTS + " attempts: " + last, last);
    }

    @Override
    public long awaitTurn(Deadline deadline) throws Exception {
        ZooKeeper zk = session.zk();
        int busy = 0;
        while (true) {
            if (++busy > MAX_BUSY_CHECKS) {
                throw new BackendUnavailableException("queue " + queue + " kept changing; gave up after " + MAX_BUSY_CHECKS + " checks", null);
            }
            List<String> entries;
            try {
                entries = entries(zk);
            } catch (KeeperException.ConnectionLossException | KeeperException.RequestTimeoutException e) {
                session.awaitConnected(deadline, "waiting in " + queue);
                continue;
            }
            int mine = entries.indexOf(nodeName);
            if (mine < 0) {
                // Our ephemeral node is gone: only the end of our ZooKeeper session (or an operator) removes it.
                throw session.expiredError();
            }
            if (mine == 0) {
                return czxid;
            }
            deadline.check("waiting for " + queue);
            String predecessor = queue + "/" + entries.get(mine - 1);
            CountDownLatch gone = new CountDownLatch(1);
            Watcher watcher = event -> {
                // ZooKeeper event thread: count down only. Connection-state events (type None) leave
                // the watch registered, so only a node event or the handle's death wakes us.
                if (event.getType() != Watcher.Event.EventType.None
                        || event.getState() == Watcher.Event.KeeperState.Expired
                        || event.getState() == Watcher.Event.KeeperState.Closed) {
                    gone.countDown();
                }
            };
            try {
                session.stats().roundTrip(primitive);
                if (zk.exists(predecessor, watcher) == null) {
                    continue; // already gone: re-check at once
                }
            } catch (KeeperException.ConnectionLossException | KeeperException.RequestTimeoutException e) {
                session.awaitConnected(deadline, "waiting in " + queue);
                continue;
            } catch (KeeperException.SessionExpiredException e) {
                session.serverSaysExpired("ZooKeeper answered SESSIONEXPIRED while waiting");
                throw session.expiredError();
            }
            if (!deadline.await(gone)) {
                throw new TimeoutException("waiting for " + queue + " timed out");
            }
            session.stats().wakeup(primitive);
            busy = 0;
        }
    }

    @Override
    public void remove() throws Exception {
        if (removed || (nodeName == null && !createSent)) {
            return;
        }
        ZooKeeper zk = session.zk();
        Exception last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try {
                String name = nodeName;
                if (name == null) {
                    name = findOwnName(zk);
                    if (name == null) {
                        removed = true;
                        return; // the create never took effect
                    }
                }
                session.stats().roundTrip(primitive);
                zk.delete(queue + "/" + name, -1);
                removed = true;
                return;
            } catch (KeeperException.NoNodeException e) {
                removed = true;
                return;
            } catch (KeeperException.SessionExpiredException e) {
                // The session is gone on the server: so are its ephemeral entries (or they go at its timeout if halted).
                session.serverSaysExpired("ZooKeeper answered SESSIONEXPIRED to a delete");
                removed = true;
                return;
            } catch (KeeperException.ConnectionLossException | KeeperException.RequestTimeoutException e) {
                if (session.state().isTerminal()) {
                    return; // the session's end (closeSession, or its expiry on the server) removes the entry
                }
                last = e;
                session.awaitConnected(Deadline.after(coordinator.connectionTimeout()), "removing an entry of " + queue);
            }
        }
        throw new BackendUnavailableException("could not remove the entry of " + queue + " after " + MAX_ATTEMPTS + " attempts: " + last, last);
    }

    /** Replaces the node's data, guarded by the version we last wrote: fails if the node is gone or was changed by others. */
    @Override
    public boolean proclaim(String value) throws Exception {
        String name = nodeName;
        if (name == null || removed) {
            return false;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        try {
            session.stats().roundTrip(primitive);
            Stat stat = session.zk().setData(queue + "/" + name, bytes, dataVersion);
            dataVersion = stat.getVersion();
            data = bytes;
            return true;
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            return false;
        } catch (KeeperException.SessionExpiredException e) {
            session.serverSaysExpired("ZooKeeper answered SESSIONEXPIRED to a setData");
            return false;
        }
    }

    /** Our node's path, once known (for tests and diagnostics). */
    public String path() {
        String name = nodeName;
        return name == null ? null : queue + "/" + name;
    }

    // ---- helpers (worker thread) ----------------------------------------------------------

    /** The queue's entries in queue order (empty if the queue container does not exist). */
    private List<String> entries(ZooKeeper zk) throws Exception {
        List<String> children;
        try {
            session.stats().roundTrip(primitive);
            children = zk.getChildren(queue, false);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (KeeperException.SessionExpiredException e) {
            session.serverSaysExpired("ZooKeeper answered SESSIONEXPIRED to a getChildren");
            throw session.expiredError();
        }
        List<String> entries = new ArrayList<>(children.size());
        for (String c : children) {
            if (ZkPaths.isEntry(c)) {
                entries.add(c);
            }
        }
        entries.sort(ZkPaths.QUEUE_ORDER);
        return entries;
    }

    private void adopt(String name, Stat stat) {
        nodeName = name;
        czxid = stat.getCzxid();
        dataVersion = stat.getVersion();
    }

    /** After a create with unknown outcome: adopt our node if it exists. */
    private boolean findOwn(ZooKeeper zk) throws Exception {
        String name;
        try {
            name = findOwnName(zk);
        } catch (KeeperException.ConnectionLossException | KeeperException.RequestTimeoutException e) {
            return false;
        }
        if (name == null) {
            return false;
        }
        session.stats().roundTrip(primitive);
        Stat stat = zk.exists(queue + "/" + name, false);
        if (stat == null) {
            return false;
        }
        adopt(name, stat);
        return true;
    }

    private String findOwnName(ZooKeeper zk) throws Exception {
        List<String> children;
        try {
            session.stats().roundTrip(primitive);
            children = zk.getChildren(queue, false);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
        for (String c : children) {
            if (c.startsWith(prefix)) {
                return c;
            }
        }
        return null;
    }

    /** Creates the queue's container unless this coordinator knows it exists (and the skeleton above it if missing). */
    private void ensureQueue(ZooKeeper zk) throws Exception {
        if (coordinator.isKnownQueue(queue)) {
            return;
        }
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try {
                session.stats().roundTrip(primitive);
                zk.create(queue, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
                coordinator.rememberQueue(queue);
                return;
            } catch (KeeperException.NodeExistsException e) {
                coordinator.rememberQueue(queue);
                return;
            } catch (KeeperException.NoNodeException e) {
                createSkeleton(zk);
            } catch (KeeperException.ConnectionLossException | KeeperException.RequestTimeoutException e) {
                session.awaitConnected(Deadline.after(coordinator.connectionTimeout()), "creating " + queue);
            } catch (KeeperException.SessionExpiredException e) {
                session.serverSaysExpired("ZooKeeper answered SESSIONEXPIRED to a create");
                throw session.expiredError();
            }
        }
        throw new BackendUnavailableException("could not create the queue container " + queue, null);
    }

    private void createSkeleton(ZooKeeper zk) throws Exception {
        for (String path : coordinator.paths().skeleton()) {
            try {
                session.stats().roundTrip(primitive);
                zk.create(path, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
            } catch (KeeperException.NodeExistsException e) {
                // fine
            }
        }
    }

    @Override
    public String toString() {
        return "entry " + (nodeName == null ? prefix + "?" : nodeName) + " of " + queue;
    }
}
