package io.coord.testservers;

import java.util.List;
import java.util.Optional;

/**
 * A Redis Cluster for tests, whatever its {@link #source()}. Obtain one through
 * {@link TestServers#redisCluster()}. Guarantees: when handed out, every node reported
 * {@code cluster_state:ok} with all 16384 slots assigned; {@link #nodes()} is non-empty exactly
 * when {@link #supportsFaults()}, and then node {@code i} serves {@code seedUris().get(i)}.
 */
public interface RedisClusterServer extends TestServer {

    /**
     * One {@code redis://host:port} URI per master (any of them is a valid seed).
     *
     * @return the URIs ({@code rediss://} over TLS), at least one, in node order
     */
    List<String> seedUris();

    /**
     * {@code host:port,host:port,...} of the seeds.
     *
     * @return the seeds' {@code host:port} joined with {@code ,}, the scheme dropped
     */
    default String seedsCsv() {
        StringBuilder b = new StringBuilder();
        for (String u : seedUris()) {
            if (b.length() > 0) {
                b.append(',');
            }
            b.append(u.replaceFirst("^rediss?://", ""));
        }
        return b.toString();
    }

    /**
     * A {@code redis://host:port[,host:port]/namespace} URI for the coord backend; over TLS
     * {@code rediss://…/namespace?} followed by {@link RedisTls#coordParameters()}.
     *
     * @param namespace the coord namespace, appended as the URI's path
     * @return the URI
     */
    default String coordUri(String namespace) {
        return (tls().isPresent() ? "rediss://" : "redis://") + seedsCsv() + "/" + namespace
                + tls().map(t -> "?" + t.coordParameters()).orElse("");
    }

    /**
     * The TLS setting every node was started with; empty for plain text (the default).
     *
     * @return the TLS setting, or empty
     */
    default Optional<RedisTls> tls() {
        return Optional.empty();
    }

    /**
     * The master processes the kit controls; empty unless {@link #supportsFaults()}.
     *
     * @return the masters in seed order, or an empty list
     */
    List<RedisProcess> nodes();

    /**
     * Node {@code i}; calls {@link #requireFaults()} first.
     *
     * @param i the node's index, as in {@link #seedUris()}
     * @return the master serving {@code seedUris().get(i)}
     * @throws org.opentest4j.TestAbortedException if faults are not supported (see {@link #requireFaults()})
     */
    default RedisProcess node(int i) {
        requireFaults();
        return nodes().get(i);
    }
}
