package io.coord.zookeeper;

import io.coord.Coordinator;
import io.coord.CoordinatorProvider;
import java.net.URI;
import java.util.Set;

/**
 * Opens {@code zookeeper://[user:password@]host[:port][,host[:port]…]/namespace[?connectTimeout=5s&operationTimeout=5s&tls=true&caFile=…&certFile=…&keyFile=…]}
 * (default port 2181, default namespace {@code coord}; user info = digest credentials) as a
 * {@link ZooKeeperCoordinator}; see {@link ZooKeeperCoordinatorBuilder}. Registered in {@code META-INF/services/io.coord.CoordinatorProvider}.
 */
public final class ZooKeeperCoordinatorProvider implements CoordinatorProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("zookeeper");
    }

    @Override
    public Coordinator open(URI uri) {
        return ZooKeeperCoordinator.builder().uri(uri).build();
    }
}
