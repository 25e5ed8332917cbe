package io.coord.zookeeper;

import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import io.coord.spi.GroupFeed;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watcher's watch of a group ({@link ZkGroupView}) on the coordinator's Curator handle: a persistent recursive
 * watch on the group node, and a pipeline of steps that turns its events into the states the {@link GroupFeed}
 * publishes.
 *
 * <h2>Algorithm</h2>
 * A (re)read sends, in this order on one handle: {@code addWatch(group, PERSISTENT_RECURSIVE)} (it may name a node
 * that does not exist yet), {@code sync}, {@code getChildren}; the listing's reply resets the model and sends one
 * {@code getData} per child. Then every event of a member node (created, data changed, deleted) becomes a step:
 * created or changed sends a {@code getData} of that node at once (its reply puts the member; NONODE changes
 * nothing, the node's deletion event comes as a step of its own), deleted removes the member unless the model
 * already holds a later join (a greater czxid than the deletion's zxid). Steps are applied strictly in the order
 * they were made, each as soon as its reply is there and every step before it was applied, and after each the
 * model is published — except inside a (re)read, which is published once, whole, when its last {@code getData} is
 * applied ({@code resync} for a re-read). The revision is the greatest zxid seen (the listing's, each member's
 * mzxid, each event's).
 *
 * <h2>Why it is safe</h2>
 * ZooKeeper delivers a handle's watch events and replies on one thread in the server's order, and executes a
 * handle's requests in the order they were sent. Steps are made in that order, and each step's read is sent when
 * the step is made, so every read is executed after the change that caused its step and after every read of an
 * earlier step: a later step never brings older data. A read may be later than the event (the member changed
 * again): then the state published is the server's at the event except that this member is already newer —
 * changes of one member closer together than a read are merged (a join and a leave before the read: nothing),
 * never reordered with others' or lost, because each later change has its own event and step. The revision never
 * decreases, so the feed never drops a state. Events lost while disconnected are recovered by the re-read.
 *
 * <h2>Connection loss and threads</h2>
 * A failed request, a Disconnected/Expired event, Curator's SUSPENDED or LOST, or the server removing the watch
 * stop the pipeline (nothing is published from then on); Curator's RECONNECTED (also after it replaced an expired
 * session by a new handle: the watch is then added there) starts a re-read on a coord worker, and a failure
 * schedules one on the coordinator's scheduler, with a delay growing to {@value #MAX_RETRY_DELAY_MS} ms, until the
 * feed or the coordinator is closed. Events and replies run on the handle's event thread, Curator's state changes
 * on its own thread; all of them only take this object's lock, send requests and queue publications: nothing
 * blocks. The state below is guarded by that lock.
 */
final class ZkGroupWatch implements ConnectionStateListener {

    private static final Logger log = LoggerFactory.getLogger(ZkGroupWatch.class);
    private static final long MAX_RETRY_DELAY_MS = 2_000;

    /** What one step does to the model. */
    private interface Change {
    }

    /** A (re)read's listing: the model starts again, at least at the group's pzxid. */
    private record Reset(long revision) implements Change {
    }

    /** A member as read. */
    private record Put(Member member) implements Change {
    }

    /** A member node deleted at {@code zxid} (or {@link WatchedEvent#NO_ZXID}). */
    private record Remove(String id, long zxid) implements Change {
    }

    /** A read that found the node gone: its deletion is a step of its own. */
    private record Unchanged(long zxid) implements Change {
    }

    /** One step, in the order of the handle's events; applied once its change is known and every earlier step was. */
    private static final class Step {
        final CompletableFuture<Change> change;
        /** The last step of a (re)read: the model is whole again. */
        boolean endsRead;

        Step(CompletableFuture<Change> change) {
            this.change = change;
        }
    }

    /** Our watcher on one handle: events of another (replaced) handle are stale. */
    private final class HandleWatcher implements Watcher {
        final ZooKeeper zk;

        HandleWatcher(ZooKeeper zk) {
            this.zk = zk;
        }

        @Override
        public void process(WatchedEvent event) {
            onEvent(this, event);
        }
    }

    private final ZooKeeperCoordinator coordinator;
    private final ZkGroupView view;
    private final GroupFeed feed;

    private final ArrayDeque<Step> steps = new ArrayDeque<>();
    private final Map<String, Member> members = new HashMap<>();
    private long revision;
    private HandleWatcher watcher;
    /** A (re)read was started on {@link #watcher} and nothing failed since: steps are made and applied. */
    private boolean live;
    /** A (re)read's steps are being applied: publish when it ends. */
    private boolean reading;
    /** The current (re)read follows an earlier one: its state is published as a resync. */
    private boolean resync;
    private boolean started;
    private boolean stopped;
    private boolean retryScheduled;
    private int failures;

    ZkGroupWatch(ZooKeeperCoordinator coordinator, ZkGroupView view, GroupFeed feed) {
        this.coordinator = coordinator;
        this.view = view;
        this.feed = feed;
    }

    void start() {
        coordinator.groupWatches().opened(view.path());
        coordinator.client().getConnectionStateListenable().addListener(this);
        begin();
    }

    /** Once, when the feed closes: no step is applied from now on, and the watch is dropped. */
    void stop() {
        HandleWatcher w;
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
            live = false;
            steps.clear();
            w = watcher;
        }
        coordinator.client().getConnectionStateListenable().removeListener(this);
        coordinator.groupWatches().closed(view, w == null ? null : w.zk, w);
    }

    /** Curator's state thread: a re-read once reconnected; nothing is applied while the connection is down. */
    @Override
    public void stateChanged(CuratorFramework client, ConnectionState state) {
        if (state == ConnectionState.RECONNECTED) {
            coordinator.workers().execute(this::begin);
        } else if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
            fail(new IllegalStateException("the connection is " + state));
        }
    }

    // ---- the pipeline -----------------------------------------------------------------------

    /** Starts a (re)read on the client's current handle: the watch, a sync, the listing (see the class comment). */
    private synchronized void begin() {
        if (stopped || feed.isClosed() || coordinator.isClosed()) {
            return;
        }
        ZooKeeper zk;
        try {
            zk = view.handle();
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        if (watcher == null || watcher.zk != zk) {
            watcher = new HandleWatcher(zk);
        }
        HandleWatcher w = watcher;
        steps.clear();
        live = true;
        reading = false;
        resync = started;
        started = true;
        Step listing = new Step(new CompletableFuture<>());
        add(listing);
        CompletableFuture<Void> watched = addWatch(w);
        CompletableFuture<Void> synced = view.sync(zk);
        view.list(zk).whenComplete((l, e) -> listed(w, listing, e != null ? e : firstFailure(watched, synced), l));
    }

    /** The listing's reply (event thread): one read step per child, then the listing step is known. */
    private synchronized void listed(HandleWatcher w, Step listing, Throwable failure, ZkGroupView.Listing l) {
        if (w != watcher || !live || steps.peekFirst() != listing) {
            return; // a newer (re)read started, or the pipeline failed
        }
        if (failure != null) {
            listing.change.completeExceptionally(failure);
            return;
        }
        Step last = listing;
        for (String child : l.children()) {
            last = read(w.zk, child, WatchedEvent.NO_ZXID);
        }
        last.endsRead = true;
        listing.change.complete(new Reset(l.revision()));
    }

    /** A watch event (event thread): one step per member node event. */
    private synchronized void onEvent(HandleWatcher w, WatchedEvent e) {
        if (w != watcher || stopped) {
            return;
        }
        if (e.getType() == EventType.None) {
            if (e.getState() != KeeperState.SyncConnected && e.getState() != KeeperState.ConnectedReadOnly) {
                fail(new IllegalStateException("the handle reported " + e.getState())); // SyncConnected: RECONNECTED re-reads
            }
            return;
        }
        if (e.getType() == EventType.PersistentWatchRemoved) {
            fail(new IllegalStateException("the server removed the watch"));
            return;
        }
        String child = e.getPath() == null || !e.getPath().startsWith(view.path() + "/") ? null
                : e.getPath().substring(view.path().length() + 1);
        String id = child == null || child.indexOf('/') >= 0 ? null : ZkPaths.memberId(child);
        if (!live || id == null) {
            return; // the group node itself, or a foreign node; or a re-read is coming
        }
        if (e.getType() == EventType.NodeCreated || e.getType() == EventType.NodeDataChanged) {
            read(w.zk, child, e.getZxid());
        } else if (e.getType() == EventType.NodeDeleted) {
            add(new Step(CompletableFuture.completedFuture(new Remove(id, e.getZxid()))));
        }
    }

    /** A step reading one member node now. */
    private Step read(ZooKeeper zk, String child, long zxid) {
        Step step = new Step(view.member(zk, child).thenApply(m -> m.<Change>map(Put::new).orElse(new Unchanged(zxid))));
        add(step);
        return step;
    }

    private void add(Step step) {
        steps.addLast(step);
        step.change.whenComplete((c, e) -> drain());
    }

    /** Applies the steps at the head whose change is known, in order, publishing after each (see the class comment). */
    private synchronized void drain() {
        while (live && !steps.isEmpty() && steps.peekFirst().change.isDone()) {
            Step step = steps.pollFirst();
            Change change;
            try {
                change = step.change.join();
            } catch (CompletionException e) {
                fail(e.getCause());
                return;
            }
            apply(change);
            boolean resynced = false;
            if (step.endsRead) {
                reading = false;
                resynced = resync;
                failures = 0;
            }
            if (!reading) {
                feed.publish(new GroupSnapshot(view.name(), List.copyOf(members.values()), revision), resynced);
            }
        }
    }

    private void apply(Change change) {
        if (change instanceof Reset r) {
            members.clear();
            reading = true;
            revision = Math.max(revision, r.revision());
        } else if (change instanceof Put p) {
            members.put(p.member().id(), p.member());
            revision = Math.max(revision, p.member().version());
        } else if (change instanceof Remove r) {
            Member m = members.get(r.id());
            if (m != null && (r.zxid() == WatchedEvent.NO_ZXID || m.joinToken() < r.zxid())) {
                members.remove(r.id());
            }
            revision = Math.max(revision, r.zxid());
        } else if (change instanceof Unchanged u) {
            revision = Math.max(revision, u.zxid());
        }
    }

    /** Stops the pipeline and schedules a re-read (unless one is pending or the feed is closed). */
    private synchronized void fail(Throwable why) {
        if (why instanceof KeeperException k && ZkSecurity.isRefusal(k.code()) && failures == 0) {
            log.warn("watch of group '{}' stopped receiving changes: {}; retrying until permissions return", view.name(),
                    coordinator.security().refused("watching group '" + view.name() + "'", k.code()).getMessage());
        } else if (live) {
            log.debug("watch of group '{}' interrupted ({}); re-reading", view.name(), why.toString());
        }
        live = false;
        reading = false;
        steps.clear();
        if (retryScheduled || stopped || feed.isClosed() || coordinator.isClosed()) {
            return;
        }
        retryScheduled = true;
        long delay = Math.min(MAX_RETRY_DELAY_MS, 50L << Math.min(failures++, 6));
        try {
            coordinator.scheduler().schedule(() -> coordinator.workers().execute(this::retry), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            retryScheduled = false;
        }
    }

    /** The scheduled re-read: skipped if one started meanwhile (after RECONNECTED). */
    private void retry() {
        synchronized (this) {
            retryScheduled = false;
            if (live) {
                return;
            }
        }
        begin();
    }

    private CompletableFuture<Void> addWatch(HandleWatcher w) {
        CompletableFuture<Void> added = new CompletableFuture<>();
        view.count();
        w.zk.addWatch(view.path(), w, AddWatchMode.PERSISTENT_RECURSIVE, (rc, p, ctx) -> {
            Code code = Code.get(rc);
            if (code == Code.OK) {
                added.complete(null);
            } else {
                added.completeExceptionally(KeeperException.create(code, p));
            }
        }, null);
        return added;
    }

    /** The failure of the first of {@code replies} that failed (they answered before the listing: one handle, in order). */
    private static Throwable firstFailure(CompletableFuture<?>... replies) {
        for (CompletableFuture<?> r : replies) {
            if (r.isCompletedExceptionally()) {
                return r.handle((v, e) -> e instanceof CompletionException && e.getCause() != null ? e.getCause() : e).join();
            }
        }
        return null;
    }
}
