package io.coord.testservers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A Redis primary with one asynchronous replica, both started by the kit on loopback, for failover
 * tests (issue 5, fault 6). Guarantees: {@link #start} returns only when the replica reports
 * {@code master_link_status:up}; {@link #promote()} sends {@code REPLICAOF NO ONE} to the replica and
 * returns once it reports {@code role:master} (the old primary is left as it is: kill or pause it
 * to complete the failover); {@link #awaitReplicated(Duration)} waits until the replica's offset
 * caught up with the primary's. {@link #close()} kills both and waits for the exits. With a
 * {@link RedisTls} both serve TLS only and the replica links to the primary over TLS
 * ({@code --tls-replication yes}, presenting the server certificate).
 */
public final class RedisReplicaPair implements TestServer {
    /** Upper bound for the replica to link up or be promoted. */
    public static final Duration LINK_TIMEOUT = Duration.ofSeconds(30);

    private final RedisProcess primary;
    private final RedisProcess replica;
    private boolean closed;

    private RedisReplicaPair(RedisProcess primary, RedisProcess replica) {
        this.primary = primary;
        this.replica = replica;
    }

    /**
     * Starts a primary and a replica of it from {@code binary}.
     *
     * @param binary the {@code redis-server} executable
     * @return the pair, the replica's link to the primary up; close it when done
     * @throws IllegalStateException when a server does not start or the link does not come up in time
     */
    public static RedisReplicaPair start(Path binary) {
        return start(binary, Optional.empty());
    }

    /**
     * Starts a primary and a replica of it from {@code binary}, both serving TLS only, replicating over TLS.
     *
     * @param binary the {@code redis-server} executable
     * @param tls the certificates both servers serve and require
     * @return the pair, the replica's link to the primary up; close it when done
     * @throws IllegalStateException when a server does not start or the link does not come up in time
     */
    public static RedisReplicaPair start(Path binary, RedisTls tls) {
        return start(binary, Optional.of(Objects.requireNonNull(tls, "tls")));
    }

    private static RedisReplicaPair start(Path binary, Optional<RedisTls> tls) {
        Objects.requireNonNull(binary, "binary");
        List<String> linkArgs = tls.isPresent() ? RedisTls.replicationArgs() : List.of();
        RedisProcess primary = RedisProcess.start(binary, linkArgs, tls);
        RedisProcess replica = null;
        try {
            List<String> args = new ArrayList<>(List.of("--replicaof", "127.0.0.1", Integer.toString(primary.port())));
            args.addAll(linkArgs);
            replica = RedisProcess.start(binary, args, tls);
            RedisReplicaPair pair = new RedisReplicaPair(primary, replica);
            Reaper.register(pair);
            try {
                pair.awaitRole(replica, "slave", "master_link_status", "up", LINK_TIMEOUT);
            } catch (RuntimeException e) {
                pair.close();
                throw e;
            }
            return pair;
        } catch (RuntimeException e) {
            if (replica != null) {
                replica.close();
            }
            primary.close();
            throw e;
        }
    }

    /**
     * The primary at start (it stays "the primary process" after {@link #promote()}).
     *
     * @return the primary's process
     */
    public RedisProcess primary() {
        return primary;
    }

    /**
     * The replica at start.
     *
     * @return the replica's process (a master after {@link #promote()})
     */
    public RedisProcess replica() {
        return replica;
    }

    /** {@code REPLICAOF NO ONE} on the replica; returns once it reports {@code role:master}. */
    public void promote() {
        try (RespConnection c = replica.connect()) {
            c.command("REPLICAOF", "NO", "ONE");
        }
        awaitRole(replica, "master", null, null, LINK_TIMEOUT);
    }

    /**
     * Waits until the replica's replication offset reached the primary's offset at call time.
     *
     * @param timeout how long to poll
     * @throws IllegalStateException when it does not within {@code timeout}
     */
    public void awaitReplicated(Duration timeout) {
        long target;
        try (RespConnection c = primary.connect()) {
            target = Long.parseLong(c.infoField("replication", "master_repl_offset"));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            try (RespConnection c = replica.connect()) {
                String off = c.infoField("replication", "slave_repl_offset");
                if (off != null && Long.parseLong(off) >= target) {
                    return;
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("replica did not reach offset " + target + " within " + timeout);
    }

    private void awaitRole(RedisProcess node, String role, String field, String value, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        do {
            try (RespConnection c = node.connect()) {
                String info = c.commandString("INFO", "replication");
                last = info;
                if (role.equals(RespConnection.field(info, "role"))
                        && (field == null || value.equals(RespConnection.field(info, field)))) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e.toString();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException(node.uri() + " not role:" + role + (field == null ? "" : " " + field + ":" + value)
                + " within " + timeout + "; last INFO replication:\n" + last + "\nlog " + node.logFile());
    }

    @Override
    public ServerSource source() {
        return ServerSource.BINARY;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            replica.close();
        } finally {
            primary.close();
            Reaper.unregister(this);
        }
    }

    @Override
    public String toString() {
        return "RedisReplicaPair[primary " + primary.uri() + ", replica " + replica.uri() + "]";
    }
}
