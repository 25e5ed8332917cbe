package io.coord;

/**
 * Guarantees a backend declares beyond the common contract. The conformance kit checks exactly
 * what is declared, no more and no less; a backend that does not declare one makes no such claim.
 */
public enum Capability {
    /**
     * Fencing tokens and election terms never repeat and never decrease, even across a server
     * crash, restart or leader failover (they come from a replicated, durable log: ZooKeeper
     * zxids, etcd revisions). Redis with asynchronous replication does not declare it: a
     * failover can lose a counter increment.
     */
    DURABLE_FENCING_TOKENS,
    /**
     * A server failover never hands a held lock or leadership to a second owner while the first
     * owner's session is alive. Redis with asynchronous replication does not declare it.
     */
    FAILOVER_SAFE_EXCLUSION,
    /** Lease expiry is decided by the server's clock only; client clock skew cannot break it. */
    SERVER_CLOCK_LEASES,
    /**
     * The backend can wait, after a grant, for replicas to acknowledge it (Redis {@code WAIT}) and
     * reports the count; this narrows, but does not close, the failover window.
     */
    REPLICA_ACKNOWLEDGEMENT
}
