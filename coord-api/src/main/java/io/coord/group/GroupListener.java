package io.coord.group;

/**
 * Receives a group's events; see {@link GroupView#watch(GroupListener)}. Called on the coordinator's event thread,
 * one event at a time, in order.
 */
@FunctionalInterface
public interface GroupListener {

    /**
     * One event: the first is always a {@link GroupEvent.Type#SNAPSHOT}.
     *
     * @param event what happened and the group after it
     */
    void onEvent(GroupEvent event);
}
