package io.coord.etcd;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.CoordException;
import io.coord.Primitive;
import io.coord.spi.StatsRecorder;
import io.coord.spi.TlsSettings;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The jetcd client of one coordinator plus the one way recipes talk to it: {@link #send}, which counts
 * the round trip, bounds the wait, retries by how safe the request is to repeat, and turns every failure
 * into a coord exception — all without holding a thread: waits and retries are timers on the
 * coordinator's scheduler. The blocking forms ({@link #call} …) wait for {@link #send} on the caller's
 * thread and exist for the few blocking paths (opening a session, fenced put, observers' reads).
 *
 * <p>Every request carries a gRPC deadline of {@link #requestTimeout()} (set by an interceptor in
 * {@link EtcdCoordinator}), so no call can hang, even while no member is reachable.
 */
final class EtcdConnection {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EtcdConnection.class);

    /** Attempts of one retried request, and its time budget in request timeouts. */
    static final int ATTEMPTS = 5;
    static final int BUDGET = 3;

    /** How safe a request is to send again after a transient failure. */
    enum Retry {
        /** Not retried (a lease grant: a lost reply would leak a lease if repeated). */
        NEVER,
        /**
         * Its outcome can always be told afterwards (put-if-absent of a deterministic key, a put guarded by a
         * create revision). Each attempt waits the full request timeout: an attempt abandoned earlier could
         * still be applied late, after the caller moved on (a late put-if-absent would re-create a released key).
         */
        IDEMPOTENT,
        /**
         * Harmless even if an abandoned attempt is applied much later: reads, and deletes guarded by the key's
         * create revision. The first attempt waits a third of the request timeout (at least 500 ms), each next
         * one a third more, so a request lost with a dead etcd leader or stuck on a frozen member delays a
         * release or a wake-up by about that much. (Growing waits plus jittered pauses also keep attempts out of
         * step with periodic traffic such as renewals: jetcd's round-robin counts calls.)
         */
        REPEATABLE
    }

    private volatile Client client;
    private final EtcdKeys keys;
    /** Whether the client has heard from a server once: before that, a connection that cannot be set up is not retried. */
    private final java.util.function.BooleanSupplier connected;
    private final StatsRecorder stats;
    private final ScheduledExecutorService scheduler;
    private final Duration requestTimeout;
    private final Duration recheckInterval;
    /** For messages: the endpoints and the user name (null without credentials); never the password. */
    private final String endpoints;
    private final String user;
    /** The TLS settings (paths only), or null for plain text. */
    private final TlsSettings tls;
    /** When the configured client certificate stops being valid (to say "expired" when the server refuses it), or null. */
    private final Instant clientCertificateNotAfter;
    /** The client certificate's subject ({@code CN=...}: etcd's user when no password is sent), or null. */
    private final String clientCertificateSubject;

    EtcdConnection(Client client, EtcdKeys keys, StatsRecorder stats, ScheduledExecutorService scheduler,
                   Duration requestTimeout, Duration recheckInterval, String endpoints, String user, TlsSettings tls,
                   java.util.function.BooleanSupplier connected) {
        this.client = client;
        this.connected = connected;
        this.endpoints = endpoints;
        this.user = user;
        this.tls = tls;
        java.security.cert.X509Certificate certificate = tls == null || !tls.hasClientCertificate() ? null : certificate(tls.clientCertificate());
        this.clientCertificateNotAfter = certificate == null ? null : certificate.getNotAfter().toInstant();
        this.clientCertificateSubject = certificate == null ? null : certificate.getSubjectX500Principal().getName();
        this.keys = keys;
        this.stats = stats;
        this.scheduler = scheduler;
        this.requestTimeout = requestTimeout;
        this.recheckInterval = recheckInterval;
    }

    Client client() {
        return client;
    }

    /** Replaces the client (only before any session exists: see {@code EtcdCoordinator.connect}). */
    void replaceClient(Client replacement) {
        this.client = replacement;
    }

    /** The configured user name, or null. */
    String user() {
        return user;
    }

    EtcdKeys keys() {
        return keys;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    /** How long a waiter trusts the delete watch before re-reading the queue anyway (a safety net, not the wake-up path). */
    Duration recheckInterval() {
        return recheckInterval;
    }

    /**
     * Sends {@code request} (from the calling thread) for {@code primitive}; the result completes with the
     * reply or the failure as {@link #failure} translates it (never a {@link TimeoutException}, which callers reserve
     * for "the acquisition's deadline passed"). Transient failures (UNAVAILABLE: connection refused, "leader
     * changed", "no leader"; DEADLINE_EXCEEDED; "too many requests") are retried as {@code retry} allows, at most {@value #ATTEMPTS}
     * attempts within {@value #BUDGET} request timeouts; jetcd's round-robin sends the next attempt to the
     * next member. The result may complete on a jetcd thread: callers must not block in its continuations.
     */
    <T> CompletableFuture<T> send(Primitive primitive, String what, Retry retry, Supplier<CompletableFuture<T>> request) {
        CompletableFuture<T> result = new CompletableFuture<>();
        attempt(primitive, what, retry, request, 1, System.nanoTime() + requestTimeout.toNanos() * BUDGET, result);
        return result;
    }

    private <T> void attempt(Primitive primitive, String what, Retry retry, Supplier<CompletableFuture<T>> request,
                             int attempt, long giveUpNanos, CompletableFuture<T> result) {
        long full = requestTimeout.toMillis() + 1000; // the gRPC deadline fires first; +1 s covers jetcd's own back-off
        long wait = retry == Retry.REPEATABLE ? Math.min(full, Math.max(500, requestTimeout.toMillis() / 3) * attempt) : full;
        stats.roundTrip(primitive);
        CompletableFuture<T> reply;
        try {
            reply = request.get();
        } catch (RuntimeException e) {
            reply = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<T> sent = reply;
        var timer = scheduler.schedule(() -> {
            sent.completeExceptionally(Status.DEADLINE_EXCEEDED.withDescription("no answer within " + wait + " ms").asRuntimeException());
        }, wait, TimeUnit.MILLISECONDS);
        sent.whenComplete((value, error) -> {
            timer.cancel(false);
            if (error == null) {
                result.complete(value);
                return;
            }
            Status.Code code = code(error);
            boolean transientFailure = (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                    || isOverloaded(error) || isAuthenticateUnreachable(error)) && !isTlsHandshakeFailure(error)
                    && !(isClosedDuringSetup(error) && !connected.getAsBoolean());
            if (retry == Retry.NEVER || !transientFailure || attempt == ATTEMPTS || System.nanoTime() - giveUpNanos > 0) {
                result.completeExceptionally(failure(what, error));
                return;
            }
            log.info("etcd: {} failed ({}), attempt {} of {}; retrying", what, code, attempt, ATTEMPTS);
            long pause = 50L * attempt + ThreadLocalRandom.current().nextLong(100);
            try {
                scheduler.schedule(() -> attempt(primitive, what, retry, request, attempt + 1, giveUpNanos, result),
                        pause, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                result.completeExceptionally(failure(what + " (coordinator closing)", error));
            }
        });
    }

    /** {@link #send} once and wait for it on the caller's thread (interruptibly). */
    <T> T call(Primitive primitive, String what, Supplier<CompletableFuture<T>> request) throws InterruptedException {
        return await(send(primitive, what, Retry.NEVER, request));
    }

    /** {@link #send} with {@link Retry#IDEMPOTENT}, waiting on the caller's thread. */
    <T> T callIdempotent(Primitive primitive, String what, Supplier<CompletableFuture<T>> request) throws InterruptedException {
        return await(send(primitive, what, Retry.IDEMPOTENT, request));
    }

    /** {@link #send} with {@link Retry#REPEATABLE}, waiting on the caller's thread. */
    <T> T callRepeatable(Primitive primitive, String what, Supplier<CompletableFuture<T>> request) throws InterruptedException {
        return await(send(primitive, what, Retry.REPEATABLE, request));
    }

    private static <T> T await(CompletableFuture<T> reply) throws InterruptedException {
        try {
            return reply.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new BackendUnavailableException("etcd: " + describe(e.getCause()), e.getCause());
        }
    }

    /**
     * etcd refusing a request because its applied index lags too far behind (a burst such as thousands of
     * cancellations at once): "etcdserver: too many requests", RESOURCE_EXHAUSTED or, through jetcd, UNKNOWN.
     * Nothing was applied, so it is retried like an unavailable member.
     */
    static boolean isOverloaded(Throwable e) {
        if (code(e) == Status.Code.RESOURCE_EXHAUSTED) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("too many requests")) {
                return true;
            }
        }
        return false;
    }

    /** True if {@code e} is etcd saying "requested lease not found" (the session's lease is gone). */
    static boolean isLeaseNotFound(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        Throwable cause = e instanceof BackendUnavailableException && e.getCause() != null ? e.getCause() : e;
        return code(cause) == Status.Code.NOT_FOUND;
    }

    /**
     * The one place where a jetcd failure becomes a coord exception. Refused credentials (etcd: "authentication
     * failed, invalid user ID or password", "user name is empty", "invalid auth token" after a failed re-auth:
     * UNAUTHENTICATED or INVALID_ARGUMENT from jetcd's authenticate) are an {@link AuthenticationException}, so
     * are auth-specific INVALID_ARGUMENTs; a PERMISSION_DENIED (the user's roles do not cover the key) is a
     * {@link BackendUnavailableException} naming the refusal, as coord-redis reports ACL denials mid-session
     * (the session then suspends and expires); opening a session turns it into an
     * {@link AuthenticationException} ({@link #refusal}). A failed TLS handshake is mapped by {@link #tlsFailure}.
     * Everything else is a {@link BackendUnavailableException}.
     */
    CoordException failure(String what, Throwable cause) {
        CoordException tlsFailure = tlsFailure(what, cause);
        if (tlsFailure != null) {
            return tlsFailure;
        }
        if (isAuthenticationFailure(cause)) {
            return new AuthenticationException("etcd at " + endpoints + " refused " + who() + ": " + what + " failed: "
                    + describeWithRoot(cause), cause);
        }
        if (isPermissionDenied(cause)) {
            return new BackendUnavailableException("etcd at " + endpoints + " refused the request of " + who()
                    + " (permission denied; see the least RBAC in coord-etcd's README): " + what + " failed: " + describe(cause), cause);
        }
        return unavailable(what, cause);
    }

    /**
     * The TLS part of {@link #failure}; null when {@code cause} is no TLS failure. gRPC reports every handshake
     * failure as UNAVAILABLE, with the {@link SSLException} (or netty's {@code NotSslRecordException}) as a cause:
     * <ul>
     *   <li>the server's certificate does not verify (a {@link java.security.cert.CertificateException} in the chain:
     *       no path to a trusted CA, or it does not name the host): {@link AuthenticationException}, "server
     *       certificate not trusted";</li>
     *   <li>the server refused the client's certificate (a TLS alert about a certificate: missing, expired, from
     *       an unknown CA): {@link AuthenticationException} saying which, "client certificate expired" when the
     *       configured certificate's validity has ended;</li>
     *   <li>any other handshake failure: {@link AuthenticationException}, "TLS handshake failed";</li>
     *   <li>TLS towards a plain-text server (the reply is no TLS record, or etcd closes the connection during the
     *       handshake): {@link BackendUnavailableException}
     *       "does the server speak TLS?";</li>
     *   <li>plain text towards a TLS server: etcd closes the connection without a word, which gRPC reports as
     *       "Network closed for unknown reason": {@link BackendUnavailableException} asking "does the server require
     *       TLS? use tls=true" (only while the client has never heard from a server: later it means a member went
     *       away, an ordinary outage).</li>
     * </ul>
     */
    CoordException tlsFailure(String what, Throwable cause) {
        String at = "etcd at " + endpoints;
        String text = chainText(cause);
        if (tls == null) {
            if (text.contains("Network closed for unknown reason") && !connected.getAsBoolean()) { // later: a member went away
                return new BackendUnavailableException(at + ": " + what + " failed: the server closed the connection during setup"
                        + " (does the server require TLS? use tls=true, or https:// endpoints): " + describe(cause), cause);
            }
            return null;
        }
        if (text.contains("NotSslRecordException") || text.contains("closed while performing TLS negotiation")) {
            return new BackendUnavailableException(at + ": " + what + " failed: the server answered without TLS"
                    + " (does the server speak TLS? use tls=false, or http:// endpoints, for a plain-text server): " + describe(cause), cause);
        }
        java.util.regex.Matcher ssl = SSL_EXCEPTION.matcher(text);
        if (!ssl.find()) {
            return null;
        }
        String reason = text.substring(ssl.start());
        String refused;
        if (reason.contains("CertificateException") || reason.contains("CertPath") || reason.contains("PKIX")
                || reason.contains("certification path")) {
            refused = "server certificate not trusted (trusting " + tls.trusted().map(Object::toString).orElse("the JVM's default trust store")
                    + (reason.contains("subject alternative") || reason.contains("No name matching") ? "; the certificate does not name the endpoint's host" : "")
                    + ")";
        } else if (reason.toLowerCase(java.util.Locale.ROOT).contains("certificate")) {
            if (!tls.hasClientCertificate()) {
                refused = "client certificate required by the server, none configured (clientCertificate(cert, key) or certFile/keyFile)";
            } else if (clientCertificateNotAfter != null && clientCertificateNotAfter.isBefore(Instant.now())) {
                refused = "client certificate expired (" + tls.clientCertificate() + " was valid until " + clientCertificateNotAfter + ")";
            } else {
                refused = "client certificate " + tls.clientCertificate() + " refused by the server (is it signed by a CA the server trusts?)";
            }
        } else {
            refused = "TLS handshake failed";
        }
        return new AuthenticationException(at + " refused the TLS connection of " + who() + ": " + refused + "; " + what + " failed ("
                + abbreviate(reason) + ")", cause);
    }

    /**
     * etcd closed the connection before a word was exchanged: plain text to a TLS port, TLS to a plain-text port (or
     * a member stopping).
     */
    static boolean isClosedDuringSetup(Throwable e) {
        String text = chainText(e);
        return text.contains("Network closed for unknown reason") || text.contains("closed while performing TLS negotiation");
    }

    /** etcd refused credentials because its authentication is disabled ("etcdserver: authentication is not enabled"). */
    static boolean isAuthNotEnabled(Throwable e) {
        return chainText(e).contains("authentication is not enabled");
    }

    /** True when {@code e} is a failed TLS handshake or a TLS mismatch (never worth retrying). */
    static boolean isTlsHandshakeFailure(Throwable e) {
        String text = chainText(e);
        return SSL_EXCEPTION.matcher(text).find() || text.contains("NotSslRecordException");
    }

    /** javax.net.ssl's exceptions (SSLException, SSLHandshakeException, …) by name, as a class or inside a gRPC description. */
    private static final java.util.regex.Pattern SSL_EXCEPTION = java.util.regex.Pattern.compile("SSL[A-Za-z]*Exception");

    /** Class names and messages of {@code e} and its causes, one text (gRPC puts a waited-out call's cause into its description). */
    private static String chainText(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            all.append(all.length() == 0 ? "" : "; ").append(t.getClass().getName());
            if (t.getMessage() != null) {
                all.append(": ").append(t.getMessage());
            }
        }
        return all.toString();
    }

    private static String abbreviate(String m) {
        return m.length() > 300 ? m.substring(0, 300) + "…" : m;
    }

    private static java.security.cert.X509Certificate certificate(java.nio.file.Path file) {
        try (var in = java.nio.file.Files.newInputStream(file)) {
            return (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (java.io.IOException | java.security.cert.CertificateException | ClassCastException e) {
            return null; // TlsSettings checked the file; if it cannot be read now, messages just cannot say "expired"
        }
    }

    /** {@code e} as an {@link AuthenticationException} if etcd refused who the client is or what it may touch; else null. */
    AuthenticationException refusal(String what, Throwable e) {
        if (e instanceof AuthenticationException ae) {
            return ae;
        }
        Throwable cause = e instanceof BackendUnavailableException && e.getCause() != null ? e.getCause() : e;
        if (isPermissionDenied(cause) || isAuthenticationFailure(cause)) {
            return new AuthenticationException("etcd at " + endpoints + " refused " + who() + ": " + what + " failed: "
                    + describeWithRoot(cause) + " (coord needs READWRITE on the prefix " + keys.namespacePrefix().toString(java.nio.charset.StandardCharsets.UTF_8) + "; see coord-etcd's README)", cause);
        }
        return null;
    }

    private String who() {
        if (user != null) {
            return "user '" + user + "'";
        }
        return clientCertificateSubject == null ? "a client without credentials" : "the user of the client certificate " + clientCertificateSubject;
    }

    static boolean isPermissionDenied(Throwable e) {
        return code(e) == Status.Code.PERMISSION_DENIED || messageContains(e, "etcdserver: permission denied");
    }

    /**
     * jetcd's authentication could not reach etcd: it reports UNAUTHENTICATED with the UNAVAILABLE (or
     * DEADLINE_EXCEEDED) of its Authenticate call as the cause. That is an outage, not a refusal.
     */
    static boolean isAuthenticateUnreachable(Throwable e) {
        if (code(e) != Status.Code.UNAUTHENTICATED) {
            return false;
        }
        String text = chainText(e);
        return text.contains("UNAVAILABLE") || text.contains("DEADLINE_EXCEEDED");
    }

    static boolean isAuthenticationFailure(Throwable e) {
        if (isAuthenticateUnreachable(e)) {
            return false;
        }
        Status.Code c = code(e);
        return c == Status.Code.UNAUTHENTICATED || messageContains(e, "authentication failed")
                || messageContains(e, "user name is empty") || messageContains(e, "invalid auth token")
                || messageContains(e, "user name not found");
    }

    private static boolean messageContains(Throwable e, String text) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains(text)) {
                return true;
            }
        }
        return false;
    }

    static BackendUnavailableException unavailable(String what, Throwable cause) {
        return new BackendUnavailableException("etcd: " + what + " failed: " + describe(cause), cause);
    }

    /** The gRPC status code of a jetcd failure, whichever way jetcd wrapped it. */
    static Status.Code code(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof EtcdException ee) {
            return Status.Code.valueOf(ee.getErrorCode().name());
        }
        return Status.fromThrowable(t).getCode();
    }

    /** {@link #describe} plus the innermost cause's message (jetcd's UNAUTHENTICATED hides etcd's reason there). */
    static String describeWithRoot(Throwable t) {
        String top = describe(t);
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return m == null || top.contains(m) ? top : top + " (" + (m.length() > 300 ? m.substring(0, 300) + "…" : m) + ")";
    }

    static String describe(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (m != null && m.length() > 300) {
            m = m.substring(0, 300) + "…";
        }
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
