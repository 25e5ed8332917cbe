package io.coord.etcd;

import io.coord.spi.Arguments;
import io.coord.spi.CoordinatorBuilder;
import io.coord.spi.CoordinatorUri;
import io.coord.spi.TlsSettings;
import io.etcd.jetcd.ClientBuilder;
import io.netty.handler.ssl.SslContext;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Configures an {@link EtcdCoordinator}: the shared shape of {@link CoordinatorBuilder} (endpoints as
 * {@code host:port} or {@code http(s)://host:port}, namespace, operation and connect timeouts, a URI
 * {@code etcd://[user:password@]host:2379[,host:port]/namespace[?operationTimeout=5s&connectTimeout=3s&recheckInterval=10s]}) plus
 * etcd's extras.
 *
 * <p>Defaults: namespace {@code coord}; operation timeout 5 s (the gRPC deadline of one request); connect timeout
 * 3 s; HTTP/2 keep-alive ping every 6 s (etcd refuses pings more often than every 5 s) with a 2 s timeout, so a
 * frozen member's connection is dropped within about 8 s; waiter re-check safety net every 10 s.
 * {@link #build()} connects lazily: the first request makes the connection.
 *
 * <p>TLS: {@link #tls(boolean)}, {@link #trustedCertificates}, {@link #clientCertificate} (URI {@code tls=true},
 * {@code caFile}, {@code certFile} + {@code keyFile}), or an {@code https://} endpoint (which alone means TLS with the
 * JVM's default trust store). The server's certificate must name the endpoint's host or IP address. With a client
 * certificate and no {@link #credentials}, an etcd started with {@code --client-cert-auth} and auth enabled logs the
 * client in as the user named by the certificate's common name. An {@code http://} endpoint with TLS on is refused
 * (also beside an {@code https://} endpoint: one coordinator speaks TLS to all its endpoints or to none). The TLS
 * files are read once, by {@link #build()}.
 */
public final class EtcdCoordinatorBuilder extends CoordinatorBuilder<EtcdCoordinatorBuilder, EtcdCoordinator> {

    private Duration keepaliveTime = Duration.ofSeconds(6);
    private Duration keepaliveTimeout = Duration.ofSeconds(2);
    private Duration recheckInterval = Duration.ofSeconds(10);
    private Consumer<ClientBuilder> customizer = cb -> { };
    private String user;
    private char[] password;

    EtcdCoordinatorBuilder() {
        super("etcd", Set.of("etcd"), 2379, Duration.ofSeconds(5), Duration.ofSeconds(3));
    }

    /**
     * The HTTP/2 keep-alive of the client's connections: a connection whose ping is not answered within
     * {@code timeout} is dropped (and the next request reconnects, possibly to another member). Defaults 6 s
     * and 2 s.
     *
     * @param time    the ping interval, 5 s (etcd's default minimum; more often is refused by etcd) to 1 h
     * @param timeout how long a ping may go unanswered, 100 ms to 10 min
     * @return this builder
     * @throws IllegalArgumentException if either is null or out of its range
     */
    public EtcdCoordinatorBuilder keepalive(Duration time, Duration timeout) {
        this.keepaliveTime = Arguments.duration("keep-alive time", time, Duration.ofSeconds(5), Duration.ofHours(1));
        this.keepaliveTimeout = Arguments.duration("keep-alive timeout", timeout, Duration.ofMillis(100), Duration.ofMinutes(10));
        return this;
    }

    /**
     * How long a waiter trusts its watch before re-reading its queue anyway: a safety net bounding how late a
     * wake-up can be if a watch event were lost. Default 10 s.
     *
     * @param interval 100 ms to 1 h
     * @return this builder
     * @throws IllegalArgumentException if {@code interval} is null or out of range
     */
    public EtcdCoordinatorBuilder recheckInterval(Duration interval) {
        this.recheckInterval = Arguments.duration("re-check interval", interval, Duration.ofMillis(100), Duration.ofHours(1));
        return this;
    }

    /**
     * etcd user name and password (etcd's simple auth; jetcd authenticates, and re-authenticates when its token
     * expires). The password array is copied; it never appears in a message, a log line or a {@code toString}.
     * Against an etcd with auth enabled, wrong or missing credentials make the first session fail with
     * {@link io.coord.AuthenticationException}. The least RBAC coord needs: coord-etcd's README.
     *
     * @param user     the etcd user name, not empty
     * @param password the user's password (copied)
     * @return this builder
     * @throws IllegalArgumentException if {@code user} is null or empty
     * @throws NullPointerException     if {@code password} is null
     */
    public EtcdCoordinatorBuilder credentials(String user, char[] password) {
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("etcd credentials need a user name (etcd has no password-only authentication)");
        }
        this.user = user;
        this.password = Arguments.notNull("etcd password", password).clone();
        return this;
    }

    /** The user info, {@code user:password}, is the etcd credentials; a password alone is refused. */
    @Override
    protected void fromUri(CoordinatorUri uri) {
        var credentials = uri.credentials();
        if (credentials.isPresent() && credentials.get()[0] == null) {
            throw new IllegalArgumentException("etcd URI credentials need a user name: etcd://user:password@host:port/namespace"
                    + " (etcd has no password-only authentication)");
        }
        credentials.ifPresent(c -> credentials(c[0], c[1].toCharArray()));
    }

    @Override
    public String toString() {
        return "EtcdCoordinatorBuilder[namespace=" + namespace()
                + (user == null ? "" : ", user=" + user + ", password=***") + "]";
    }

    /**
     * Last word on the jetcd {@link ClientBuilder}: called by {@link #build()} after coord has set endpoints, TLS
     * ({@code sslContext}), authentication ({@code user}/{@code password}), keep-alive and deadlines, so whatever
     * it sets wins; replaces any customizer given before. Changing what coord relies on (the deadline interceptor,
     * the executor) voids coord's guarantees.
     *
     * @param customizer called on the building thread for the coordinator's jetcd client, and again for its
     *                   replacement if etcd turns out to have auth disabled while credentials were given
     * @return this builder
     * @throws NullPointerException if {@code customizer} is null
     */
    public EtcdCoordinatorBuilder configureClient(Consumer<ClientBuilder> customizer) {
        this.customizer = Arguments.notNull("jetcd client customizer", customizer);
        return this;
    }

    /**
     * Creates the coordinator; connections are made lazily by the first request.
     *
     * The TLS files are read here, once: a rotated certificate or key takes effect in a coordinator built after it.
     *
     * @throws IllegalArgumentException when TLS is on (a TLS option, or any {@code https://} endpoint) and an endpoint
     *                                  names {@code http://}; or when netty cannot use the TLS files (naming them)
     */
    @Override
    public EtcdCoordinator build() {
        Optional<TlsSettings> tls = tls();
        if (tls.isPresent()) {
            for (String e : configuredEndpoints()) {
                if (e.startsWith("http://")) {
                    throw new IllegalArgumentException("etcd endpoint " + e + " is plain text (http://) but TLS is on"
                            + (configuredTls().isPresent() ? "" : " (an endpoint is https://)")
                            + "; use https://host:port or host:port for every endpoint, or turn TLS off");
                }
            }
        }
        // before the coordinator exists: a file netty refuses then leaves no thread behind
        SslContext ssl = tls.isPresent() ? EtcdCoordinator.sslContext(tls.get()) : null;
        return new EtcdCoordinator(this, ssl);
    }

    @Override
    protected boolean parameter(String key, CoordinatorUri uri) {
        if (key.equals("recheckInterval")) {
            recheckInterval(uri.durationParameter(key, recheckInterval));
            return true;
        }
        return false;
    }

    @Override
    protected Set<String> parameterNames() {
        return Set.of("recheckInterval");
    }

    /** {@code host[:port]}, or {@code http://} / {@code https://} before it (jetcd's form; https asks for TLS). */
    @Override
    protected String checkEndpoint(String endpoint) {
        for (String scheme : List.of("http://", "https://")) {
            if (endpoint.startsWith(scheme)) {
                return scheme + super.checkEndpoint(endpoint.substring(scheme.length()));
            }
        }
        return super.checkEndpoint(endpoint);
    }

    // ---- read by EtcdCoordinator ----------------------------------------------------------------

    List<String> endpoints() {
        return configuredEndpoints();
    }

    String namespace() {
        return configuredNamespace();
    }

    /** The TLS settings: those configured, else the JVM's default trust when an endpoint is {@code https://}, else none. */
    Optional<TlsSettings> tls() {
        Optional<TlsSettings> configured = configuredTls();
        if (configured.isPresent()) {
            return configured;
        }
        return configuredEndpoints().stream().anyMatch(e -> e.startsWith("https://")) ? Optional.of(TlsSettings.DEFAULT_TRUST) : Optional.empty();
    }

    Duration operationTimeout() {
        return configuredOperationTimeout();
    }

    Duration connectTimeout() {
        return configuredConnectTimeout();
    }

    Duration keepaliveTime() {
        return keepaliveTime;
    }

    Duration keepaliveTimeout() {
        return keepaliveTimeout;
    }

    Duration recheckInterval() {
        return recheckInterval;
    }

    String user() {
        return user;
    }

    char[] password() {
        return password;
    }

    Consumer<ClientBuilder> customizer() {
        return customizer;
    }
}
