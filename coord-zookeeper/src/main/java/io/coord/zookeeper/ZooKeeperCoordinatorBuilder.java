package io.coord.zookeeper;

import io.coord.BackendUnavailableException;
import io.coord.spi.CoordinatorBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Configures a {@link ZooKeeperCoordinator}: the shared shape of {@link CoordinatorBuilder} (endpoints of the
 * ensemble as {@code host:port}, namespace, operation and connect timeouts, a URI
 * {@code zookeeper://host:2181[,host:port]/namespace[?operationTimeout=10s&connectTimeout=10s]}), plus
 * {@link #connectString} for ZooKeeper's own notation. Defaults: namespace {@code coord}, operation timeout
 * 10 s, connect timeout 10 s (bounding the coordinator's connection and each coord session's).
 */
public final class ZooKeeperCoordinatorBuilder extends CoordinatorBuilder<ZooKeeperCoordinatorBuilder, ZooKeeperCoordinator> {

    ZooKeeperCoordinatorBuilder() {
        super("zookeeper", Set.of("zookeeper"), 2181, Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    /** The ensemble as ZooKeeper writes it, {@code host:port[,host:port…]}; the same as {@link #endpoints(String...)}. */
    public ZooKeeperCoordinatorBuilder connectString(String connectString) {
        if (connectString == null || connectString.isBlank()) {
            throw new IllegalArgumentException("bad ZooKeeper connect string '" + connectString + "'; expected host:port[,host:port]");
        }
        return endpoints(connectString.split(","));
    }

    /**
     * Connects (blocking up to the connect timeout) and creates the namespace's containers.
     *
     * @throws BackendUnavailableException if ZooKeeper cannot be reached in time
     */
    @Override
    public ZooKeeperCoordinator build() {
        configuredEndpoints();
        return new ZooKeeperCoordinator(this);
    }

    /** A chroot is not an endpoint: the namespace is coord's chroot. */
    @Override
    protected String checkEndpoint(String endpoint) {
        if (endpoint.contains("/")) {
            throw new IllegalArgumentException("bad ZooKeeper endpoint '" + endpoint
                    + "'; expected host:port (put the namespace in namespace(), not in a chroot)");
        }
        return super.checkEndpoint(endpoint);
    }

    @Override
    protected String checkNamespace(String namespace) {
        return ZkPaths.checkNamespace(namespace);
    }

    // ---- read by ZooKeeperCoordinator -----------------------------------------------------------

    List<String> endpoints() {
        return configuredEndpoints();
    }

    String namespace() {
        return configuredNamespace();
    }

    Duration operationTimeout() {
        return configuredOperationTimeout();
    }

    Duration connectTimeout() {
        return configuredConnectTimeout();
    }
}
