package io.coord.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One long-lived watch of every DELETE under a coordinator's namespace, dispatched to the local waiters
 * of the keys deleted: how a hand-off reaches the next waiter at watch-event latency.
 *
 * <h2>Why one stream</h2>
 * etcd serves a watch that starts at or below its current revision from a background sync loop that runs
 * every 100 ms (backend-facts.md, "Watch sync"); under contention a fresh watch per wait is nearly always
 * in that state, so hand-offs pace at about ten per second per waiter. A stream that stays open is
 * synced: it gets each event as it commits.
 *
 * <h2>Why no delete is missed</h2>
 * A waiter asks {@link #whenGone(ByteSequence, long)} with the revision {@code r} of the read that found
 * its blocker. The stream delivers every delete after the revision it started from ({@code coveredFrom}),
 * and a short record of recent deletes (key → delete revision) answers a delete that arrived between the
 * read and the registration. So the answer is {@code true} at once if the record holds a delete of the key
 * after {@code r}; {@code false} (the caller re-reads) if the stream started after {@code r + 1} or the
 * record was pruned past {@code r}; otherwise the waiter is registered and the stream's next delete of that
 * key after {@code r} completes it {@code true}. When the stream fails or ends, every registered waiter
 * completes {@code false} and re-reads; the next registration restarts the stream. A timer per waiter
 * ({@link EtcdConnection#recheckInterval()}) completes it {@code false} as a safety net.
 *
 * <h2>Threads</h2>
 * {@code this} guards the stream, the record and the registrations. The watch listener runs on jetcd's
 * threads and only updates that state; futures are completed outside the monitor. No thread waits.
 */
final class EtcdDeleteWatch implements AutoCloseable {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EtcdDeleteWatch.class);
    /** Deletes remembered for waiters registering late; older ones are pruned (and then answered by a re-read). */
    private static final int RECORD = 8192;
    /** After a stream failure, registrations answer {@code false} this much later, so a failing member cannot make waiters spin. */
    private static final long FAILURE_PAUSE_MILLIS = 100;

    private final EtcdConnection etcd;
    private final ByteSequence prefix;

    private Watch.Watcher watcher;
    /** The first revision the current stream delivers; meaningful while {@code watcher != null}. */
    private long coveredFrom;
    private final LinkedHashMap<ByteSequence, Long> recentDeletes = new LinkedHashMap<>();
    private long prunedUpTo;
    private long failedAtNanos;
    private boolean closed;
    private final Map<ByteSequence, List<Registration>> waiting = new HashMap<>();

    private record Registration(long afterRevision, CompletableFuture<Boolean> gone) {
    }

    EtcdDeleteWatch(EtcdConnection etcd) {
        this.etcd = etcd;
        this.prefix = etcd.keys().namespacePrefix();
    }

    /**
     * Completes {@code true} once {@code key} is deleted at a revision after {@code afterRevision},
     * {@code false} when the caller should re-read instead. Cancelling it unregisters.
     */
    CompletableFuture<Boolean> whenGone(ByteSequence key, long afterRevision) {
        CompletableFuture<Boolean> gone = new CompletableFuture<>();
        Boolean now;
        synchronized (this) {
            now = answerNow(key, afterRevision);
            if (now == null) {
                Registration r = new Registration(afterRevision, gone);
                waiting.computeIfAbsent(key, k -> new ArrayList<>(2)).add(r);
                gone.whenComplete((v, e) -> unregister(key, r));
            }
        }
        if (now == Boolean.FALSE && System.nanoTime() - failedAtNanos < TimeUnit.MILLISECONDS.toNanos(FAILURE_PAUSE_MILLIS)) {
            schedule(gone, FAILURE_PAUSE_MILLIS);
        } else if (now != null) {
            gone.complete(now);
        } else {
            ScheduledFuture<?> safetyNet = schedule(gone, etcd.recheckInterval().toMillis());
            if (safetyNet != null) {
                gone.whenComplete((v, e) -> safetyNet.cancel(false));
            }
        }
        return gone;
    }

    /** Must hold the monitor. An immediate answer, or null if the waiter must be registered. */
    private Boolean answerNow(ByteSequence key, long afterRevision) {
        if (closed) {
            return Boolean.FALSE;
        }
        Long deleted = recentDeletes.get(key);
        if (deleted != null && deleted > afterRevision) {
            return Boolean.TRUE;
        }
        if (afterRevision < prunedUpTo) {
            return Boolean.FALSE;
        }
        if (watcher == null) {
            if (System.nanoTime() - failedAtNanos < TimeUnit.MILLISECONDS.toNanos(FAILURE_PAUSE_MILLIS)) {
                return Boolean.FALSE;
            }
            start(afterRevision + 1);
        }
        return afterRevision + 1 < coveredFrom ? Boolean.FALSE : null;
    }

    /** Must hold the monitor. */
    private void start(long fromRevision) {
        WatchOption option = WatchOption.builder().isPrefix(true).withNoPut(true).withRequireLeader(true)
                .withRevision(fromRevision).build();
        coveredFrom = fromRevision;
        watcher = etcd.client().getWatchClient().watch(prefix, option,
                Watch.listener(this::onResponse, this::onFailure, () -> onFailure(null)));
        log.debug("etcd delete watch on {} started at revision {}", EtcdKeys.text(prefix), fromRevision);
    }

    private void onResponse(WatchResponse response) {
        List<CompletableFuture<Boolean>> woken = new ArrayList<>();
        synchronized (this) {
            for (WatchEvent e : response.getEvents()) {
                if (e.getEventType() != WatchEvent.EventType.DELETE) {
                    continue;
                }
                ByteSequence key = e.getKeyValue().getKey();
                long revision = e.getKeyValue().getModRevision();
                recentDeletes.remove(key);
                recentDeletes.put(key, revision);
                List<Registration> regs = waiting.get(key);
                if (regs != null) {
                    for (Registration r : regs) {
                        if (revision > r.afterRevision()) {
                            woken.add(r.gone());
                        }
                    }
                }
            }
            Iterator<Map.Entry<ByteSequence, Long>> oldest = recentDeletes.entrySet().iterator();
            while (recentDeletes.size() > RECORD && oldest.hasNext()) {
                prunedUpTo = Math.max(prunedUpTo, oldest.next().getValue());
                oldest.remove();
            }
        }
        woken.forEach(f -> f.complete(Boolean.TRUE));
    }

    private void onFailure(Throwable error) {
        List<CompletableFuture<Boolean>> woken = new ArrayList<>();
        Watch.Watcher failed;
        synchronized (this) {
            failed = watcher;
            watcher = null;
            failedAtNanos = System.nanoTime();
            waiting.values().forEach(regs -> regs.forEach(r -> woken.add(r.gone())));
        }
        if (!closed) {
            log.debug("etcd delete watch on {} ended ({}); waiters re-read", EtcdKeys.text(prefix),
                    error == null ? "completed" : EtcdConnection.describe(error));
        }
        if (failed != null) {
            failed.close();
        }
        woken.forEach(f -> f.complete(Boolean.FALSE));
    }

    private synchronized void unregister(ByteSequence key, Registration r) {
        List<Registration> regs = waiting.get(key);
        if (regs != null && regs.remove(r) && regs.isEmpty()) {
            waiting.remove(key);
        }
    }

    private ScheduledFuture<?> schedule(CompletableFuture<Boolean> gone, long millis) {
        try {
            return etcd.scheduler().schedule(() -> gone.complete(Boolean.FALSE), millis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            gone.complete(Boolean.FALSE);
            return null;
        }
    }

    @Override
    public void close() {
        Watch.Watcher w;
        synchronized (this) {
            closed = true;
            w = watcher;
            watcher = null;
        }
        if (w != null) {
            w.close();
        }
    }
}
