package io.coord.testkit.faults;

/**
 * Server-side faults of one topology. A scenario runs only on topologies it applies to; the
 * others report a skipped scenario with the reason.
 */
public interface ServerFaults {

    /** The shape of the servers, which decides the faults that apply. */
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

    /**
     * The topology these faults are for.
     *
     * @return the topology
     */
    Topology topology();

    /**
     * SINGLE: SIGKILL the server, then start it again on its data directory (if it has one).
     *
     * @throws UnsupportedOperationException unless the topology is {@code SINGLE}
     */
    default void killAndRestart() {
        throw new UnsupportedOperationException(topology() + " cannot restart");
    }

    /**
     * CLUSTER: SIGKILL the current leader member; returns an action that restarts it.
     *
     * @return restarts the killed member on its data when run
     * @throws UnsupportedOperationException unless the topology is {@code CLUSTER}
     */
    default Runnable killLeader() {
        throw new UnsupportedOperationException(topology() + " has no leader to kill");
    }

    /**
     * PRIMARY_REPLICA: promote the replica, point the clients' endpoint at it, kill the old primary.
     *
     * @throws UnsupportedOperationException unless the topology is {@code PRIMARY_REPLICA}
     */
    default void failover() {
        throw new UnsupportedOperationException(topology() + " cannot fail over");
    }

    /** PRIMARY_REPLICA: restore a fresh primary/replica pair for the next scenario. */
    default void reset() {
    }
}
