package io.coord.etcd;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.group.GroupSnapshot;
import io.coord.spi.CoordinatorBase;
import io.coord.spi.GroupFeed;
import io.coord.spi.GroupViewBase;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only view of an etcd group: every key under {@code coord/<ns>/group/<group>/} is a member
 * ({@link EtcdMemberEntry#memberOf}). Needs no session.
 *
 * <h2>Algorithm</h2>
 * {@link #read}: ONE range read of the group's prefix; the snapshot's revision is the read's header revision.
 * A watch ({@link Follower}) reads the group the same way (revision R), publishes it, then watches the prefix
 * from R+1 and applies each event to its copy of the members (PUT: joined or updated, DELETE: left), publishing
 * the group after the last event of each revision with that revision. When the watch fails, ends or is
 * cancelled (lost connection, compaction, no leader), it reads the group again, publishes it marked resync, and
 * watches from the new read's revision; a failed read is tried again 200 ms later, until the feed is closed.
 *
 * <h2>Why it is safe</h2>
 * A watch from R+1 delivers every change after the read at R, in revision order, and all the changes of one
 * revision in one response (one lease revocation may delete several members at once): so each state published
 * while the watch holds is exactly the server's group at that revision, and {@link GroupFeed} turns successive
 * states into exactly one event per change. Reads are linearizable, so a re-read's revision is at least that of
 * every event delivered before it: a resync never moves the feed back, and the feed drops any equal or older state.
 * A member whose session died disappears when etcd revokes its lease (TTL to TTL + 0.5 s; a new etcd leader extends
 * every lease once by its TTL), in a DELETE event like any leave.
 *
 * <h2>Threads</h2>
 * Reads for a watch are sent without blocking a thread and handled on the coordinator's workers; the watch listener
 * runs on jetcd's threads (under jetcd's lock) and only updates the follower's state and publishes, which queues;
 * the retry timer runs on the coordinator's scheduler. Watches are created and closed outside the follower's
 * monitor (lock order: jetcd, then the follower).
 */
final class EtcdGroupView extends GroupViewBase {

    private static final Logger log = LoggerFactory.getLogger(EtcdGroupView.class);
    /** Pause before reading again after a failed read or watch. */
    private static final long RETRY_MILLIS = 200;

    private final EtcdConnection etcd;
    private final ByteSequence prefix;

    EtcdGroupView(CoordinatorBase coordinator, EtcdConnection etcd, String name) {
        super(coordinator, name);
        this.etcd = etcd;
        this.prefix = etcd.keys().groupPrefix(name);
    }

    @Override
    protected GroupSnapshot read() {
        try {
            GetResponse r = etcd.callRepeatable(Primitive.GROUP, "reading group " + EtcdKeys.text(prefix), this::readAll);
            return snapshot(r.getKvs(), r.getHeader().getRevision());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while reading group '" + name() + "'", e);
        }
    }

    @Override
    protected Runnable startWatch(GroupFeed feed) {
        Follower f = new Follower(feed);
        f.start(false);
        return f::stop;
    }

    private CompletableFuture<GetResponse> readAll() {
        return etcd.client().getKVClient().get(prefix, GetOption.builder().isPrefix(true).build());
    }

    private GroupSnapshot snapshot(Collection<KeyValue> kvs, long revision) {
        return new GroupSnapshot(name(), kvs.stream().map(EtcdMemberEntry::memberOf).toList(), revision);
    }

    /**
     * One watch: a read, then one prefix watch from the read's revision. {@code this} guards the members, the
     * watcher and the generation; a new generation starts with each read, and callbacks of older ones are ignored.
     */
    private final class Follower {
        private final GroupFeed feed;
        /** Member key -> its last PUT, as of the last revision applied. */
        private final Map<ByteSequence, KeyValue> members = new HashMap<>();
        private Watch.Watcher watcher;
        private long generation;

        Follower(GroupFeed feed) {
            this.feed = feed;
        }

        /** Closes the current watch (if any) and reads the group; {@code resync}: publish the read as a resync. */
        void start(boolean resync) {
            long gen;
            Watch.Watcher old;
            synchronized (this) {
                if (feed.isClosed()) {
                    return;
                }
                gen = ++generation;
                old = watcher;
                watcher = null;
            }
            close(old);
            etcd.send(Primitive.GROUP, "reading group " + EtcdKeys.text(prefix), EtcdConnection.Retry.REPEATABLE, EtcdGroupView.this::readAll)
                    .whenCompleteAsync((r, error) -> {
                        if (error != null) {
                            log.debug("watch of group '{}': read failed, retrying: {}", name(), error.toString());
                            retryLater(gen, resync);
                        } else {
                            watchFrom(gen, r, resync);
                        }
                    }, coordinator.workers());
        }

        private void watchFrom(long gen, GetResponse read, boolean resync) {
            long revision = read.getHeader().getRevision();
            synchronized (this) {
                if (feed.isClosed() || gen != generation) {
                    return;
                }
                members.clear();
                read.getKvs().forEach(kv -> members.put(kv.getKey(), kv));
                feed.publish(snapshot(members.values(), revision), resync);
            }
            WatchOption option = WatchOption.builder().isPrefix(true).withRevision(revision + 1).withRequireLeader(true).build();
            Watch.Watcher w = etcd.client().getWatchClient().watch(prefix, option, Watch.listener(
                    response -> apply(gen, response),
                    error -> failed(gen, error),
                    () -> failed(gen, null)));
            boolean current;
            synchronized (this) {
                current = gen == generation && !feed.isClosed();
                if (current) {
                    watcher = w;
                }
            }
            if (!current) {
                close(w);
            }
        }

        /** jetcd's thread: apply the events in order, publish after the last event of each revision. */
        private synchronized void apply(long gen, WatchResponse response) {
            if (gen != generation || feed.isClosed()) {
                return;
            }
            List<WatchEvent> events = response.getEvents();
            for (int i = 0; i < events.size(); i++) {
                KeyValue kv = events.get(i).getKeyValue();
                switch (events.get(i).getEventType()) {
                    case PUT -> members.put(kv.getKey(), kv);
                    case DELETE -> members.remove(kv.getKey());
                    default -> { }
                }
                boolean lastOfRevision = i + 1 == events.size()
                        || events.get(i + 1).getKeyValue().getModRevision() != kv.getModRevision();
                if (lastOfRevision) {
                    feed.publish(snapshot(members.values(), kv.getModRevision()), false);
                }
            }
        }

        /** jetcd's thread (under its lock): the watch failed or ended; read again later, on the scheduler. */
        private void failed(long gen, Throwable error) {
            synchronized (this) {
                if (gen != generation || feed.isClosed()) {
                    return;
                }
            }
            log.debug("watch of group '{}': watch ended ({}); reading again", name(), error == null ? "completed" : error.toString());
            retryLater(gen, true);
        }

        private void retryLater(long gen, boolean resync) {
            if (feed.isClosed() || coordinator.isClosed()) {
                return;
            }
            try {
                coordinator.scheduler().schedule(() -> {
                    synchronized (this) {
                        if (gen != generation) {
                            return;
                        }
                    }
                    start(resync);
                }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                // the coordinator is closing: watches end with it
            }
        }

        /** The feed closed: no callback of the current generation acts any more; the watch is cancelled. */
        void stop() {
            Watch.Watcher old;
            synchronized (this) {
                generation++;
                old = watcher;
                watcher = null;
            }
            close(old);
        }

        /** Never under our monitor: closing may run the listener's onCompleted inline (ignored by generation). */
        private void close(Watch.Watcher w) {
            if (w != null) {
                w.close();
            }
        }
    }
}
