package io.coord.redis;

import io.coord.Primitive;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import io.coord.spi.GroupFeed;
import io.coord.spi.NameEncoding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One watch of a Redis group, for one {@link GroupFeed}: the group kept from its change messages, read again when a
 * message may have been missed, and its members' sessions checked when their leases could have run out.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>Subscribe the group's channel; once the server confirmed the subscription ({@link Inbox}), read the group
 *       ({@link RedisGroup#readLive()}: dead members evicted) and publish it, the snapshot. Messages that arrive
 *       meanwhile wait.</li>
 *   <li>Every message carries the group's counter before and after its change ({@link RedisGroup}). A change whose
 *       "before" is the revision held is applied and the group published ({@code resync} false); one whose "after"
 *       is not above the revision held is old and dropped; one whose "before" is above it means a message was
 *       lost: it waits, and the group is read again.</li>
 *   <li>After the snapshot the group is read only on a proven loss: a gap (the server publishes a group's changes
 *       in counter order on one connection, so a later change received without an earlier one means the earlier one
 *       is lost, never late), a re-subscription (lettuce reconnected: what was published meanwhile is lost), or a
 *       silence: the poll found the counter ahead of every change received and no message brought it for
 *       {@value #SILENT_MS} ms (a message lost while the subscription stood, e.g. a Cluster bus link down). Such a
 *       read first applies the waiting changes it covers; if it is still ahead of them, its state is published with
 *       {@code resync} true (the feed reports the differences). Then the changes after it follow. So a message that
 *       is merely late, by any time below {@value #SILENT_MS} ms, is applied as it arrives, never merged into a
 *       resync.</li>
 *   <li>The poll, a timer on the coordinator's scheduler: when the nearest member's lease could have run out (its
 *       {@code PTTL} at the last check, plus {@value #MARGIN_MS} ms), at once for a member whose session was never
 *       checked, and at least every {@value #MAX_POLL_MS} ms. It sends one {@code PTTL} per session whose lease may
 *       have ended and one {@code GET} of the counter; a session whose key is gone has its members evicted
 *       ({@code leave.lua} publishes the departure; its answer is applied here too when it follows the revision
 *       held, so a lost message does not delay it).</li>
 * </ol>
 *
 * <h2>Why it is safe</h2>
 * Every change of the group increments its counter in the script that makes it and publishes both values, so the
 * changes form one chain. Applying only the next link delivers every change once, in server order, and never an
 * older state after a newer one (a read behind the chain is dropped, as the feed would). A missing link is always
 * noticed: by the next change's message, by the re-subscription that follows a lost connection, or by the poll's
 * counter check (a message lost while the subscription stood, e.g. a Cluster bus link down), and the read that
 * follows brings the exact state. A crashed session's member is evicted by the first poll after its session key
 * expired: within its TTL plus the margin and two round trips, even when nobody else touches the group.
 *
 * <h2>Threads</h2>
 * Messages and replies arrive on lettuce's event loop, timers run on the coordinator's scheduler. This object's
 * monitor guards all its state; it is held only to update it, queue states on the feed and arm timers (none of which
 * blocks), never while a request is sent. The stopper cancels the timer and unsubscribes without waiting.
 */
final class RedisGroupWatch implements RedisCoordinator.ChannelListener {

    private static final Logger log = LoggerFactory.getLogger(RedisGroupWatch.class);
    /** Extra wait after a session's lease could have run out, before checking it. */
    private static final long MARGIN_MS = 20;
    /** The longest time between two polls. */
    private static final long MAX_POLL_MS = 5_000;
    /** The delay before retrying a failed subscription, read or poll. */
    private static final long RETRY_MS = 250;
    /** How long the counter may stay ahead of every change received before their messages are taken as lost. */
    private static final long SILENT_MS = 5_000;

    private final RedisCoordinator redis;
    private final RedisGroup group;
    private final GroupFeed feed;

    /** The first read has been published; until then every message waits. */
    private boolean started;
    /** The counter value of the state held (and last published). */
    private long revision;
    private final Map<String, Member> members = new TreeMap<>();
    /** Changes not applied yet, by the counter before them. */
    private final TreeMap<Long, RedisGroup.Change> waiting = new TreeMap<>();
    private boolean reading;
    private boolean readAgain;
    /** The counter as a poll found it ahead of the revision held (0: not ahead), and since when ({@link System#nanoTime()}). */
    private long aheadSeen;
    private long aheadSince;
    /** Session id -> the {@link System#nanoTime()} at which its lease could have run out, as last measured. */
    private final Map<String, Long> leaseEnds = new HashMap<>();
    private boolean polling;
    private ScheduledFuture<?> timer;
    private long timerAt;

    RedisGroupWatch(RedisCoordinator redis, RedisGroup group, GroupFeed feed) {
        this.redis = redis;
        this.group = group;
        this.feed = feed;
    }

    /** Subscribes and reads without waiting; returns the stopper. */
    Runnable start() {
        subscribe();
        return this::stop;
    }

    private boolean isOver() {
        return feed.isClosed() || redis.isClosed();
    }

    private void subscribe() {
        if (isOver()) {
            return;
        }
        redis.listenAsync(Primitive.GROUP, group.channel(), this).whenComplete((v, error) -> {
            if (isOver()) {
                redis.unlisten(Primitive.GROUP, group.channel(), this);
            } else if (error != null) {
                log.debug("{}: subscribing failed ({}); retrying", group, error.toString());
                later(this::subscribe, RETRY_MS);
            } else {
                read(); // confirmed: every message published from now on reaches us
            }
        });
    }

    private void stop() {
        synchronized (this) {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
            waiting.clear();
        }
        redis.unlisten(Primitive.GROUP, group.channel(), this);
    }

    // ---- reads ----------------------------------------------------------------------------------------------------------

    private void read() {
        synchronized (this) {
            if (isOver()) {
                return;
            }
            if (reading) {
                readAgain = true;
                return;
            }
            reading = true;
        }
        group.readLive().whenComplete(this::onRead);
    }

    private void onRead(RedisGroup.Live live, Throwable error) {
        boolean again;
        synchronized (this) {
            reading = false;
            if (isOver()) {
                return;
            }
            again = readAgain;
            readAgain = false;
            if (error == null) {
                long now = System.nanoTime();
                live.leases().forEach((session, ms) -> leaseEnds.put(session, now + leaseNanos(ms)));
                GroupSnapshot read = live.snapshot();
                if (!started) {
                    started = true;
                    hold(read);
                    feed.publish(read, false);
                } else {
                    applyWaiting(read.revision());
                    if (read.revision() > revision) { // only a proven loss makes a read: the rest is lost
                        hold(read);
                        feed.publish(read, true);
                    }
                }
                applyWaiting(Long.MAX_VALUE);
                schedulePoll(nextPoll(now));
                if (!again && !waiting.isEmpty()) { // a gap after this read: read again, a little later
                    later(this::read, RETRY_MS);
                }
            }
        }
        if (error != null) {
            log.debug("{}: watch read failed ({}); retrying", group, error.toString());
            later(this::read, RETRY_MS);
        } else if (again) {
            read();
        }
    }

    /** Must hold this: the read's state becomes the state held. */
    private void hold(GroupSnapshot read) {
        revision = read.revision();
        members.clear();
        read.members().forEach(m -> members.put(m.id(), m));
        caughtUp();
    }

    /** Must hold this: a counter value the poll found ahead is no longer ahead once the revision held reaches it. */
    private void caughtUp() {
        if (aheadSeen != 0 && revision >= aheadSeen) {
            aheadSeen = 0;
        }
    }

    // ---- changes ----------------------------------------------------------------------------------------------------------

    /** lettuce's thread: one change published by a script. */
    @Override
    public void message(String message) {
        RedisGroup.Change change;
        try {
            change = RedisGroup.parseChange(message);
        } catch (RuntimeException e) {
            // Never the message itself: it carries the member's metadata.
            log.warn("{}: ignoring a malformed change message{}: {}", group, memberOf(message), e.getMessage());
            return;
        }
        boolean gap;
        synchronized (this) {
            if (isOver() || (started && change.revision() <= revision)) {
                return;
            }
            waiting.put(change.prev(), change);
            if (!started || reading) {
                return; // the read in flight decides
            }
            applyWaiting(Long.MAX_VALUE);
            gap = !waiting.isEmpty(); // a change after one never received: that one is lost
        }
        if (gap) {
            read();
        }
    }

    /** lettuce's thread: the answer of our own eviction; applied only if it is the next change (else its message is). */
    private void evicted(RedisGroup.Change change) {
        synchronized (this) {
            if (!isOver() && started && !reading && change.prev() == revision) {
                apply(change);
                applyWaiting(Long.MAX_VALUE);
            }
        }
    }

    /**
     * lettuce's thread: the channel was subscribed again (lettuce reconnected); messages may have been lost meanwhile.
     */
    @Override
    public void resubscribed() {
        read(); // never the first confirmation: that one completes listenAsync ({@link Inbox})
    }

    /** Must hold this: applies the waiting changes that follow the state held, up to {@code limit}. */
    private void applyWaiting(long limit) {
        while (true) {
            waiting.headMap(revision).clear(); // before the state held: they can never follow it
            RedisGroup.Change next = waiting.get(revision);
            if (next == null || next.revision() > limit) {
                return;
            }
            waiting.remove(revision);
            apply(next);
        }
    }

    /** Must hold this: one change, then the group after it published. */
    private void apply(RedisGroup.Change change) {
        if (change.member() == null) {
            members.remove(change.memberId());
        } else {
            members.put(change.memberId(), change.member());
            if (!leaseEnds.containsKey(change.member().sessionId())) {
                schedulePoll(System.nanoTime()); // a session never checked: measure its lease now
            }
        }
        revision = change.revision();
        caughtUp();
        feed.publish(new GroupSnapshot(group.name(), List.copyOf(members.values()), revision), false);
    }

    // ---- the poll -------------------------------------------------------------------------------------------------------

    private void poll() {
        List<String> due;
        synchronized (this) {
            timer = null;
            if (isOver() || !started || polling) {
                return; // before the first read, and during a poll, the read or the poll schedules the next
            }
            polling = true;
            long now = System.nanoTime();
            due = sessions().stream().filter(s -> {
                Long end = leaseEnds.get(s);
                return end == null || end - now <= 0;
            }).toList();
        }
        Map<String, CompletableFuture<Long>> pttls = new LinkedHashMap<>();
        due.forEach(s -> pttls.put(s, group.pttl(s)));
        CompletableFuture<Long> counter = group.revision();
        List<CompletableFuture<?>> all = new ArrayList<>(pttls.values());
        all.add(counter);
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, error) -> polled(pttls, counter, error));
    }

    private void polled(Map<String, CompletableFuture<Long>> pttls, CompletableFuture<Long> counter, Throwable error) {
        List<Member> dead = new ArrayList<>();
        boolean silent = false;
        synchronized (this) {
            polling = false;
            if (isOver()) {
                return;
            }
            long now = System.nanoTime();
            if (error != null) {
                log.debug("{}: watch poll failed ({}); retrying", group, error.toString());
                schedulePoll(now + TimeUnit.MILLISECONDS.toNanos(RETRY_MS));
                return;
            }
            pttls.forEach((session, pttl) -> {
                long ms = pttl.join();
                if (ms == -2) { // dead for good: evict its members; checked again soon if that fails
                    members.values().stream().filter(m -> m.sessionId().equals(session)).forEach(dead::add);
                    leaseEnds.put(session, now + TimeUnit.MILLISECONDS.toNanos(RETRY_MS));
                } else {
                    leaseEnds.put(session, now + leaseNanos(ms));
                }
            });
            leaseEnds.keySet().retainAll(sessions());
            long counted = counter.join();
            if (counted > revision) { // messages on their way, or lost while the subscription stood
                if (aheadSeen == 0) {
                    aheadSeen = counted;
                    aheadSince = now;
                } else if (now - aheadSince - TimeUnit.MILLISECONDS.toNanos(SILENT_MS) >= 0) {
                    silent = true; // none of them came for SILENT_MS: lost
                    aheadSeen = 0;
                }
            }
            long next = nextPoll(now);
            if (aheadSeen != 0) {
                long verdict = aheadSince + TimeUnit.MILLISECONDS.toNanos(SILENT_MS);
                next = verdict - next < 0 ? verdict : next;
            }
            schedulePoll(next);
        }
        for (Member m : dead) {
            log.debug("{}: member '{}' of session {} is gone with its session key; evicting it", group, m.id(), m.sessionId());
            group.evict(m).whenComplete((change, e) -> {
                if (e == null) {
                    change.ifPresent(this::evicted);
                }
            });
        }
        if (silent) {
            log.debug("{}: the counter stayed ahead of every change message for {} ms; reading the group again", group, SILENT_MS);
            read();
        }
    }

    /** Must hold this: the sessions of the members held. */
    private Set<String> sessions() {
        return members.values().stream().map(Member::sessionId).collect(Collectors.toSet());
    }

    /** Must hold this: when the next poll is due (see the class comment). */
    private long nextPoll(long now) {
        long next = now + TimeUnit.MILLISECONDS.toNanos(MAX_POLL_MS);
        for (String s : sessions()) {
            long end = leaseEnds.getOrDefault(s, now) + TimeUnit.MILLISECONDS.toNanos(MARGIN_MS);
            if (end - next < 0) {
                next = end;
            }
        }
        return next;
    }

    /** Must hold this: the poll timer fires at {@code at} ({@link System#nanoTime()}), or earlier if it already does. */
    private void schedulePoll(long at) {
        if (isOver()) {
            return;
        }
        if (timer != null) {
            if (timerAt - at <= 0) {
                return;
            }
            timer.cancel(false);
        }
        timerAt = at;
        try {
            timer = redis.scheduler().schedule(this::poll, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            timer = null;
        }
    }

    private void later(Runnable task, long millis) {
        if (isOver()) {
            return;
        }
        try {
            redis.scheduler().schedule(task, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // the coordinator is closing
        }
    }

    /** For a log line: the member id of a change message if it can be read (never its metadata). */
    private static String memberOf(String message) {
        String[] p = message.split(" ", 5);
        if (p.length < 4) {
            return "";
        }
        try {
            return ", member '" + NameEncoding.decode(p[3]) + "'";
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** A {@code PTTL} answer as the time until the lease could run out (a key without expiry: the longest poll). */
    private static long leaseNanos(long pttlMillis) {
        return TimeUnit.MILLISECONDS.toNanos(pttlMillis >= 0 ? pttlMillis : MAX_POLL_MS);
    }
}
