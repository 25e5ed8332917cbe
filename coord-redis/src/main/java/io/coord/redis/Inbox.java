package io.coord.redis;

import io.coord.BackendUnavailableException;
import io.coord.redis.RedisCoordinator.ChannelListener;
import io.coord.redis.RedisCoordinator.Waiter;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Routes everything one {@link RedisCoordinator} receives by pub/sub: messages on its own inbox
 * channel go to the registered {@link Waiter}s (or, for a member it does not own, to the
 * {@link OrphanReclaimer}); messages on a broadcast channel go to that channel's
 * {@link ChannelListener}s (election observers, group watches). After every re-subscription it tells them to
 * re-check, since messages may have been missed.
 *
 * <h2>Broadcast channels: one subscription per channel, confirmed before anyone reads</h2>
 * A channel is subscribed once, by its first listener, and unsubscribed by its last. {@link #addListener} answers
 * with the server's confirmation of that subscription (lettuce's {@code subscribed} notification, not the command's
 * future): every message published after it reaches the listener, so a read sent once it completes misses nothing,
 * and a message published before it is covered by that read. A listener added to a channel already confirmed gets
 * a completed future. Confirmations are matched to the subscriptions sent, in order ({@code awaiting}): the
 * confirmation of a subscription sent for listeners that have all gone meanwhile never completes a newer one, and a
 * confirmation nobody awaits is a re-subscription (lettuce reconnected: messages may have been lost), told to the
 * channel's listeners as {@link ChannelListener#resubscribed()}. A second listener no longer subscribes again, so
 * its arrival is not mistaken by the others for a possible loss.
 *
 * <h2>State and threads</h2>
 * <ul>
 *   <li>This class owns the waiter registry ({@code waiters}, a concurrent map: the recipes' worker threads
 *       register and unregister, lettuce's thread reads it) and the broadcast channels ({@code channels},
 *       {@code awaiting}): changed only under {@code subscriptions}' monitor, which is held to update them and to
 *       send a channel's SUBSCRIBE or UNSUBSCRIBE (lettuce only queues it: nothing blocks), so that the commands of
 *       one channel go out in the order its listener set changed. {@link #onMessage} reads {@code channels}
 *       without the monitor.</li>
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
    /** Broadcast channel → its listeners and the confirmation of its subscription (see the class comment). */
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    /** Broadcast channel → the subscriptions sent and not confirmed yet, oldest first. Guarded by {@code subscriptions}. */
    private final Map<String, Deque<Channel>> awaiting = new HashMap<>();
    private final Object subscriptions = new Object();

    /** One subscription of a broadcast channel: its listeners, and the server's confirmation of its SUBSCRIBE. */
    private static final class Channel {
        final Set<ChannelListener> listeners = ConcurrentHashMap.newKeySet();
        final CompletableFuture<Void> confirmed = new CompletableFuture<>();
    }

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

    /**
     * Adds a listener of a broadcast channel; the channel's first listener sends {@code subscribe}. The answer
     * completes once the server confirmed the subscription (see the class comment), or fails with the SUBSCRIBE (the
     * listener is then forgotten: it may add itself again). Never blocks.
     */
    CompletableFuture<Void> addListener(String channel, ChannelListener listener, Function<String, CompletableFuture<Void>> subscribe) {
        Channel state;
        synchronized (subscriptions) {
            state = channels.get(channel);
            if (state == null) {
                Channel sent = new Channel();
                state = sent;
                channels.put(channel, sent);
                awaiting.computeIfAbsent(channel, c -> new ArrayDeque<>()).addLast(sent);
                subscribe.apply(channel).whenComplete((v, error) -> {
                    if (error != null) {
                        subscribeFailed(channel, sent, error);
                    }
                });
            }
            state.listeners.add(listener);
        }
        return state.confirmed.copy();
    }

    private void subscribeFailed(String channel, Channel sent, Throwable error) {
        synchronized (subscriptions) {
            Deque<Channel> queue = awaiting.get(channel);
            if (queue != null && queue.remove(sent) && queue.isEmpty()) {
                awaiting.remove(channel);
            }
            channels.remove(channel, sent);
        }
        sent.confirmed.completeExceptionally(error);
    }

    /** Removes a listener; the channel's last one sends {@code unsubscribe}. Never blocks. */
    void removeListener(String channel, ChannelListener listener, Runnable unsubscribe) {
        synchronized (subscriptions) {
            Channel state = channels.get(channel);
            if (state == null || !state.listeners.remove(listener) || !state.listeners.isEmpty()) {
                return;
            }
            channels.remove(channel);
            unsubscribe.run();
        }
    }

    /** Forgets every waiter and listener (the coordinator is closing). */
    void clear() {
        waiters.clear();
        synchronized (subscriptions) {
            channels.clear();
            awaiting.clear();
        }
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
        Channel state = channels.get(channel);
        if (state != null) {
            state.listeners.forEach(l -> l.message(message));
        }
    }

    /**
     * On lettuce's thread, after every confirmation of a subscription: the oldest subscription sent of that channel
     * is confirmed; one nobody awaits is a re-subscription, and messages may have been missed.
     */
    void onSubscribed(String channel) {
        if (this.channel.equals(channel)) {
            waiters.values().forEach(Waiter::recheck);
            return;
        }
        Channel confirmed;
        Channel current;
        synchronized (subscriptions) {
            Deque<Channel> queue = awaiting.get(channel);
            confirmed = queue == null ? null : queue.pollFirst();
            if (queue != null && queue.isEmpty()) {
                awaiting.remove(channel);
            }
            current = channels.get(channel);
        }
        if (confirmed != null) {
            confirmed.confirmed.complete(null); // its listeners read now (a subscription whose listeners all left: nobody)
        } else if (current != null && current.confirmed.isDone()) {
            current.listeners.forEach(ChannelListener::resubscribed);
        }
    }
}
