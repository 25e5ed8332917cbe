package io.coord.group;

import io.coord.Subscription;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * A group read without a session: its members now, and every change in order. Obtained from
 * {@link io.coord.Coordinator#group(String)}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>A watch delivers a {@link GroupEvent.Type#SNAPSHOT} first, then one event per change, in the server's
 *       order, each with the group after it. While the connection holds, every join, update and leave is
 *       delivered as it happened ({@link GroupEvent#resynced()} false); on ZooKeeper, changes of the same member
 *       closer together than one read may be merged (ZooKeeper's events carry no data), and on Redis a change
 *       message lost while subscribed (found by a gap in its counter chain, or after 5 s when no later change
 *       follows) is made good by a read, whose differences are merged and marked resynced; see the README.</li>
 *   <li>After a lost connection (or a watch the server ended) the watch reads the group again and delivers
 *       exactly the differences from the last state it delivered, marked {@link GroupEvent#resynced()}: a member
 *       that left meanwhile is reported as left, one that joined as joined; nothing is silently missing, and no
 *       event is delivered twice.</li>
 *   <li>A member whose session ends without leaving (crash, partition) is reported as left once the server has
 *       dropped its session: within the member's session TTL plus the backend's bound (Redis, whose server keeps
 *       the entry, evicts it when a watcher, reader or joiner finds the session's key gone; a watch looks when
 *       the nearest lease can have ended).</li>
 * </ul>
 */
public interface GroupView {

    /**
     * The group's name, as given.
     *
     * @return the name
     */
    String name();

    /**
     * Reads the group from the server now.
     *
     * @return the members at the time of the read, with the server's revision of that state
     * @throws io.coord.BackendUnavailableException if the server cannot be reached in time
     */
    GroupSnapshot members();

    /**
     * Watches the group: first the whole group, then every change (see the class comment), on the coordinator's
     * event thread. A listener that throws is logged and keeps its watch.
     *
     * @param listener not null
     * @return closing it stops the calls (none starts after close returns) and the backend's watch
     * @throws NullPointerException  if {@code listener} is null
     * @throws IllegalStateException if the coordinator is closed
     */
    Subscription watch(GroupListener listener);

    /**
     * Alerts when a member leaves and does not come back: {@code alert} is called with the member as it was when
     * it left, once {@code after} has passed without a member of the same id in the group. A member that comes
     * back in time cancels that alert; every later departure is judged again. The alert is armed when this method
     * returns: it waits (at most the operation timeout; not when called on the coordinator's event thread) for the
     * group's first read, so every departure after the call is judged.
     *
     * @param after how long a member may be away, between 1 ms and 24 hours
     * @param alert called on the coordinator's event thread
     * @return closing it stops the alerts and their watch
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code after} is out of range
     */
    Subscription alertWhenAbsent(Duration after, Consumer<Member> alert);

    /**
     * Alerts when the group stays small: {@code alert} is called with the group once it has had fewer than
     * {@code minimum} members for {@code after} without a break (counted from the watch's first snapshot when it
     * starts small). It is called again only after the group has reached {@code minimum} and shrunk again. Armed when
     * this method returns, as {@link #alertWhenAbsent} is.
     *
     * @param minimum the smallest healthy size, at least 1
     * @param after   how long the group may stay below it, between 1 ms and 24 hours
     * @param alert   called on the coordinator's event thread with the group at the time
     * @return closing it stops the alerts and their watch
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code minimum} is below 1 or {@code after} is out of range
     */
    Subscription alertWhenBelow(int minimum, Duration after, Consumer<GroupSnapshot> alert);
}
