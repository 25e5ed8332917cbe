package io.coord.zookeeper;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.SessionState;
import io.coord.group.Member;
import io.coord.spi.SessionBase;
import io.coord.spi.QueueEntry;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One coord session = one ZooKeeper session, with its own plain {@link ZooKeeper} handle whose
 * session timeout is the requested TTL.
 *
 * <h2>Why a plain handle, not Curator</h2>
 * A coord session's TTL, its ephemeral entries and its revocation are exactly those of one
 * ZooKeeper session. Curator's connection management re-creates a new ZooKeeper session after an
 * expiry ({@code ConnectionState} resets the handle); a recipe that then re-created its ephemeral
 * node under the new session would hold a lock that the application already lost (CURATOR-604).
 * A plain handle never does that: once ZooKeeper reports {@code Expired}, the handle is dead,
 * every later request fails with {@code SESSIONEXPIRED}, and this coord session is EXPIRED for
 * good. Within the session the handle still fails over between ensemble members by itself.
 *
 * <h2>TTL</h2>
 * The server clamps the requested timeout to [2, 20] × tickTime; {@link #grantedTtl()} is the
 * negotiated timeout ({@link ZooKeeper#getSessionTimeout()} after connecting), and the base logs
 * a difference at WARN. The server expires the session no earlier than the last request it
 * received plus the negotiated timeout, which is why the base's {@code validUntil} (send time of
 * the last answered renewal plus that timeout) is never late. In an ensemble the renewal may be
 * answered by a follower, which reports the touch to the leader at its next ping; a follower cut
 * off from the leader keeps answering for at most syncLimit × tickTime before it drops its
 * clients. That residual window is ZooKeeper's own (every ZooKeeper lock has it) and is what the
 * fencing token is for.
 *
 * <h2>Threads and ownership</h2>
 * The handle's send and event threads belong to this session (named {@code coord-zookeeper-session-…}):
 * the only threads a session adds. The {@link Watcher} runs on the event thread and only records the
 * connection state, counts down a latch or reports an expiry (the base's {@link #expired(String)}
 * never blocks); it never calls the server. Recipes talk to the handle through this session's
 * {@link ZkConnection} (asynchronous; replies on the event thread), so a pending wait holds no thread.
 * The session owns its group members' nodes and what it remembers of their joins ({@link ZkMemberNodes}).
 *
 * <h2>Connection loss</h2>
 * A disconnected handle keeps trying the ensemble's members; requests fail with
 * {@code CONNECTIONLOSS}, renewals therefore fail and the base marks the session SUSPENDED, then
 * EXPIRED at its local deadline. Curator's LOST would only be a client-side guess; the local
 * deadline already covers it, so it is not used. Recipe requests are retried by the connection
 * while the handle reconnects (see {@link ZkConnection}).

 */
final class ZkSession extends SessionBase {

    private static final Logger log = LoggerFactory.getLogger(ZkSession.class);
    private static final AtomicInteger HANDLES = new AtomicInteger();

    private final ZooKeeperCoordinator zkCoordinator;
    private final ZooKeeper zk;
    private final long zkSessionId;
    private final ZkConnection connection;
    private final ZkMemberNodes members;

    private ZkSession(ZooKeeperCoordinator coordinator, ZooKeeper zk, Duration requestedTtl, Duration grantedTtl, long sentNanos) {
        super(coordinator, ZkPaths.sessionIdText(zk.getSessionId()), requestedTtl, grantedTtl, sentNanos);
        this.zkCoordinator = coordinator;
        this.zk = zk;
        this.zkSessionId = zk.getSessionId();
        this.connection = new ZkConnection(zk, coordinator.security(), coordinator.statsRecorder(), coordinator.scheduler(),
                coordinator.operationTimeout(), coordinator.connectTimeout(), why -> {
                    expired(why); // a request came back with SESSIONEXPIRED: the server dropped this session
                    return expiredError();
                });
        this.members = new ZkMemberNodes(this, coordinator.paths());
    }

    /**
     * Opens a ZooKeeper session with timeout {@code ttl} and waits (up to the connection timeout)
     * until it is established. Blocking, on the caller's thread.
     *
     * <p>A session that the server expires before this method returns (the machine stalled for longer than
     * the TTL right after connecting, so the handle reconnected to an expired session) holds nothing yet, so
     * a new handle is tried while the connection timeout lasts; the caller only ever gets a session that was
     * live when it was handed over.
     */
    static ZkSession open(ZooKeeperCoordinator coordinator, Duration ttl) {
        long deadline = System.nanoTime() + coordinator.connectTimeout().toNanos();
        for (int attempt = 1; ; attempt++) {
            long sent = System.nanoTime(); // before the connect request creates the session on the server
            SessionWatcher watcher = new SessionWatcher();
            ZooKeeper zk = connect(coordinator, ttl, watcher, Duration.ofNanos(Math.max(0, deadline - sent)));
            if (zk != null) {
                Duration granted = Duration.ofMillis(zk.getSessionTimeout());
                ZkSession session = new ZkSession(coordinator, zk, ttl, granted, sent);
                watcher.attach(session);
                return session;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new BackendUnavailableException("could not open a ZooKeeper session at " + coordinator.connectString()
                        + ": each of " + attempt + " sessions expired while connecting (is the machine stalling for longer than the TTL of "
                        + ttl.toMillis() + " ms?)", null);
            }
            log.debug("the ZooKeeper session of connect attempt {} expired before it was handed over; trying a new one", attempt);
        }
    }

    /**
     * One handle, awaited up to {@code timeout}: the handle when it connected, or {@code null} when the
     * server expired its session while connecting (the handle is then closed).
     */
    private static ZooKeeper connect(ZooKeeperCoordinator coordinator, Duration ttl, SessionWatcher watcher, Duration timeout) {
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, ttl.toMillis());
        ZooKeeper zk = ZooKeeperCoordinator.withThreadName("coord-zookeeper-session-" + HANDLES.incrementAndGet(), () -> {
            try {
                ZooKeeper handle = new ZooKeeper(coordinator.connectString(), timeoutMs, watcher, coordinator.clientConfig());
                coordinator.security().authenticate(handle);
                return handle;
            } catch (IOException e) {
                throw new BackendUnavailableException("cannot create a ZooKeeper client for " + coordinator.connectString() + ": " + e, e);
            }
        });
        try {
            coordinator.security().awaitConnected(ms -> {
                if (!watcher.firstConnect.await(ms, TimeUnit.MILLISECONDS)) {
                    return false;
                }
                if (watcher.authFailed) {
                    throw coordinator.security().refused("authenticating a session", KeeperException.Code.AUTHFAILED);
                }
                return true; // connected, or expired while connecting (told below)
            }, timeout, "open a session", coordinator.workers());
        } catch (InterruptedException e) {
            closeQuietly(zk, coordinator);
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while opening a ZooKeeper session at " + coordinator.connectString(), e);
        } catch (RuntimeException e) {
            closeQuietly(zk, coordinator);
            throw e;
        }
        if (watcher.dead) {
            closeQuietly(zk, coordinator);
            return null;
        }
        return zk; // established (it may already be disconnected again: renewals handle that like any later loss)
    }

    // ---- SessionBase ---------------------------------------------------------------------

    /** {@code exists("/")}: one round trip that the server answers only for a live session (and that touches it). */
    @Override
    protected CompletableFuture<Boolean> renewOnce() {
        CompletableFuture<Boolean> reply = new CompletableFuture<>();
        zk.exists("/", false, (rc, path, ctx, stat) -> {
            // ZooKeeper event thread: complete only; the base continues on its scheduler.
            KeeperException.Code code = KeeperException.Code.get(rc);
            if (code == KeeperException.Code.OK) {
                reply.complete(true);
            } else if (code == KeeperException.Code.SESSIONEXPIRED) {
                reply.complete(false);
            } else {
                reply.completeExceptionally(KeeperException.create(code));
            }
        }, null);
        return reply;
    }

    /** Closes the handle: ZooKeeper's {@code closeSession} deletes every entry of this session at once. */
    @Override
    protected CompletableFuture<Void> revoke() {
        return CompletableFuture.runAsync(() -> {
            try {
                zk.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, coordinator.workers());
    }

    /** Stops the handle's threads (joins them, bounded). */
    @Override
    protected void releaseResources() {
        closeQuietly(zk, zkCoordinator);
    }

    @Override
    protected QueueEntry newEntry(Primitive primitive, String name, String value) {
        String slots = primitive == Primitive.SEMAPHORE ? zkCoordinator.paths().slots(name) : null;
        return new ZkQueueEntry(this, primitive, zkCoordinator.paths().queue(primitive, name), slots, value);
    }

    @Override
    protected CompletableFuture<Member> joinGroup(String group, String memberId, String metadata) {
        return members.join(group, memberId, metadata);
    }

    @Override
    protected CompletableFuture<Optional<Member>> updateMember(String group, Member current, String metadata) {
        return members.update(group, current, metadata);
    }

    @Override
    protected CompletableFuture<Boolean> leaveGroup(String group, Member current) {
        return members.leave(group, current);
    }

    // ---- for recipes ---------------------------------------------------------------------

    ZkConnection connection() {
        return connection;
    }

    ZkContainers containers() {
        return zkCoordinator.containers();
    }

    ZooKeeper zk() {
        return zk;
    }

    long zkSessionId() {
        return zkSessionId;
    }

    /** The coord state as a SessionExpiredException (used when the server says the session is gone). */
    private io.coord.SessionExpiredException expiredError() {
        SessionState s = state();
        return new io.coord.SessionExpiredException(id(), s.isTerminal() ? s : SessionState.EXPIRED);
    }

    private static void closeQuietly(ZooKeeper zk, ZooKeeperCoordinator coordinator) {
        try {
            // close() is a no-op for a dead (expired) handle; then join its threads.
            zk.close((int) Math.min(Integer.MAX_VALUE, Math.max(1, coordinator.connectTimeout().toMillis())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.debug("closing ZooKeeper handle failed", e);
        }
    }

    // ---- the handle's default watcher ----------------------------------------------------

    /**
     * Runs on the handle's event thread. Never blocks: records the connection state, counts down the
     * first-connect latch, or reports an expiry.
     */
    private static final class SessionWatcher implements Watcher {
        final CountDownLatch firstConnect = new CountDownLatch(1);
        volatile boolean connected;
        volatile boolean dead;
        volatile boolean authFailed;
        private volatile ZkSession session;
        private volatile boolean expiredEarly;

        void attach(ZkSession s) {
            session = s;
            if (expiredEarly) {
                s.expired("ZooKeeper reported the session expired");
            }
        }

        @Override
        public void process(WatchedEvent event) {
            if (event.getType() != Event.EventType.None) {
                return;
            }
            switch (event.getState()) {
                case SyncConnected, ConnectedReadOnly -> {
                    connected = true;
                    firstConnect.countDown();
                }
                case Disconnected -> connected = false;
                case Expired, AuthFailed -> {
                    authFailed = event.getState() == Event.KeeperState.AuthFailed;
                    dead = true;
                    firstConnect.countDown();
                    ZkSession s = session;
                    if (s == null) {
                        expiredEarly = true;
                    } else {
                        s.expired("ZooKeeper reported the session " + event.getState());
                    }
                }
                case Closed -> {
                    dead = true;
                    firstConnect.countDown();
                }
                default -> {
                    // SaslAuthenticated etc.: nothing to do
                }
            }
        }
    }
}
