package io.coord.zookeeper;

import io.coord.Coordinator;
import io.coord.CoordinatorProvider;
import io.coord.spi.CoordinatorUri;
import java.net.URI;
import java.time.Duration;
import java.util.Set;

/**
 * Opens {@code zookeeper://host[:port][,host[:port]…]/namespace[?connectTimeout=5s&operationTimeout=5s]}
 * (default port 2181, default namespace {@code coord}) as a {@link ZooKeeperCoordinator}. Registered
 * for {@link java.util.ServiceLoader} in {@code META-INF/services/io.coord.spi.CoordinatorProvider}.
 */
public final class ZooKeeperCoordinatorProvider implements CoordinatorProvider {

    public static final int DEFAULT_PORT = 2181;

    @Override
    public Set<String> schemes() {
        return Set.of("zookeeper");
    }

    @Override
    public Coordinator open(URI uri) {
        CoordinatorUri parsed = CoordinatorUri.parse(uri, DEFAULT_PORT);
        for (String key : parsed.parameters().keySet()) {
            if (!key.equals("connectTimeout") && !key.equals("operationTimeout")) {
                throw new IllegalArgumentException("unknown parameter '" + key + "' in URI '" + uri
                        + "'; allowed: connectTimeout, operationTimeout (e.g. ?connectTimeout=5s)");
            }
        }
        return ZooKeeperCoordinator.builder()
                .endpoints(parsed.endpoints())
                .namespace(parsed.namespace())
                .connectionTimeout(parsed.durationParameter("connectTimeout", Duration.ofSeconds(10)))
                .operationTimeout(parsed.durationParameter("operationTimeout", Duration.ofSeconds(10)))
                .build();
    }
}
