package io.coord.spi;

import io.coord.Subscription;
import io.coord.group.GroupEvent;
import io.coord.group.GroupListener;
import io.coord.group.GroupSnapshot;
import io.coord.group.Member;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the successive states of a group that a backend reads into one watcher's events: the first state as a
 * {@link GroupEvent.Type#SNAPSHOT}, then the differences between each state and the one delivered before it.
 *
 * <p>Backends {@link #publish} every state they know of, in their order, from any thread (one watch or poller
 * per feed): after each change they saw (one difference), and after a re-read that followed a lost connection or
 * an ended watch ({@code resync}, possibly many differences). A state older than the last one delivered (smaller
 * revision) is dropped, an equal state delivers nothing, so a late or repeated read can never move a watcher back
 * or report a change twice.
 *
 * <p>Threads: {@code publish} only queues; the comparison and the listener run on the coordinator's event thread,
 * which alone touches {@code last}. No event starts after {@link #close()} returns; one the event thread is
 * delivering at that moment (when close is called from another thread) finishes, and closing from the listener
 * itself stops at once.
 */
public final class GroupFeed implements Subscription {

    private static final Logger log = LoggerFactory.getLogger(GroupFeed.class);

    private final CoordinatorBase coordinator;
    private final GroupListener listener;
    private final Object mutex = new Object();
    private Runnable stopWatch;
    private volatile boolean closed;
    /** The state delivered last; only touched on the event thread. */
    private GroupSnapshot last;

    /**
     * @param coordinator the coordinator on whose event thread events are delivered
     * @param listener    the watcher
     */
    public GroupFeed(CoordinatorBase coordinator, GroupListener listener) {
        this.coordinator = coordinator;
        this.listener = listener;
    }

    /**
     * Queues a state read from the server; safe from any thread, including a client library's.
     *
     * @param state  the whole group at {@link GroupSnapshot#revision()}
     * @param resync true if the state was read again after changes may have been missed
     */
    public void publish(GroupSnapshot state, boolean resync) {
        if (closed) {
            return;
        }
        coordinator.events().execute(() -> deliver(state, resync));
    }

    /**
     * Whether {@link #close()} was called: the backend should stop reading for this feed.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed;
    }

    /** Called once by the view with what stops the backend's watch; runs it at once if already closed. */
    void stopWith(Runnable stop) {
        synchronized (mutex) {
            if (!closed) {
                stopWatch = stop;
                return;
            }
        }
        stop.run();
    }

    @Override
    public void close() {
        Runnable stop;
        synchronized (mutex) {
            if (closed) {
                return;
            }
            closed = true;
            stop = stopWatch;
            stopWatch = null;
        }
        if (stop != null) {
            stop.run();
        }
    }

    private void deliver(GroupSnapshot state, boolean resync) {
        if (closed) {
            return;
        }
        if (last == null) {
            last = state;
            call(new GroupEvent(GroupEvent.Type.SNAPSHOT, Optional.empty(), state, false));
            return;
        }
        if (state.revision() < last.revision()) {
            return; // an older read arriving late
        }
        for (GroupEvent e : differences(last, state, resync)) {
            if (closed) {
                return;
            }
            call(e);
        }
        last = state;
    }

    /**
     * The events that lead from {@code from} to {@code to}: departures first, then updates, then joins, each in
     * member-id order, each with the group after it. A member id whose join token changed left and joined again.
     */
    static List<GroupEvent> differences(GroupSnapshot from, GroupSnapshot to, boolean resync) {
        Map<String, Member> now = new LinkedHashMap<>();
        from.members().forEach(m -> now.put(m.id(), m));
        Map<String, Member> target = new LinkedHashMap<>();
        to.members().forEach(m -> target.put(m.id(), m));
        List<GroupEvent> events = new ArrayList<>();
        for (Member m : from.members()) {
            Member t = target.get(m.id());
            if (t == null || t.joinToken() != m.joinToken() || !t.sessionId().equals(m.sessionId())) {
                now.remove(m.id());
                events.add(event(GroupEvent.Type.LEFT, m, now, to, resync));
            }
        }
        for (Member t : to.members()) {
            Member m = now.get(t.id());
            if (m != null && (m.version() != t.version() || !m.metadata().equals(t.metadata()))) {
                now.put(t.id(), t);
                events.add(event(GroupEvent.Type.UPDATED, t, now, to, resync));
            }
        }
        for (Member t : to.members()) {
            if (!now.containsKey(t.id())) {
                now.put(t.id(), t);
                events.add(event(GroupEvent.Type.JOINED, t, now, to, resync));
            }
        }
        return events;
    }

    private static GroupEvent event(GroupEvent.Type type, Member member, Map<String, Member> after, GroupSnapshot to, boolean resync) {
        return new GroupEvent(type, Optional.of(member), new GroupSnapshot(to.group(), List.copyOf(after.values()), to.revision()), resync);
    }

    private void call(GroupEvent e) {
        try {
            listener.onEvent(e);
        } catch (RuntimeException ex) {
            log.warn("group listener failed on {} of group '{}'", e.type(), e.snapshot().group(), ex);
        }
    }
}
