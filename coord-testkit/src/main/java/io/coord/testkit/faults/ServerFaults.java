package io.coord.testkit.faults;

/**
 * Server-side faults of one topology. A scenario runs only on topologies it applies to; the
 * others report a skipped scenario with the reason.
 */
public interface ServerFaults {

    enum Topology {
        /** One server that can be killed and restarted on its data. */
        SINGLE,
        /** A replicated cluster (etcd, ZooKeeper ensemble) whose leader member can be killed. */
        CLUSTER,
        /** A primary with an asynchronously replicated replica that can be promoted (Redis). */
        PRIMARY_REPLICA,
        /** Servers the kit cannot touch (external, or a cluster whose faults are not scripted). */
        NONE
    }

    Topology topology();

    /** SINGLE: SIGKILL the server, then start it again on its data directory (if it has one). */
    default void killAndRestart() {
        throw new UnsupportedOperationException(topology() + " cannot restart");
    }

    /** CLUSTER: SIGKILL the current leader member; returns an action that restarts it. */
    default Runnable killLeader() {
        throw new UnsupportedOperationException(topology() + " has no leader to kill");
    }

    /** PRIMARY_REPLICA: promote the replica, point the clients' endpoint at it, kill the old primary. */
    default void failover() {
        throw new UnsupportedOperationException(topology() + " cannot fail over");
    }

    /** PRIMARY_REPLICA: restore a fresh primary/replica pair for the next scenario. */
    default void reset() {
    }
}
