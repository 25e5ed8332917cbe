package io.coord.redis;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.spi.StatsRecorder;
import io.coord.spi.TlsSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The lettuce side of a {@link RedisCoordinator}: one multiplexed command connection (standalone
 * or Redis Cluster, detected with {@code INFO cluster} unless forced), one pub/sub connection,
 * and the scripts. Every request goes through here and is counted once in the coordinator's
 * {@link StatsRecorder} under the primitive it serves.
 *
 * <p>Threads: lettuce completes futures and delivers pub/sub messages on its netty event loop.
 * Nothing in coord blocks there: message handlers only look up a map and complete a future or
 * hand work to the coordinator's executors, and every request method here only sends and returns
 * a future (failures translated once, by {@code translate}, into {@link BackendUnavailableException}). The client resources (event loops,
 * timer) are created here and shut down by {@link #close()}, so no lettuce thread outlives it.
 *
 * <p>Connection loss: lettuce reconnects by itself and may replay commands that were in flight
 * (at-least-once). Every script is idempotent per queue member, and a removal is always sent
 * after the enqueue it undoes on the same connection, so a replay can neither duplicate an entry
 * nor resurrect a removed one. The pub/sub connection re-subscribes after a reconnect; the
 * {@code resubscribed} hook then makes every waiter re-check, because messages published while
 * it was down are lost (pub/sub is at-most-once).
 */
final class RedisLink implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisLink.class);

    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterAsyncCommands<String, String> commands;
    private final StatefulRedisPubSubConnection<String, String> pubsub;
    private final boolean cluster;
    private final Duration timeout;
    private final StatsRecorder stats;
    /** A second connection for WAIT only (WAIT blocks its connection), or null when the knob is off. */
    private final StatefulConnection<String, String> ackConnection;

    private RedisLink(ClientResources resources, AbstractRedisClient client, StatefulConnection<String, String> connection,
                      RedisClusterAsyncCommands<String, String> commands, StatefulRedisPubSubConnection<String, String> pubsub,
                      boolean cluster, Duration timeout, StatsRecorder stats, StatefulConnection<String, String> ackConnection) {
        this.resources = resources;
        this.client = client;
        this.connection = connection;
        this.commands = commands;
        this.pubsub = pubsub;
        this.cluster = cluster;
        this.timeout = timeout;
        this.stats = stats;
        this.ackConnection = ackConnection;
    }

    /**
     * Connects (blocking). {@code forceCluster} null means: ask the first server with {@code INFO cluster}.
     *
     * @param onMessage   called on lettuce's thread with (channel, message): must not block
     * @param onSubscribe called on lettuce's thread with the channel after every (re)subscription: must not block
     */
    static RedisLink connect(List<RedisURI> uris, Optional<TlsSettings> tls, Boolean forceCluster, Duration timeout, Duration connectTimeout,
                             StatsRecorder stats, BiConsumer<String, String> onMessage, Consumer<String> onSubscribe, boolean replicaAcks) {
        tls.ifPresent(RedisLink::checkClientCertificateDates);
        // Reconnect fast and keep trying often: leases last seconds, so lettuce's default backoff
        // (exponential up to 30 s) would leave a client cut off long after its server is back.
        ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofMillis(500), 2, TimeUnit.MILLISECONDS))
                .build();
        AbstractRedisClient client = null;
        try {
            TimeoutOptions timeouts = TimeoutOptions.enabled(timeout);
            SocketOptions socket = SocketOptions.builder().connectTimeout(connectTimeout).build();
            SslOptions ssl = tls.map(t -> sslOptions(t, connectTimeout)).orElse(null);
            boolean cluster;
            StatefulConnection<String, String> connection;
            RedisClusterAsyncCommands<String, String> commands;
            StatefulRedisPubSubConnection<String, String> pubsub;
            StatefulConnection<String, String> acks = null;
            RedisClient single = RedisClient.create(resources, uris.get(0));
            ClientOptions.Builder options = ClientOptions.builder().timeoutOptions(timeouts).socketOptions(socket);
            if (ssl != null) {
                options.sslOptions(ssl);
            }
            single.setOptions(options.build());
            client = single;
            StatefulRedisConnection<String, String> first = single.connect(StringCodec.UTF8);
            warnIfCredentialsUnneeded(single, uris.get(0), timeout);
            if (forceCluster != null) {
                cluster = forceCluster;
            } else {
                String info = first.async().info("cluster").get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                cluster = info != null && info.contains("cluster_enabled:1");
            }
            if (!cluster) {
                connection = first;
                commands = first.async();
                pubsub = single.connectPubSub(StringCodec.UTF8);
                if (replicaAcks) {
                    acks = single.connect(StringCodec.UTF8);
                }
            } else {
                first.close();
                single.shutdown(Duration.ZERO, timeout);
                client = null;
                RedisClusterClient clusterClient = RedisClusterClient.create(resources, uris);
                client = clusterClient;
                ClusterClientOptions.Builder clusterOptions = ClusterClientOptions.builder()
                        .timeoutOptions(timeouts)
                        .socketOptions(socket)
                        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers().build());
                if (ssl != null) {
                    clusterOptions.sslOptions(ssl); // lettuce gives every node the seeds' TLS and peer verification
                }
                clusterClient.setOptions(clusterOptions.build());
                StatefulRedisClusterConnection<String, String> c = clusterClient.connect(StringCodec.UTF8);
                connection = c;
                commands = c.async();
                pubsub = clusterClient.connectPubSub(StringCodec.UTF8);
                if (replicaAcks) {
                    acks = clusterClient.connect(StringCodec.UTF8);
                }
            }
            pubsub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    onMessage.accept(channel, message);
                }

                @Override
                public void subscribed(String channel, long count) {
                    onSubscribe.accept(channel);
                }
            });
            RedisLink link = new RedisLink(resources, client, connection, commands, pubsub, cluster, timeout, stats, acks);
            for (RedisScript s : RedisScript.values()) {
                // lettuce sends SCRIPT LOAD to every node of a cluster
                String sha = commands.scriptLoad(s.body()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (!s.sha().equals(sha)) {
                    throw new IllegalStateException("server computed SHA " + sha + " for " + s + ", expected " + s.sha());
                }
            }
            return link;
        } catch (Exception e) {
            shutdownQuietly(client, resources, timeout);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new CompletionException(e);
        }
    }

    /**
     * Redis accepts any password for a user configured {@code nopass}, so credentials sent to a
     * server whose default user needs none are silently accepted. One probe without credentials
     * (only when credentials are configured) tells: if it may PING, the credentials protect
     * nothing and one WARN says so. A named {@code nopass} user behind a default user that does
     * need a password is not detected (telling would take a failed AUTH, logged by the server).
     */
    private static void warnIfCredentialsUnneeded(RedisClient client, RedisURI configured, Duration timeout) {
        if (configured.getPassword() == null) {
            return;
        }
        RedisURI anonymous = RedisURI.builder().withHost(configured.getHost()).withPort(configured.getPort())
                .withSsl(configured.isSsl()).withVerifyPeer(configured.getVerifyMode()).withTimeout(timeout).build();
        try (StatefulRedisConnection<String, String> probe = client.connect(StringCodec.UTF8, anonymous)) {
            probe.async().ping().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            log.warn("credentials were sent to Redis at {}:{}, which does not require them (a client without credentials may connect);"
                    + " Redis accepted them without checking", configured.getHost(), configured.getPort());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception expected) {
            log.debug("Redis at {}:{} refuses clients without credentials, as configured", configured.getHost(), configured.getPort());
        }
    }

    /**
     * The server's error if {@code error} (or a cause) is Redis refusing who the client is
     * ({@code WRONGPASS}, {@code NOAUTH}, {@code NOPERM}), else null. Redis's error texts carry no secret.
     */
    static String authenticationRefusal(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (t instanceof RedisCommandExecutionException && m != null
                    && (m.startsWith("WRONGPASS") || m.startsWith("NOAUTH") || m.startsWith("NOPERM"))) {
                return m;
            }
        }
        return null;
    }

    /**
     * lettuce's TLS options for {@code tls}: the JDK's TLS, the server verified against the PEM CA file (or the JVM's
     * trust store when none is given), the PEM client certificate and unencrypted PKCS#8 key presented when given.
     * Host names are verified by the URIs ({@link io.lettuce.core.SslVerifyMode#FULL}). Only file paths are handed
     * over, never key material.
     */
    static SslOptions sslOptions(TlsSettings tls, Duration handshakeTimeout) {
        SslOptions.Builder b = SslOptions.builder().jdkSslProvider().handshakeTimeout(handshakeTimeout);
        tls.trusted().ifPresent(ca -> b.trustManager(ca.toFile()));
        if (tls.hasClientCertificate()) {
            b.keyManager(tls.clientCertificate().toFile(), tls.clientKey().toFile(), null);
        }
        return b.build();
    }

    /** The client certificate is outside its validity period: found before connecting, so the server never has to refuse it. */
    static final class ClientCertificateExpired extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClientCertificateExpired(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Fails with {@link ClientCertificateExpired} when the first certificate of the client's chain is expired or not
     * yet valid: the server would refuse it, but after a TLS 1.3 handshake its alert can race with the connection's
     * close, so the reason is checked here, deterministically. Reads only the certificate file (public data).
     */
    private static void checkClientCertificateDates(TlsSettings tls) {
        if (!tls.hasClientCertificate()) {
            return;
        }
        X509Certificate first;
        try (InputStream in = Files.newInputStream(tls.clientCertificate())) {
            first = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | CertificateException | ClassCastException e) {
            return; // checked when it was set; lettuce reports anything else
        }
        try {
            first.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new ClientCertificateExpired("client certificate expired: " + tls.clientCertificate() + " was valid until "
                    + first.getNotAfter().toInstant() + "; the server would refuse it");
        } catch (CertificateNotYetValidException e) {
            throw new ClientCertificateExpired("client certificate not yet valid: " + tls.clientCertificate() + " is valid from "
                    + first.getNotBefore().toInstant() + "; the server would refuse it");
        }
    }

    /**
     * What a failed TLS handshake in {@code error} (or a cause) says was refused, about a certificate, or null: the
     * server's certificate not trusted, expired, or not naming {@code host} (checked here), or the client's refused
     * by the server (its alert: expired, unknown CA, missing, bad). The JDK's texts name no secret.
     */
    static String certificateRefusal(Throwable error, String host) {
        // the most specific cause first: an expired or misnamed certificate is also reported as "PKIX path … failed"
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof ClientCertificateExpired) {
                return m;
            }
            if (t instanceof CertificateExpiredException) {
                return "server certificate expired (" + m + ")";
            }
            if (t instanceof CertificateException && (m.contains("No subject alternative") || m.contains("No name matching"))) {
                return "server certificate does not name host " + host + " (host-name verification) (" + m + ")";
            }
        }
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof CertPathBuilderException || t instanceof CertPathValidatorException
                    || m.contains("PKIX path") || m.contains("unable to find valid certification path")) {
                return "server certificate not trusted: not signed by a trusted CA (set caFile / trustedCertificates to its CA) (" + m + ")";
            }
            if (m.contains("certificate_expired")) {
                return "client certificate expired: the server refused it (" + m + ")";
            }
            if (m.contains("certificate_required")) {
                return "client certificate required by the server and none presented (set certFile/keyFile) (" + m + ")";
            }
            if (m.contains("unknown_ca") || m.contains("bad_certificate") || m.contains("certificate_unknown")
                    || m.contains("unsupported_certificate") || m.contains("certificate_revoked")) {
                return "client certificate refused by the server (" + m + ")";
            }
        }
        return null;
    }

    /**
     * With TLS on, at open: the server closed or reset the connection after the TLS handshake had completed (no
     * "handshake was in progress" in the chain), or answered the handshake with {@code handshake_failure}; the
     * message to give, or null. A server that requires a client certificate refuses a missing or unknown one with an
     * alert (TLS 1.3: {@code certificate_required}, {@code unknown_ca}; TLS 1.2: {@code handshake_failure}), but in
     * TLS 1.3 it checks the certificate after the client's Finished, which lettuce follows at once with its
     * {@code HELLO}: the server then closes with that unread, so the client may see a reset instead of the alert.
     * Either way this is a configuration error, not an outage (a server restarting at that very moment reads the same).
     */
    static String tlsClosedAfterHandshake(Throwable error) {
        boolean closed = false;
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("handshake_failure")) {
                return "the server refused the TLS handshake: client certificate missing or refused (check certFile/keyFile and its CA),"
                        + " or no TLS version or cipher in common (" + m + ")";
            }
            if (t instanceof javax.net.ssl.SSLHandshakeException || m.contains("handshake was in progress")
                    || t instanceof SslHandshakeTimeoutException || t instanceof java.net.ConnectException
                    || t instanceof NotSslRecordException || m.contains("not an SSL/TLS record")
                    || m.contains("Unsupported or unrecognized SSL message")) {
                return null; // the handshake itself failed, never started, or met no TLS at all (protocolMismatch tells)
            }
            if (t instanceof ClosedChannelException || m.contains("Connection closed") || m.contains("Connection reset")
                    || m.contains("closed prematurely")) {
                closed = true;
            }
        }
        return closed ? "the server closed the TLS connection after the handshake: client certificate missing or refused"
                + " (check certFile/keyFile and its CA) (" + error + ")" : null;
    }

    /**
     * Whether {@code error} looks like a protocol mismatch: plain text to a TLS port (the server drops the connection
     * without a reply) or TLS to a plain-text port (no TLS record, or no reply at all, comes back); the advice to give,
     * or null. Worded as possibilities where the evidence is not definite (a silent or restarting server reads the same).
     */
    static String protocolMismatch(Throwable error, boolean tls, Duration handshakeTimeout) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (tls && (t instanceof NotSslRecordException || m.contains("Unsupported or unrecognized SSL message")
                    || m.contains("not an SSL/TLS record"))) {
                return "the server does not answer in TLS (a plain-text port? use redis:// or tls=false): " + m;
            }
            if (tls && t instanceof SslHandshakeTimeoutException) {
                // a plain-text Redis reads the ClientHello as an unfinished inline command and never answers
                return "the server does not answer in TLS: no reply to the TLS handshake (a plain-text port, then use redis:// or"
                        + " tls=false; or the server did not answer within " + handshakeTimeout.toMillis() + " ms): " + m;
            }
            if (!tls && (t instanceof ClosedChannelException || m.contains("Connection closed") || m.contains("Connection reset")
                    || m.contains("closed prematurely"))) {
                return "the server closed the connection without a reply (if the server requires TLS, use rediss:// or tls=true): " + m;
            }
            if (t instanceof java.net.ConnectException) {
                return null; // nothing listens there: no protocol to blame
            }
        }
        return null;
    }

    public boolean isCluster() {
        return cluster;
    }

    public Duration timeout() {
        return timeout;
    }

    /** The command interface (standalone or cluster); requests sent through it directly are NOT counted. */
    public RedisClusterAsyncCommands<String, String> commands() {
        return commands;
    }

    /** EVALSHA, falling back to EVAL on NOSCRIPT; counted as one round trip (two on the fallback). */
    public <T> CompletableFuture<T> eval(Primitive primitive, RedisScript script, ScriptOutputType type, String[] keys, String... args) {
        stats.roundTrip(primitive);
        return evalCountedByCaller(primitive, script, type, keys, args);
    }

    /**
     * {@link #eval} for a request whose first round trip the caller has counted already (a membership's join, update
     * and leave are counted by {@code SessionMembership}); only a NOSCRIPT fallback is counted here.
     */
    public <T> CompletableFuture<T> evalCountedByCaller(Primitive primitive, RedisScript script, ScriptOutputType type, String[] keys,
                                                        String... args) {
        CompletableFuture<T> first = commands.<T>evalsha(script.sha(), type, keys, args).toCompletableFuture();
        return first.handle((value, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(value);
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof RedisNoScriptException) {
                log.debug("NOSCRIPT for {}; sending the script body once", script);
                stats.roundTrip(primitive);
                return commands.<T>eval(script.body(), type, keys, args).toCompletableFuture();
            }
            return CompletableFuture.<T>failedFuture(cause);
        }).thenCompose(f -> f).exceptionallyCompose(RedisLink::translate);
    }

    /** The one place where a lettuce failure becomes coord's {@link BackendUnavailableException}. */
    static <T> CompletableFuture<T> translate(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof BackendUnavailableException || cause instanceof IllegalStateException) {
            return CompletableFuture.failedFuture(cause);
        }
        String refused = authenticationRefusal(cause);
        if (refused != null) {
            // an ACL changed under a live coordinator: reported like an outage (sessions suspend, then expire), see the README
            return CompletableFuture.failedFuture(new BackendUnavailableException("Redis refused the request (ACL): " + refused, cause));
        }
        return CompletableFuture.failedFuture(new BackendUnavailableException("Redis request failed: " + cause, cause));
    }

    /** PTTL of a key: -2 if it does not exist, -1 if it has no expiry, else milliseconds left. */
    public CompletableFuture<Long> pttl(Primitive primitive, String key) {
        stats.roundTrip(primitive);
        return commands.pttl(key).toCompletableFuture().exceptionallyCompose(RedisLink::translate);
    }

    /** {@code GET key} (counted under {@code primitive}): the value, or null if the key does not exist. */
    public CompletableFuture<String> get(Primitive primitive, String key) {
        stats.roundTrip(primitive);
        return commands.get(key).toCompletableFuture().exceptionallyCompose(RedisLink::translate);
    }

    /** {@code SET key value NX PX ttl}: true if created. */
    public CompletableFuture<Boolean> createLease(String key, String value, long ttlMillis) {
        stats.roundTrip(Primitive.SESSION);
        return commands.set(key, value, SetArgs.Builder.nx().px(ttlMillis)).toCompletableFuture().thenApply("OK"::equals);
    }

    /**
     * {@code PEXPIRE key ttl}: true if the key existed and now expires ttl from the server's "now";
     * false if it is gone (never re-creates it). The caller counts the round trip.
     */
    public CompletableFuture<Boolean> renewLease(String key, long ttlMillis) {
        return commands.pexpire(key, ttlMillis).toCompletableFuture();
    }

    public CompletableFuture<Long> delete(Primitive primitive, String key) {
        stats.roundTrip(primitive);
        return commands.del(key).toCompletableFuture();
    }

    /** Subscribes the pub/sub connection (one round trip, counted under {@code primitive}). */
    public CompletableFuture<Void> subscribe(Primitive primitive, String channel) {
        stats.roundTrip(primitive);
        return pubsub.async().subscribe(channel).toCompletableFuture();
    }

    public CompletableFuture<Void> unsubscribe(Primitive primitive, String channel) {
        stats.roundTrip(primitive);
        return pubsub.async().unsubscribe(channel).toCompletableFuture();
    }

    /**
     * The durability knob: {@code INCRBY slotKey 0} then {@code WAIT replicas timeoutMillis}, both on
     * the dedicated acknowledgement connection (to the master of {@code slotKey}'s slot in a
     * cluster), so that WAIT covers a write made after the grant. Completes with how many replicas
     * acknowledged; two round trips. Never blocks (the cluster node connection is obtained asynchronously).
     */
    @SuppressWarnings("unchecked")
    public CompletableFuture<Long> confirmReplication(Primitive primitive, String slotKey, int replicas, long timeoutMillis) {
        if (ackConnection == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("replica acknowledgement is not enabled on this coordinator"));
        }
        CompletableFuture<StatefulRedisConnection<String, String>> node;
        if (ackConnection instanceof StatefulRedisClusterConnection<String, String> c) {
            int slot = io.lettuce.core.cluster.SlotHash.getSlot(slotKey);
            var master = c.getPartitions().getMasterBySlot(slot);
            if (master == null) {
                return CompletableFuture.failedFuture(new IllegalStateException("no master serves slot " + slot));
            }
            node = c.getConnectionAsync(master.getNodeId());
        } else {
            node = CompletableFuture.completedFuture((StatefulRedisConnection<String, String>) ackConnection);
        }
        stats.roundTrip(primitive);
        stats.roundTrip(primitive);
        return node.thenCompose(n -> {
            n.async().incrby(slotKey, 0);
            return n.async().waitForReplication(replicas, timeoutMillis).toCompletableFuture();
        });
    }

    /** Closes both connections and the client, then the event loops and timer; waits for them. */
    @Override
    public void close() {
        try {
            pubsub.close();
        } catch (RuntimeException e) {
            log.debug("closing the pub/sub connection failed", e);
        }
        try {
            connection.close();
            if (ackConnection != null) {
                ackConnection.close();
            }
        } catch (RuntimeException e) {
            log.debug("closing the connection failed", e);
        }
        shutdownQuietly(client, resources, timeout);
    }

    private static void shutdownQuietly(AbstractRedisClient client, ClientResources resources, Duration timeout) {
        try {
            if (client != null) {
                client.shutdown(Duration.ZERO, timeout);
            }
        } catch (RuntimeException e) {
            log.warn("shutting the lettuce client down failed", e);
        }
        try {
            resources.shutdown(0, timeout.toMillis(), TimeUnit.MILLISECONDS).get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("shutting the lettuce event loops down failed", e);
        }
    }
}
