package io.coord.redis;

import io.coord.Coordinator;
import io.coord.CoordinatorProvider;

import java.net.URI;
import java.util.Set;

/** Opens {@code redis://…} and {@code rediss://…} URIs; see {@link RedisCoordinatorBuilder}. */
public final class RedisCoordinatorProvider implements CoordinatorProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss");
    }

    @Override
    public Coordinator open(URI uri) {
        return RedisCoordinator.builder().uri(uri).build();
    }
}
