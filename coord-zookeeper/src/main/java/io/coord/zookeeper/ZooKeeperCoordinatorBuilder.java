package io.coord.zookeeper;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.spi.Arguments;
import io.coord.spi.CoordinatorBuilder;
import io.coord.spi.CoordinatorUri;
import io.coord.spi.TlsSettings;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Configures a {@link ZooKeeperCoordinator}: the shared shape of {@link CoordinatorBuilder} (endpoints of the
 * ensemble as {@code host:port}, namespace, operation and connect timeouts, a URI
 * {@code zookeeper://[user:password@]host:2181[,host:port]/namespace[?operationTimeout=10s&connectTimeout=10s&tls=true&caFile=…&certFile=…&keyFile=…]}),
 * plus {@link #connectString} for ZooKeeper's own notation and {@link #credentials} (digest authentication and
 * per-identity ACLs). Defaults: namespace {@code coord}, operation timeout 10 s, connect timeout 10 s (bounding
 * the coordinator's connection and each coord session's), plain text, no credentials (open ACLs). TLS and
 * credentials: the README's "Security" section.
 */
public final class ZooKeeperCoordinatorBuilder extends CoordinatorBuilder<ZooKeeperCoordinatorBuilder, ZooKeeperCoordinator> {

    private String user;
    private char[] password;

    ZooKeeperCoordinatorBuilder() {
        super("zookeeper", Set.of("zookeeper"), 2181, Duration.ofSeconds(10), Duration.ofSeconds(10));
    }

    /**
     * ZooKeeper {@code digest} credentials. Every handle authenticates as {@code user}, and every node coord creates
     * in the namespace gets an ACL granting this identity alone all permissions (the namespace's ancestors: anyone
     * may read them and create beside it). The password array is copied; it never appears in a message, a log
     * line or a {@code toString}. A wrong password, or another namespace's identity, makes {@link #build()} or the
     * first operation fail with {@link AuthenticationException}.
     *
     * @param user     the digest user name: not empty, no ':' (ZooKeeper splits {@code user:password} at the first ':')
     * @param password not empty
     * @return this builder
     * @throws IllegalArgumentException if {@code user} is null, empty or contains ':', or {@code password} is empty
     * @throws NullPointerException     if {@code password} is null
     */
    public ZooKeeperCoordinatorBuilder credentials(String user, char[] password) {
        if (user == null || user.isEmpty() || user.contains(":")) {
            throw new IllegalArgumentException("ZooKeeper digest credentials need a user name without ':', got "
                    + (user == null ? "null" : "'" + user + "'"));
        }
        Arguments.notNull("ZooKeeper password", password);
        if (password.length == 0) {
            throw new IllegalArgumentException("ZooKeeper digest credentials of user '" + user + "' need a non-empty password");
        }
        this.user = user;
        this.password = password.clone();
        return this;
    }

    /** The user info, {@code user:password} (percent-encoded), is the digest credentials; a password alone is refused. */
    @Override
    protected void fromUri(CoordinatorUri uri) {
        var credentials = uri.credentials();
        if (credentials.isPresent() && credentials.get()[0] == null) {
            throw new IllegalArgumentException("ZooKeeper URI credentials need a user name: zookeeper://user:password@host:2181/namespace"
                    + " (the digest scheme has no password-only form)");
        }
        credentials.ifPresent(c -> credentials(c[0], c[1].toCharArray()));
    }

    /**
     * The ensemble as ZooKeeper writes it, {@code host:port[,host:port…]}; the same as {@link #endpoints(String...)}
     * with the comma-separated parts (replacing any endpoints set before).
     *
     * @param connectString {@code host:port} pairs separated by commas, not blank (no chroot suffix: the
     *                      namespace is set with {@link #namespace})
     * @return this builder
     * @throws IllegalArgumentException if {@code connectString} is null, blank or one of its parts is malformed
     */
    public ZooKeeperCoordinatorBuilder connectString(String connectString) {
        if (connectString == null || connectString.isBlank()) {
            throw new IllegalArgumentException("bad ZooKeeper connect string '" + connectString + "'; expected host:port[,host:port]");
        }
        return endpoints(connectString.split(","));
    }

    /**
     * Connects (blocking up to the connect timeout) and creates the namespace's containers.
     *
     * @throws AuthenticationException    if ZooKeeper refuses the credentials (or their absence) or a certificate
     * @throws BackendUnavailableException if ZooKeeper cannot be reached in time (the message mentions TLS when
     *                                     the endpoint and the TLS setting disagree)
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

    TlsSettings tlsSettings() {
        return configuredTls().orElse(null);
    }

    String user() {
        return user;
    }

    char[] password() {
        return password;
    }

    /** Endpoints, namespace, TLS paths and the user; never the password. */
    @Override
    public String toString() {
        return super.toString() + (user == null ? "" : " user=" + user + " password=***");
    }
}
