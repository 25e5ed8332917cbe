package io.coord.zookeeper;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.Subscription;
import io.coord.election.ElectionView;
import io.coord.election.Leader;
import io.coord.election.LeaderListener;
import io.coord.spi.LeaderFeed;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only view of an election on ZooKeeper, served by the coordinator's Curator client (no
 * session needed).
 *
 * <p>The election is the queue {@code /<namespace>/elections/<encoded name>} of candidate entries
 * (see {@link ZkQueueEntry}); the leader is the first entry in sequence
 * order: its data is the announced value, its {@code czxid} the term, its {@code ephemeralOwner}
 * the leader's session id. An empty (or missing) queue means "no leader".
 *
 * <h2>Observing</h2>
 * One {@link Feed} per observer: a children watch on the queue (or an exists watch while the
 * queue container does not exist) plus a data watch on the current leader's node. Every watch
 * event and every Curator RECONNECTED only <em>requests</em> a refresh (ZooKeeper/Curator threads
 * never block); refreshes run one at a time on a coord worker thread, coalescing requests that
 * arrive meanwhile, each re-reading the leader and re-arming the watches, and publish what they
 * read to the {@link LeaderFeed} (which drops repeats). So every change produces a read after it,
 * in order. On connection loss a refresh fails and is retried when Curator reports RECONNECTED
 * (also after Curator replaced an expired session, whose watches are lost).
 */
final class ZkElectionView implements ElectionView {

    private static final Logger log = LoggerFactory.getLogger(ZkElectionView.class);
    /** Reads of one snapshot retried when the leader vanished between listing and reading it. */
    private static final int MAX_READ_ATTEMPTS = 10;

    private final ZooKeeperCoordinator coordinator;
    private final String name;
    private final String queue;

