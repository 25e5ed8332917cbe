package io.coord.redis;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.Subscription;
import io.coord.election.ElectionView;
import io.coord.election.Leader;
import io.coord.election.LeaderListener;
import io.coord.spi.Arguments;
import io.coord.spi.LeaderFeed;
import io.lettuce.core.ScriptOutputType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Read-only view of a Redis election (needs no session).
 *
 * <p>{@link #leader()} reads the head of the election's queue ({@code read.lua}) and checks that
 * the head's session key still exists ({@code PTTL}): two round trips when there is a leader, one
 * when there is none. A head whose session key has expired is dead for good (session keys are
 * never re-created): it is removed — which publishes the change — and the queue is read again.
 *
 * <p>{@link #observe(LeaderListener)}: subscribes the election's observer channel, then reads the
 * state and reports it first; after that every message published by the scripts that change the
 * leader (enqueue into an empty election, release/resign/eviction of the leader, proclaim). Each
 * state carries a version taken from the election's counter, and a state is reported only if its
 * version is greater than the last one reported, so a late message can never overwrite a newer
 * read. The observer also re-reads the state (and so evicts a dead leader) when the leader's lease
 * could have run out, and after every re-subscription (messages missed while disconnected): an
 * observer learns of a crashed leader's end without any other participant. Such a poll that finds
 * the same live leader as the previous read also asks the leader's coordinator (inside
 * {@code read.lua}, no extra round trip) whether it still owns that entry, so a leader whose
 * resignation was lost (e.g. by a failover) is removed by its owner even with no candidate waiting.
 */
final class RedisElectionView implements ElectionView {

    private static final Logger log = LoggerFactory.getLogger(RedisElectionView.class);
    private static final long MARGIN_MS = 20;
    private static final long MAX_POLL_MS = 5_000;
    private static final int MAX_EVICTIONS = 1000;

    private final RedisCoordinator redis;
    private final String name;
    private final RedisKeys.Queue queue;

    /** A state read from the server: version, leader, the leader's remaining lease (ms, or -1) and queue member ("" if none). */
    record State(long version, Optional<Leader> leader, long leaseMillis, String member) {
    }

    public RedisElectionView(RedisCoordinator redis, String name) {
        this.redis = redis;
        this.name = name;
        this.queue = redis.keys().queue(RedisKeys.Kind.ELECTION, name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Optional<Leader> leader() {
        redis.ensureOpen();
        try {
            return readLive("").leader();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while reading the leader of election '" + name + "'", e);
        } catch (BackendUnavailableException e) {
            throw e;
        } catch (Exception e) {
            throw new BackendUnavailableException("reading the leader of election '" + name + "' failed: " + e, e);
        }
    }

    @Override
    public Subscription observe(LeaderListener listener) {
        Arguments.notNull("leader listener", listener);
        redis.ensureOpen();
        Observer observer = new Observer(listener);
        try {
            observer.start();
        } catch (InterruptedException e) {
            observer.feed.close();
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while starting to observe election '" + name + "'", e);
        } catch (Exception e) {
            observer.feed.close();
            throw e instanceof BackendUnavailableException b ? b
                    : new BackendUnavailableException("observing election '" + name + "' failed: " + e, e);
        }
        return observer.feed;
    }

    /**
     * Reads the head; evicts it and reads again while its session key is gone. Blocking.
     *
     * @param suspect a leader's member seen alive a whole poll ago, or "": if it is still the head,
     *                read.lua asks its coordinator whether it still owns it (a resignation lost by a
     *                failover leaves an orphaned leader behind; see {@link RedisCoordinator})
     */
    State readLive(String suspect) throws Exception {
        for (int i = 0; i < MAX_EVICTIONS; i++) {
            List<Object> r = await(redis.link().<List<Object>>eval(Primitive.ELECTION, RedisScript.READ, ScriptOutputType.MULTI,
                    queue.keys(), suspect, redis.keys().inboxPrefix()));
            long version = (Long) r.get(0);
            long term = (Long) r.get(1);
            String member = r.get(2) == null ? "" : r.get(2).toString();
            String value = r.get(3) == null ? "" : r.get(3).toString();
            if (member.isEmpty()) {
                return new State(version, Optional.empty(), -1, "");
            }
            String sessionId = RedisKeys.sessionOf(member);
            long pttl = await(redis.link().pttl(Primitive.ELECTION, redis.keys().session(sessionId)));
            if (pttl != -2) {
                return new State(version, Optional.of(new Leader(sessionId, value, term)), pttl, member);
            }
            log.debug("election '{}': leader session {} is gone; removing its entry", name, sessionId);
            await(redis.link().<Long>eval(Primitive.ELECTION, RedisScript.REMOVE, ScriptOutputType.INTEGER, queue.keys(),
                    member, redis.keys().inboxPrefix(), queue.observers()));
        }
        throw new BackendUnavailableException("election '" + name + "': more than " + MAX_EVICTIONS + " dead leaders in a row", null);
    }

    private <T> T await(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(redis.operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new BackendUnavailableException("election '" + name + "': Redis request failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new BackendUnavailableException("election '" + name + "': Redis did not answer within "
                    + redis.operationTimeout().toMillis() + " ms", e);
        }
    }

    /**
     * One observer. {@code this} guards {@code lastVersion}, {@code started}, {@code early} and {@code timer}; states are handed to
     * the {@link LeaderFeed} under that monitor, so they are delivered in version order. Message
     * callbacks run on lettuce's thread and only parse and hand over; reads run on worker threads.
     */
    private final class Observer implements RedisCoordinator.ChannelListener {
        final LeaderFeed feed;
        private long lastVersion = -1;
        /** Whether the initial read has been reported; until then messages wait in {@code early}. */
        private boolean started;
        private long earlyVersion = -1;
        private Optional<Leader> early;
        private ScheduledFuture<?> timer;
        /** The live leader's member seen by the last read ("" if none); the next poll asks about it. */
        private volatile String lastLeaderMember = "";

        Observer(LeaderListener listener) {
            this.feed = new LeaderFeed(redis, listener, this::stop);
        }

        void start() throws Exception {
            redis.listen(Primitive.ELECTION, queue.observers(), this);
            State s = readLive("");
            lastLeaderMember = s.member();
            synchronized (this) {
                // The current state goes first; a message that arrived meanwhile counts only if newer.
                started = true;
                offer(s.version(), s.leader());
                if (early != null) {
                    offer(earlyVersion, early);
                    early = null;
                }
            }
            schedule(s);
        }

        /**
         * A state from a message. Until the initial read has been reported, messages are held back
         * (only the newest is kept): one published before that read may still be in flight, and
         * reporting it first would show a stale state as the current one.
         */
        private void deliver(long version, Optional<Leader> state) {
            synchronized (this) {
                if (!started) {
                    if (version > earlyVersion) {
                        earlyVersion = version;
                        early = state;
                    }
                    return;
                }
                offer(version, state);
            }
        }

        private void stop() {
            synchronized (this) {
                if (timer != null) {
                    timer.cancel(false);
                }
            }
            redis.unlisten(Primitive.ELECTION, queue.observers(), this);
        }

        private void offer(long version, Optional<Leader> state) {
            synchronized (this) {
                if (version <= lastVersion) {
                    return;
                }
                lastVersion = version;
                feed.publish(state);
            }
        }

        private void schedule(State s) {
            long delay = s.leader().isPresent() ? Math.min(Math.max(s.leaseMillis(), 0) + MARGIN_MS, MAX_POLL_MS) : MAX_POLL_MS;
            synchronized (this) {
                if (feed.isClosed() || redis.isClosed()) {
                    return;
                }
                if (timer != null) {
                    timer.cancel(false);
                }
                try {
                    timer = redis.scheduler().schedule(() -> redis.onWorker(this::poll), delay, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    timer = null;
                }
            }
        }

        private void poll() {
            if (feed.isClosed() || redis.isClosed()) {
                return;
            }
            State s;
            try {
                // a poll comes a whole lease of the leader after the last read (or after a
                // re-subscription): if the same leader is still there, ask whether it is an orphan
                s = readLive(lastLeaderMember);
            } catch (Exception e) {
                log.debug("election '{}': observer poll failed: {}", name, e.toString());
                schedule(new State(-1, Optional.empty(), -1, ""));
                return;
            }
            lastLeaderMember = s.member();
            offer(s.version(), s.leader());
            schedule(s);
        }

        /** lettuce's thread: "ver term member value…" or "ver 0". */
        @Override
        public void message(String message) {
            try {
                String[] p = message.split(" ", 4);
                long version = Long.parseLong(p[0]);
                long term = Long.parseLong(p[1]);
                if (term == 0) {
                    deliver(version, Optional.empty());
                } else {
                    deliver(version, Optional.of(new Leader(RedisKeys.sessionOf(p[2]), p.length > 3 ? p[3] : "", term)));
                }
            } catch (RuntimeException e) {
                log.warn("election '{}': ignoring malformed event '{}'", name, message);
            }
        }

        /** lettuce's thread: messages may have been lost; re-read soon on a worker. */
        @Override
        public void resubscribed() {
            if (!feed.isClosed() && !redis.isClosed()) {
                redis.onWorker(this::poll);
            }
        }
    }
}
