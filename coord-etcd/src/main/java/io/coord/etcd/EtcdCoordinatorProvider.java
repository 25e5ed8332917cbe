package io.coord.etcd;

import io.coord.Coordinator;
import io.coord.CoordinatorProvider;
import io.coord.spi.CoordinatorUri;
import java.net.URI;
import java.time.Duration;
import java.util.Set;

/**
 * Opens {@code etcd://host:port[,host:port]/namespace[?requestTimeout=5s&connectTimeout=3s&recheckInterval=10s]}
 * (default port 2379, default namespace {@code coord}). Registered through
 * {@code META-INF/services/io.coord.spi.CoordinatorProvider}.
 */
public final class EtcdCoordinatorProvider implements CoordinatorProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("etcd");
    }

    @Override
    public Coordinator open(URI uri) {
        CoordinatorUri u = CoordinatorUri.parse(uri, 2379);
        if (!"etcd".equals(u.scheme())) {
            throw new IllegalArgumentException("not an etcd URI: '" + uri + "'; expected etcd://host:port[,host:port]/namespace");
        }
        for (String key : u.parameters().keySet()) {
            if (!Set.of("requestTimeout", "connectTimeout", "recheckInterval").contains(key)) {
                throw new IllegalArgumentException("unknown etcd URI parameter '" + key + "' in '" + uri
                        + "'; allowed: requestTimeout, connectTimeout, recheckInterval");
            }
        }
        return EtcdCoordinator.builder()
                .endpoints(u.endpoints())
                .namespace(u.namespace())
                .requestTimeout(u.durationParameter("requestTimeout", Duration.ofSeconds(5)))
                .connectTimeout(u.durationParameter("connectTimeout", Duration.ofSeconds(3)))
                .recheckInterval(u.durationParameter("recheckInterval", Duration.ofSeconds(10)))
                .build();
    }
}
