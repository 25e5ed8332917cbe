package io.coord.etcd;

import io.coord.Primitive;
import io.coord.Subscription;
import io.coord.election.ElectionView;
import io.coord.election.Leader;
import io.coord.election.LeaderListener;
import io.coord.spi.CoordinatorBase;
import io.coord.spi.LeaderFeed;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only view of an etcd election: the leader is the candidate key with the smallest create revision
 * under {@code coord/<ns>/election/<name>/}; its value is the announced value, its create revision the term.
 *
 * <p>Observing (unlike etcd's own Observe, which reports only PUTs) reports every state including "no
 * leader": each observer reads every candidate key once (revision R), then watches the whole election
 * prefix from R+1 and applies each event to its local copy of the candidates, publishing the leader after
 * every revision. So the states delivered are exactly the server's successive states, in revision order.
 * If the watch fails (member down, compaction), the observer reads everything again and continues from
 * there (intermediate states during the outage may be skipped; the latest one is always delivered).
 */
final class EtcdElectionView implements ElectionView {

    private static final Logger log = LoggerFactory.getLogger(EtcdElectionView.class);

    private final CoordinatorBase coordinator;
    private final EtcdConnection etcd;
    private final String name;
    private final ByteSequence queue;

    EtcdElectionView(CoordinatorBase coordinator, EtcdConnection etcd, String name) {
        this.coordinator = coordinator;
        this.etcd = etcd;
        this.name = name;
        this.queue = etcd.keys().electionQueue(name);
    }

    @Override
    public String name() {
        return name;
    }

    /** ONE range read: the oldest candidate key. */
    @Override
    public Optional<Leader> leader() {
        GetOption oldest = GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.CREATE)
                .withSortOrder(GetOption.SortOrder.ASCEND).withLimit(1).build();
        try {
            GetResponse r = etcd.callRepeatable(Primitive.ELECTION, "reading the leader of " + EtcdKeys.text(queue),
                    () -> etcd.client().getKVClient().get(queue, oldest));
            return r.getKvs().stream().findFirst().map(EtcdElectionView::leaderOf);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.coord.BackendUnavailableException("interrupted while reading the leader of election '" + name + "'", e);
        }
    }

    @Override
    public Subscription observe(LeaderListener listener) {
        Observer o = new Observer(listener);
        o.restart();
        return o.feed;
    }

    static Leader leaderOf(KeyValue kv) {
        return new Leader(EtcdKeys.sessionIdOf(kv.getKey()), EtcdKeys.text(kv.getValue()), kv.getCreateRevision());
    }

    /**
     * One observer: a snapshot plus one prefix watch. {@code this} guards the candidates, the watcher and the
     * generation; the watch listener (jetcd event loop) only updates the map and publishes (never blocks).
     */
    private final class Observer {
        final LeaderFeed feed;
        /** key -> (create revision, value) of every live candidate. */
        private final Map<ByteSequence, KeyValue> candidates = new HashMap<>();
        private Watch.Watcher watcher;
        private long generation;

        Observer(LeaderListener listener) {
            this.feed = new LeaderFeed(coordinator, listener, this::stop);
        }

        /** Reads all candidates and watches from there (on a coord worker). */
        void restart() {
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
            coordinator.workers().execute(() -> snapshotAndWatch(gen));
        }

        private void snapshotAndWatch(long gen) {
            GetResponse r;
            try {
                GetOption all = GetOption.builder().isPrefix(true).build();
                r = etcd.callRepeatable(Primitive.ELECTION, "reading election " + EtcdKeys.text(queue),
                        () -> etcd.client().getKVClient().get(queue, all));
            } catch (Exception e) {
                log.debug("observer of election '{}': read failed, retrying: {}", name, e.toString());
                retryLater(gen);
                return;
            }
            synchronized (this) {
                if (feed.isClosed() || gen != generation) {
                    return;
                }
                candidates.clear();
                for (KeyValue kv : r.getKvs()) {
                    candidates.put(kv.getKey(), kv);
                }
                feed.publish(current());
            }
            // Created outside our monitor: jetcd calls listeners under its own lock (lock order: jetcd, then us).
            WatchOption option = WatchOption.builder().isPrefix(true).withRevision(r.getHeader().getRevision() + 1)
                    .withRequireLeader(true).build();
            Watch.Watcher w = etcd.client().getWatchClient().watch(queue, option, Watch.listener(
                    response -> applyEvents(gen, response),
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

        /** jetcd event loop: apply events in order, publish after each revision. */
        private synchronized void applyEvents(long gen, WatchResponse response) {
            if (gen != generation || feed.isClosed()) {
                return;
            }
            List<WatchEvent> events = response.getEvents();
            for (int i = 0; i < events.size(); i++) {
                WatchEvent e = events.get(i);
                KeyValue kv = e.getKeyValue();
                if (e.getEventType() == WatchEvent.EventType.DELETE) {
                    candidates.remove(kv.getKey());
                } else if (e.getEventType() == WatchEvent.EventType.PUT) {
                    candidates.put(kv.getKey(), kv);
                }
                boolean lastOfRevision = i + 1 == events.size()
                        || events.get(i + 1).getKeyValue().getModRevision() != kv.getModRevision();
                if (lastOfRevision) {
                    feed.publish(current());
                }
            }
        }

        private void failed(long gen, Throwable error) {
            synchronized (this) {
                if (gen != generation || feed.isClosed()) {
                    return;
                }
            }
            log.debug("observer of election '{}': watch ended ({}); reading again", name, error == null ? "completed" : error.toString());
            retryLater(gen);
        }

        private void retryLater(long gen) {
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
                    restart();
                }, 200, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // the coordinator is closing: observers end with it
            }
        }

        private Optional<Leader> current() {
            KeyValue first = null;
            for (KeyValue kv : candidates.values()) {
                if (first == null || kv.getCreateRevision() < first.getCreateRevision()) {
                    first = kv;
                }
            }
            return Optional.ofNullable(first).map(EtcdElectionView::leaderOf);
        }

        private void stop() {
            Watch.Watcher old;
            synchronized (this) {
                generation++;
                old = watcher;
                watcher = null;
            }
            close(old);
        }

        /** Never called under our monitor: closing runs the listener's onCompleted inline (ignored by generation). */
        private void close(Watch.Watcher w) {
            if (w != null) {
                w.close();
            }
        }
    }
}
