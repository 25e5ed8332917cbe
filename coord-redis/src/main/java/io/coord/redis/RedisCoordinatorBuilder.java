package io.coord.redis;

import io.coord.spi.CoordinatorUri;
import io.lettuce.core.RedisURI;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds a {@link RedisCoordinator}. Defaults: namespace {@value CoordinatorUri#DEFAULT_NAMESPACE},
 * operation timeout 5 s, cluster mode detected with {@code INFO cluster}.
 *
 * <p>Guarantee: {@link #build()} either returns a connected coordinator (scripts loaded, inbox
 * subscribed) or throws {@link io.coord.BackendUnavailableException} having stopped every thread it started.
 */
public final class RedisCoordinatorBuilder {

    private final List<String> endpoints = new ArrayList<>();
    private String namespace = CoordinatorUri.DEFAULT_NAMESPACE;
    private Duration timeout = Duration.ofSeconds(5);
    private Boolean cluster;
    private boolean tls;
    private String username;
    private char[] password;
    private int ackReplicas;
    private Duration ackTimeout = Duration.ZERO;

    RedisCoordinatorBuilder() {
    }

    /** Adds a server (or cluster seed) {@code host:port}. */
    public RedisCoordinatorBuilder endpoint(String host, int port) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("Redis host must not be blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad Redis port " + port + "; allowed 1..65535");
        }
        endpoints.add(host + ":" + port);
        return this;
    }

    /** The key prefix isolating this application: letters, digits, '.', '_', '-', segments separated by '/'. */
    public RedisCoordinatorBuilder namespace(String namespace) {
        new RedisKeys(namespace); // validates
        this.namespace = namespace;
        return this;
    }

    /** Upper bound of one server operation (connect, one command); between 100 ms and 10 minutes. */
    public RedisCoordinatorBuilder operationTimeout(Duration timeout) {
        this.timeout = io.coord.spi.Arguments.duration("operation timeout", timeout, Duration.ofMillis(100), Duration.ofMinutes(10));
        return this;
    }

    /** Forces Redis Cluster mode on or off instead of detecting it. */
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
     * @param timeout  1 ms .. half the operation timeout
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

    /** Connects with TLS ({@code rediss://}). */
    public RedisCoordinatorBuilder tls(boolean tls) {
        this.tls = tls;
        return this;
    }

    /** AUTH credentials (username may be null for the default user). */
    public RedisCoordinatorBuilder credentials(String username, char[] password) {
        this.username = username;
        this.password = password == null ? null : password.clone();
        return this;
    }

    /** Applies a {@code redis://[[user]:password@]host:port[,host:port]/namespace[?cluster=…&timeout=…]} URI. */
    public RedisCoordinatorBuilder uri(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            throw new IllegalArgumentException("not a Redis URI: '" + uri + "'; expected redis://host:port/namespace or rediss://…");
        }
        CoordinatorUri parsed = CoordinatorUri.parse(uri, 6379);
        for (String hp : parsed.endpoints()) {
            int colon = hp.lastIndexOf(':');
            String host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            endpoint(host, Integer.parseInt(hp.substring(colon + 1)));
        }
        namespace(parsed.namespace());
        tls(scheme.equals("rediss"));
        String info = uri.getRawUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            String user = colon < 0 ? null : java.net.URLDecoder.decode(info.substring(0, colon), java.nio.charset.StandardCharsets.UTF_8);
            String pass = java.net.URLDecoder.decode(colon < 0 ? info : info.substring(colon + 1), java.nio.charset.StandardCharsets.UTF_8);
            credentials(user == null || user.isEmpty() ? null : user, pass.toCharArray());
        }
        for (var e : parsed.parameters().entrySet()) {
            switch (e.getKey()) {
                case "cluster" -> {
                    if (!e.getValue().equals("true") && !e.getValue().equals("false")) {
                        throw new IllegalArgumentException("URI parameter cluster must be true or false, got '" + e.getValue() + "'");
                    }
                    cluster(Boolean.parseBoolean(e.getValue()));
                }
                case "timeout" -> operationTimeout(parsed.durationParameter("timeout", timeout));
                case "waitReplicas" -> {
                    try {
                        ackReplicas = Integer.parseInt(e.getValue());
                    } catch (NumberFormatException n) {
                        throw new IllegalArgumentException("URI parameter waitReplicas must be a number, got '" + e.getValue() + "'");
                    }
                }
                case "waitTimeout" -> ackTimeout = parsed.durationParameter("waitTimeout", ackTimeout);
                default -> throw new IllegalArgumentException("unknown URI parameter '" + e.getKey()
                        + "' in '" + uri + "'; known: cluster, timeout, waitReplicas, waitTimeout");
            }
        }
        return this;
    }

    public RedisCoordinator build() {
        if (endpoints.isEmpty()) {
            throw new IllegalStateException("no Redis endpoint given; call endpoint(host, port) or uri(…)");
        }
        replicaAcknowledgement(ackReplicas, ackReplicas > 0 && ackTimeout.isZero() ? Duration.ofMillis(100) : ackTimeout);
        if (ackReplicas > 0 && ackTimeout.multipliedBy(2).compareTo(timeout) > 0) {
            throw new IllegalArgumentException("WAIT timeout " + ackTimeout.toMillis() + " ms is more than half the operation timeout ("
                    + timeout.toMillis() + " ms); raise the operation timeout or lower the WAIT timeout");
        }
        List<RedisURI> uris = new ArrayList<>();
        for (String hp : endpoints) {
            int colon = hp.lastIndexOf(':');
            RedisURI.Builder b = RedisURI.builder().withHost(hp.substring(0, colon)).withPort(Integer.parseInt(hp.substring(colon + 1)))
                    .withSsl(tls).withTimeout(timeout);
            if (password != null) {
                if (username != null) {
                    b.withAuthentication(username, password);
                } else {
                    b.withPassword(password);
                }
            }
            uris.add(b.build());
        }
        return new RedisCoordinator(uris, namespace, cluster, timeout, ackReplicas, ackTimeout);
    }
}
