package io.coord.etcd;

import io.coord.Coordinator;
import io.coord.CoordinatorProvider;
import java.net.URI;
import java.util.Set;

/**
 * Opens {@code etcd://[user:password@]host:port[,host:port]/namespace[?operationTimeout=5s&connectTimeout=3s&recheckInterval=10s]}
 * (default port 2379, default namespace {@code coord}); see {@link EtcdCoordinatorBuilder}. Registered through
 * {@code META-INF/services/io.coord.CoordinatorProvider}.
 */
public final class EtcdCoordinatorProvider implements CoordinatorProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("etcd");
    }

    @Override
    public Coordinator open(URI uri) {
        return EtcdCoordinator.builder().uri(uri).build();
    }
}