    ZkElectionView(ZooKeeperCoordinator coordinator, String name) {
        this.coordinator = coordinator;
        this.name = name;
        this.queue = coordinator.paths().queue(Primitive.ELECTION, name);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * {@code sync} first, so that the answer is at least as recent as every write completed before
     * this call on any member (the coordinator's connection may be to a lagging follower), then
     * list the queue and read the first entry: 3 round trips.
     */
    @Override
    public Optional<Leader> leader() {
        try {
            sync();
            return read(null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while reading the leader of election '" + name + "'", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (KeeperException e) {
            if (ZkSecurity.isRefusal(e.code())) {
                throw coordinator.security().refused("reading the leader of election '" + name + "'", e.code());
            }
            throw new BackendUnavailableException("reading the leader of election '" + name + "' failed: " + e, e);
        } catch (Exception e) {
            throw new BackendUnavailableException("reading the leader of election '" + name + "' failed: " + e, e);
        }
    }

    @Override
    public Subscription observe(LeaderListener listener) {
        Feed feed = new Feed(listener);
        feed.start();
        return feed.feed;
    }

    /** Reads the current leader; with a watcher, arms the watches that report the next change. */
    private Optional<Leader> read(Watcher watcher) throws Exception {
        CuratorFramework client = coordinator.client();
        for (int attempt = 1; attempt <= MAX_READ_ATTEMPTS; attempt++) {
            List<String> children;
            try {
                count();
                children = watcher == null ? client.getChildren().forPath(queue)
                        : client.getChildren().usingWatcher(watcher).forPath(queue);
            } catch (KeeperException.NoNodeException e) {
                if (watcher == null) {
                    return Optional.empty();
                }
                count();
                if (client.checkExists().usingWatcher(watcher).forPath(queue) == null) {
                    return Optional.empty(); // the exists watch reports the queue's creation
                }
                continue;
            }
            List<String> entries = new ArrayList<>(children.size());
            for (String c : children) {
                if (ZkPaths.isEntry(c)) {
                    entries.add(c);
                }
            }
            if (entries.isEmpty()) {
                return Optional.empty();
            }
            entries.sort(ZkPaths.QUEUE_ORDER);
            String leaderPath = queue + "/" + entries.get(0);
            Stat stat = new Stat();
            byte[] data;
            try {
                count();
                data = watcher == null ? client.getData().storingStatIn(stat).forPath(leaderPath)
                        : client.getData().storingStatIn(stat).usingWatcher(watcher).forPath(leaderPath);
            } catch (KeeperException.NoNodeException e) {
                continue; // the leader left between the two reads: list again
            }
            return Optional.of(new Leader(ZkPaths.sessionIdText(stat.getEphemeralOwner()),
                    new String(data == null ? new byte[0] : data, StandardCharsets.UTF_8), stat.getCzxid()));
        }
        throw new BackendUnavailableException("election '" + name + "' kept changing while being read", null);
    }

    private void sync() throws Exception {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        int[] rc = {0};
        count();
        coordinator.client().getZookeeperClient().getZooKeeper().sync(queue, (code, path, ctx) -> {
            rc[0] = code; // ZooKeeper event thread: record and count down only
            done.countDown();
        }, null);
        if (!done.await(coordinator.operationTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new BackendUnavailableException("sync with the ZooKeeper leader timed out", null);
        }
        KeeperException.Code code = KeeperException.Code.get(rc[0]);
        if (code != KeeperException.Code.OK && code != KeeperException.Code.NONODE) {
            throw KeeperException.create(code, queue);
        }
    }

    private void count() {
        coordinator.statsRecorder().roundTrip(Primitive.ELECTION);
    }

    /** One observer's watch loop. */
    private final class Feed implements Watcher, ConnectionStateListener {
        final LeaderFeed feed;
        /** Pending refresh requests; the thread that moves it from 0 runs the refreshes. */
        private final AtomicInteger requests = new AtomicInteger();

        Feed(LeaderListener listener) {
            this.feed = new LeaderFeed(coordinator, listener, this::stop);
        }

        void start() {
            coordinator.client().getConnectionStateListenable().addListener(this);
            request();
        }

        private void stop() {
            coordinator.client().getConnectionStateListenable().removeListener(this);
            // Our watches stay registered until they fire once (then they are no-ops): ZooKeeper
            // offers no cheap way to drop them without also dropping other observers' watches.
        }

        /** ZooKeeper event thread: request a refresh only. */
        @Override
        public void process(WatchedEvent event) {
            if (event.getType() != Event.EventType.None && !feed.isClosed()) {
                request();
            }
        }

        /** Curator's connection-state thread: request a refresh only. */
        @Override
        public void stateChanged(CuratorFramework client, ConnectionState newState) {
            if (newState == ConnectionState.RECONNECTED && !feed.isClosed()) {
                request();
            }
        }

        private void request() {
            if (requests.getAndIncrement() == 0) {
                coordinator.workers().execute(this::drain);
            }
        }

        /** Worker thread; at most one at a time per feed. Ends when no request arrived during the last refresh. */
        private void drain() {
            int handled;
            do {
                handled = requests.get();
                refresh();
            } while (requests.addAndGet(-handled) != 0);
        }

        private void refresh() {
            if (feed.isClosed() || coordinator.isClosed()) {
                return;
            }
            try {
                feed.publish(read(this));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (KeeperException e) {
                if (ZkSecurity.isRefusal(e.code())) {
                    // no watch is armed and no reconnect will fix it: the observer hears nothing until permissions return
                    log.warn("observer of election '{}' stopped receiving leader changes: {}", name,
                            coordinator.security().refused("reading the leader of election '" + name + "'", e.code()).getMessage());
                } else {
                    // Connection loss or shutdown: RECONNECTED requests the next refresh.
                    log.debug("refreshing election '{}' failed: {}", name, e.toString());
                }
            } catch (Exception e) {
                // Connection loss or shutdown: RECONNECTED requests the next refresh.
                log.debug("refreshing election '{}' failed: {}", name, e.toString());
            }
        }
    }
}
