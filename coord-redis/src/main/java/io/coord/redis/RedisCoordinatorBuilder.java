package io.coord.redis;

import io.coord.spi.CoordinatorBuilder;
import io.coord.spi.CoordinatorUri;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslVerifyMode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Configures a {@link RedisCoordinator}: the shared shape of {@link CoordinatorBuilder} (endpoints as {@code host:port}
 * — one server, or seeds of a cluster — namespace, operation and connect timeouts, a URI
 * {@code redis://[[user]:password@]host:6379[,host:port]/namespace[?cluster=…&waitReplicas=…&waitTimeout=…]}, with
 * {@code rediss://} for TLS) plus Redis's extras. Defaults: namespace {@value CoordinatorUri#DEFAULT_NAMESPACE},
 * operation timeout 5 s (one command), connect timeout 5 s, cluster mode detected with
 * {@code INFO cluster}.
 *
 * <p>TLS ({@code rediss://}, {@link #tls}, {@link #trustedCertificates}, {@link #clientCertificate}, or the URI
 * parameters {@code tls}, {@code caFile}, {@code certFile}/{@code keyFile}) applies to every connection, cluster
 * nodes included; the server's certificate must chain to the trusted CAs and name the endpoint's host or IP.
 *
 * <p>Guarantee: {@link #build()} either returns a connected coordinator (scripts loaded, inbox
 * subscribed) or throws, having stopped every thread it started: {@link io.coord.AuthenticationException} when
 * Redis refuses the credentials (or their absence) or its ACL denies the coordinator's inbox channel, or a TLS
 * handshake fails on a certificate (the server's not trusted, expired or not naming the host; the client's
 * refused, expired or missing), {@link io.coord.BackendUnavailableException} otherwise (saying so when plain text
 * met a TLS port, or TLS a plain-text one). Credentials are never shown: not in messages, logs
 * or {@code toString()}. Credentials sent to a server that does not require them are accepted by Redis
 * and logged once as a WARN (see the README, "Authentication and the least ACL").
 */
public final class RedisCoordinatorBuilder extends CoordinatorBuilder<RedisCoordinatorBuilder, RedisCoordinator> {

    private Boolean cluster;
    private String username;
    private char[] password;
    private int ackReplicas;
    private Duration ackTimeout = Duration.ZERO;

    RedisCoordinatorBuilder() {
        super("redis", Set.of("redis", "rediss"), 6379, Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    /**
     * Forces Redis Cluster mode on or off instead of detecting it when connecting (by default the first
     * server is asked with {@code INFO cluster}).
     *
     * @param cluster true to talk to the endpoints as Redis Cluster seeds, false as a single server
     * @return this builder
     */
    public RedisCoordinatorBuilder cluster(boolean cluster) {
        this.cluster = cluster;
        return this;
    }

    /**
     * The optional durability knob: after every grant (lock, fair lock, leadership) send
     * {@code WAIT replicas timeout} and report how many replicas acknowledged
     * ({@link RedisCoordinator#onReplicaAcknowledgement}); declares
     * {@link io.coord.Capability#REPLICA_ACKNOWLEDGEMENT}. This narrows the window in which a
     * failover loses a grant; it does not make Redis strongly consistent. Costs two round trips and
     * up to {@code timeout} per grant.
     *
     * @param replicas 1..100, or 0 to turn the knob off
     * @param timeout  1 ms .. half the operation timeout (checked against the operation timeout by {@link #build()})
     * @return this builder
     * @throws IllegalArgumentException if {@code replicas} is out of 0..100, or {@code replicas > 0} and
     *                                  {@code timeout} is null or under 1 ms
     */
    public RedisCoordinatorBuilder replicaAcknowledgement(int replicas, Duration timeout) {
        if (replicas < 0 || replicas > 100) {
            throw new IllegalArgumentException("replicas to wait for: " + replicas + " out of range: allowed 0 (off) to 100");
        }
        if (replicas > 0 && (timeout == null || timeout.toMillis() < 1)) {
            throw new IllegalArgumentException("WAIT timeout " + timeout + " out of range: allowed 1 ms to half the operation timeout");
        }
        this.ackReplicas = replicas;
        this.ackTimeout = replicas == 0 ? Duration.ZERO : timeout;
        return this;
    }

    /**
     * AUTH credentials, sent on every connection. The password array is copied; it never appears in a message,
     * a log line or a {@code toString}. Wrong credentials make {@link #build()} fail with
     * {@link io.coord.AuthenticationException}.
     *
     * @param username the ACL user, or null for the {@code default} user ({@code AUTH password})
     * @param password the password, or null for no AUTH at all (the username is then ignored)
     * @return this builder
     */
    public RedisCoordinatorBuilder credentials(String username, char[] password) {
        this.username = username;
        this.password = password == null ? null : password.clone();
        return this;
    }

    /** {@code rediss} means TLS; the user info, {@code [user]:password}, is the AUTH credentials. */
    @Override
    protected void fromUri(CoordinatorUri uri) {
        tls(uri.scheme().equals("rediss"));
        uri.credentials().ifPresent(c -> credentials(c[0], c[1].toCharArray()));
    }

    @Override
    protected boolean parameter(String key, CoordinatorUri uri) {
        String value = uri.parameters().get(key);
        switch (key) {
            case "cluster" -> {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException("URI parameter cluster must be true or false, got '" + value + "'");
                }
                cluster(Boolean.parseBoolean(value));
            }
            case "waitReplicas" -> {
                try {
                    ackReplicas = Integer.parseInt(value);
                } catch (NumberFormatException n) {
                    throw new IllegalArgumentException("URI parameter waitReplicas must be a number, got '" + value + "'");
                }
            }
            case "waitTimeout" -> ackTimeout = uri.durationParameter(key, ackTimeout);
            default -> {
                return false;
            }
        }
        return true;
    }

    @Override
    protected Set<String> parameterNames() {
        return Set.of("cluster", "waitReplicas", "waitTimeout");
    }

    @Override
    public RedisCoordinator build() {
        List<String> endpoints = configuredEndpoints();
        Duration timeout = configuredOperationTimeout();
        replicaAcknowledgement(ackReplicas, ackReplicas > 0 && ackTimeout.isZero() ? Duration.ofMillis(100) : ackTimeout);
        if (ackReplicas > 0 && ackTimeout.multipliedBy(2).compareTo(timeout) > 0) {
            throw new IllegalArgumentException("WAIT timeout " + ackTimeout.toMillis() + " ms is more than half the operation timeout ("
                    + timeout.toMillis() + " ms); raise the operation timeout or lower the WAIT timeout");
        }
        List<RedisURI> uris = new ArrayList<>();
        for (String hp : endpoints) {
            int colon = hp.lastIndexOf(':');
            String host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1); // IPv6 literal
            }
            RedisURI.Builder b = RedisURI.builder().withHost(host).withPort(Integer.parseInt(hp.substring(colon + 1)))
                    .withSsl(configuredTls().isPresent()).withVerifyPeer(SslVerifyMode.FULL).withTimeout(timeout);
            if (password != null) {
                if (username != null) {
                    b.withAuthentication(username, password);
                } else {
                    b.withPassword(password);
                }
            }
            uris.add(b.build());
        }
        return new RedisCoordinator(uris, configuredTls(), configuredNamespace(), cluster, timeout, configuredConnectTimeout(), ackReplicas,
                ackTimeout);
    }
}
