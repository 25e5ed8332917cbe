package io.coord.redis;

import io.coord.BackendUnavailableException;
import io.coord.redis.RedisCoordinator.ChannelListener;
import io.coord.redis.RedisCoordinator.Waiter;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Routes everything one {@link RedisCoordinator} receives by pub/sub: messages on its own inbox
 * channel go to the registered {@link Waiter}s (or, for a member it does not own, to the
 * {@link OrphanReclaimer}); messages on a broadcast channel go to that channel's
 * {@link ChannelListener}s (election observers). After every (re)subscription it tells them to
 * re-check, since messages may have been missed.
 *
 * <h2>State and threads</h2>
 * <ul>
 *   <li>This class owns the waiter registry ({@code waiters}) and the listener sets
 *       ({@code channels}), both concurrent maps: the recipes' worker threads register and
 *       unregister, lettuce's thread reads them in {@link #onMessage} and {@link #onSubscribed}.</li>
 *   <li>{@link #onMessage} and {@link #onSubscribed} run on lettuce's thread and never block; the
 *       callbacks they call (waiters, listeners, the reclaimer's answer) must not block either.</li>
 *   <li>Subscribing and unsubscribing channels on the server is the coordinator's job; this class
 *       only holds who listens.</li>
 * </ul>
 */
final class Inbox {

    private final String channel;
    private final OrphanReclaimer orphans;
    /**
     * Every queue entry this coordinator may have on a server, by member: registered just before
     * its enqueue is sent, unregistered only once the server confirmed its removal, or once its session has ended and
     * its removal failed ({@link RedisCoordinator#leftOver}: garbage, retried from there). This is the
     * "do I own it?" registry of {@link OrphanReclaimer} as well as the inbox routing table.
     */
    private final Map<String, Waiter> waiters = new ConcurrentHashMap<>();
    private final Map<String, Set<ChannelListener>> channels = new ConcurrentHashMap<>();

    /**
     * @param channel this coordinator's inbox channel
     * @param orphans answers ownership questions about members this coordinator created
     */
    Inbox(String channel, OrphanReclaimer orphans) {
        this.channel = channel;
        this.orphans = orphans;
    }

    /** This coordinator's inbox channel. */
    String channel() {
        return channel;
    }

    /**
     * Registers an entry as owned by this coordinator; call it before its enqueue is sent. Fails
     * (and registers nothing) only if an ownership question about this very member is being
     * answered with a removal at this moment — impossible for a member that was never on a
     * server unless the question was forged; see {@link OrphanReclaimer}.
     */
    void register(String member, Waiter waiter) {
        waiters.put(member, waiter);
        if (orphans.isBeingRemoved(member)) {
            waiters.remove(member);
            throw new BackendUnavailableException("queue entry " + member + " is being removed by an ownership question; retry", null);
        }
    }

    void unregister(String member) {
        waiters.remove(member);
    }

    /** Whether {@code member} is registered, i.e. owned by this coordinator. */
    boolean owns(String member) {
        return waiters.containsKey(member);
    }

    /** Adds a listener of a broadcast channel (the caller subscribes the channel). */
    void addListener(String channel, ChannelListener listener) {
        channels.computeIfAbsent(channel, c -> ConcurrentHashMap.newKeySet()).add(listener);
    }

    /** Removes a listener; true if it was the channel's last one (the caller then unsubscribes). */
    boolean removeListener(String channel, ChannelListener listener) {
        Set<ChannelListener> set = channels.get(channel);
        if (set == null) {
            return false;
        }
        set.remove(listener);
        return set.isEmpty() && channels.remove(channel, set);
    }

    /** Forgets every waiter and listener (the coordinator is closing). */
    void clear() {
        waiters.clear();
        channels.clear();
    }

    /** On lettuce's thread: route, never block. */
    void onMessage(String channel, String message) {
        if (this.channel.equals(channel)) {
            // "?<member> <queue key>": a question; "<member> <queue key>": that member became the head
            boolean question = message.startsWith("?");
            int space = message.indexOf(' ');
            String member = message.substring(question ? 1 : 0, space < 0 ? message.length() : space);
            String queueKey = space < 0 ? "" : message.substring(space + 1);
            if (!question) {
                Waiter w = waiters.get(member);
                if (w != null) {
                    w.headNotified();
                    return;
                }
            }
            // a question, or the head is one of our members that we do not own: an orphan, at the head
            orphans.onOwnershipQuestion(member, queueKey, this::owns);
            return;
        }
        Set<ChannelListener> set = channels.get(channel);
        if (set != null) {
            set.forEach(l -> l.message(message));
        }
    }

    /** On lettuce's thread, after every (re)subscription: messages may have been missed. */
    void onSubscribed(String channel) {
        if (this.channel.equals(channel)) {
            waiters.values().forEach(Waiter::recheck);
            return;
        }
        Set<ChannelListener> set = channels.get(channel);
        if (set != null) {
            set.forEach(ChannelListener::resubscribed);
        }
    }
}
