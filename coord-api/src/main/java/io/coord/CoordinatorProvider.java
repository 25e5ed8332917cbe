package io.coord;

import io.coord.spi.CoordinatorUri;
import java.net.URI;
import java.util.Set;

/**
 * A backend, found by {@link Coordinator#open(URI)} through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.coord.CoordinatorProvider}); it lives beside the API that loads it.
 */
public interface CoordinatorProvider {

    /** Lower-case URI schemes this backend opens, e.g. {@code ["etcd"]}. */
    Set<String> schemes();

    /** Opens a coordinator; {@link CoordinatorUri#parse(URI, int)} does the common parsing. */
    Coordinator open(URI uri);
}
