package io.coord;

import io.coord.spi.CoordinatorUri;
import java.net.URI;
import java.util.Set;

/**
 * A backend, found by {@link Coordinator#open(URI)} through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.coord.CoordinatorProvider}); it lives beside the API that loads it.
 */
public interface CoordinatorProvider {

    /**
     * Lower-case URI schemes this backend opens, e.g. {@code ["etcd"]}.
     *
     * @return the schemes, in lower case: {@link Coordinator#open(URI)} compares the URI's scheme lower-cased
     */
    Set<String> schemes();

    /**
     * Opens a coordinator; {@link CoordinatorUri#parse(URI, int)} does the common parsing.
     *
     * @param uri a URI with one of {@link #schemes()}
     * @return a new coordinator, owned by the caller, who must close it
     * @throws IllegalArgumentException if the URI is malformed, names an unknown parameter or holds a bad value
     */
    Coordinator open(URI uri);
}
