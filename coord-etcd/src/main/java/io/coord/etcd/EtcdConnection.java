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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private static final Logger log = LoggerFactory.getLogger(EtcdConnection.class);

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
    /**
     * Replaces the credentialed client by one that sends no credentials and retires the replaced one (see
     * {@link #dropCredentials}); null without credentials, and once used. Guarded by this.
     */
    private UnaryOperator<Client> withoutCredentials;
    private final EtcdKeys keys;
    /**
     * Whether the client has heard from a server once. Before that, gRPC calls are fail-fast (see
     * {@code EtcdCoordinator.RequestDeadline}), so {@link #send} spreads its attempts over the budget itself.
     */
    private final BooleanSupplier connected;
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
                   BooleanSupplier connected, UnaryOperator<Client> withoutCredentials) {
        this.client = client;
        this.withoutCredentials = withoutCredentials;
        this.connected = connected;
        this.endpoints = endpoints;
        this.user = user;
        this.tls = tls;
        X509Certificate certificate = tls == null || !tls.hasClientCertificate() ? null : certificate(tls.clientCertificate());
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
     * next member. Until the client has heard from a server, calls fail fast (a refused connection fails at once,
     * not at its deadline), so a failed attempt then waits out its share of the budget (a fifth) before the next:
     * the attempts span the budget, and the first request of a coordinator built while etcd is starting or
     * restarting rides that out. A definite TLS verdict ({@link Setup}) is never retried. The result may complete
     * on a jetcd thread: callers must not block in its continuations.
     */
    <T> CompletableFuture<T> send(Primitive primitive, String what, Retry retry, Supplier<CompletableFuture<T>> request) {
        return send(primitive, what, retry, false, request);
    }

    /**
     * {@link #send} for a request whose first attempt the caller has counted already (coord-api's membership counts
     * one round trip per join, update and leave): only the retries are counted here.
     */
    <T> CompletableFuture<T> sendCountedByCaller(Primitive primitive, String what, Retry retry, Supplier<CompletableFuture<T>> request) {
        return send(primitive, what, retry, true, request);
    }

    private <T> CompletableFuture<T> send(Primitive primitive, String what, Retry retry, boolean firstCounted,
                                          Supplier<CompletableFuture<T>> request) {
        CompletableFuture<T> result = new CompletableFuture<>();
        long start = System.nanoTime();
        attempt(primitive, what, retry, firstCounted, request, 1, start, start + requestTimeout.toNanos() * BUDGET, null, result);
        return result;
    }

    private <T> void attempt(Primitive primitive, String what, Retry retry, boolean firstCounted, Supplier<CompletableFuture<T>> request,
                             int attempt, long startNanos, long giveUpNanos, Throwable setupSignal, CompletableFuture<T> result) {
        long full = requestTimeout.toMillis() + 1000; // the gRPC deadline fires first; +1 s covers jetcd's own back-off
        long wait = retry == Retry.REPEATABLE ? Math.min(full, Math.max(500, requestTimeout.toMillis() / 3) * attempt) : full;
        if (attempt > 1 || !firstCounted) {
            stats.roundTrip(primitive);
        }
        Client used = client;
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
            if (isAuthNotEnabled(error) && mayDropCredentials(used)) { // the switch runs on the scheduler, never on a jetcd thread
                retryLater(() -> {
                    try {
                        dropCredentials(used);
                    } catch (RuntimeException e) {
                        CoordException failure = failure(what, error);
                        failure.addSuppressed(e);
                        result.completeExceptionally(failure);
                        return;
                    }
                    // not counted: this is the first try without credentials
                    attempt(primitive, what, retry, firstCounted, request, attempt, startNanos, giveUpNanos, setupSignal, result);
                }, 0, what, error, result);
                return;
            }
            Status.Code code = code(error);
            boolean beforeContact = !connected.getAsBoolean();
            Setup setup = setup(error, beforeContact);
            // a retried attempt that only timed out keeps an earlier attempt's TLS/setup signal for the message
            Throwable signal = setup != Setup.NONE ? error : setupSignal;
            boolean transientFailure = setup.retried && (code == Status.Code.UNAVAILABLE
                    || code == Status.Code.DEADLINE_EXCEEDED || isOverloaded(error) || isAuthenticateUnreachable(error));
            if (retry == Retry.NEVER || !transientFailure || attempt == ATTEMPTS || System.nanoTime() - giveUpNanos > 0) {
                CoordException failure = failure(what, signal != null && setup == Setup.NONE ? signal : error);
                if (signal != null && signal != error) {
                    failure.addSuppressed(error);
                }
                result.completeExceptionally(failure);
                return;
            }
            long pause = 50L * attempt + ThreadLocalRandom.current().nextLong(100);
            if (beforeContact) { // fail-fast: wait out this attempt's share of the budget
                long shareEnd = startNanos + (giveUpNanos - startNanos) / ATTEMPTS * attempt;
                pause = Math.max(pause, TimeUnit.NANOSECONDS.toMillis(shareEnd - System.nanoTime()));
            }
            log.info("etcd: {} failed ({}), attempt {} of {}; retrying in {} ms", what, code, attempt, ATTEMPTS, pause);
            retryLater(() -> attempt(primitive, what, retry, firstCounted, request, attempt + 1, startNanos, giveUpNanos, signal, result), pause, what, error, result);
        });
    }

    /** Runs {@code next} on the scheduler after {@code pause} ms (never on the gRPC thread that reported {@code error}). */
    private void retryLater(Runnable next, long pause, String what, Throwable error, CompletableFuture<?> result) {
        try {
            scheduler.schedule(next, pause, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            result.completeExceptionally(failure(what + " (coordinator closing)", error));
        }
    }

    /**
     * etcd refused the configured credentials because its authentication is disabled ("authentication is not
     * enabled"): logs a WARN (any client may use that etcd) and, once, replaces the client that sent them by one
     * that sends none, the same as without credentials; the replaced client is closed at once. Whichever request
     * of the coordinator meets the refusal first makes the switch; requests that were under way on the replaced
     * client are sent again. The switch is permanent: enabling auth on that etcd later needs a new coordinator.
     *
     * @param used the client the refused request went to
     */
    private synchronized void dropCredentials(Client used) {
        if (used != client || withoutCredentials == null) {
            return; // switched already
        }
        log.warn("etcd at {} has authentication disabled, but credentials (user '{}') were configured: they are not sent,"
                + " and any client can use this etcd; enable auth (see coord-etcd's README) or drop the credentials", endpoints, user);
        client = withoutCredentials.apply(used);
        withoutCredentials = null;
    }

    /** Whether a request refused on {@code used} for credentials goes again: the client can drop them, or did since. */
    private synchronized boolean mayDropCredentials(Client used) {
        return used != client || withoutCredentials != null;
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
        return messageContains(e, "too many requests");
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
     * What a failure says about setting up the connection: ONE classification, used both for whether {@link #send}
     * retries and for the message {@link #failure} gives. gRPC reports every connection failure as UNAVAILABLE, the
     * cause (an {@link SSLException}, netty's {@code NotSslRecordException}, an {@link IOException}) in its chain.
     * Only definite signals get a TLS verdict; a connection that merely closed is an outage, retried like any.
     */
    enum Setup {
        /** Nothing about TLS: decided by the status code alone. */
        NONE(true),
        /**
         * A TLS handshake failed with a verdict (an {@link SSLException}: the server's certificate does not verify,
         * the server refused the client's certificate, no common protocol): not retried. An SSLException over a
         * broken transport (a reset or closed connection in its chain) is no verdict: an outage.
         */
        TLS_REFUSED(false),
        /** TLS towards a plain-text port: the reply was no TLS record (netty's {@code NotSslRecordException}). Not retried. */
        TLS_TO_PLAIN_TEXT(false),
        /**
         * Plain text, and the server closed the connection before the client ever heard from a server ("Network closed
         * for unknown reason"): what an etcd TLS port does to a plain-text client, but also a proxy, load balancer or
         * port-forward whose backend is down. Retried (an outage passes); the message names TLS as a possibility.
         */
        CLOSED_MAYBE_TLS_PORT(true),
        /**
         * TLS, and the connection closed or was reset during the handshake before the client ever heard from a server
         * ("closed while performing TLS negotiation"): what etcd's plain-text port does to a TLS client, but also any server or
         * proxy going away mid-handshake. Retried; the message asks whether the server speaks TLS without telling the
         * user to turn TLS off.
         */
        CLOSED_DURING_TLS_HANDSHAKE(true);

        final boolean retried;

        Setup(boolean retried) {
            this.retried = retried;
        }
    }

    /** {@link Setup} of {@code e}; {@code beforeContact}: the client has never heard from a server. */
    Setup setup(Throwable e, boolean beforeContact) {
        String text = chainText(e);
        if (text.contains("NotSslRecordException")) {
            return Setup.TLS_TO_PLAIN_TEXT;
        }
        boolean tlsBroken = text.contains("closed while performing TLS negotiation") || (SSL_EXCEPTION.matcher(text).find()
                && TRANSPORT_FAILURE.matcher(text).find()); // e.g. "failure when writing TLS control frames; ... Connection reset"
        if (SSL_EXCEPTION.matcher(text).find() && !tlsBroken) {
            return Setup.TLS_REFUSED;
        }
        if (tls == null && beforeContact && text.contains("Network closed for unknown reason")) {
            return Setup.CLOSED_MAYBE_TLS_PORT;
        }
        if (tls != null && beforeContact && tlsBroken) {
            return Setup.CLOSED_DURING_TLS_HANDSHAKE;
        }
        return Setup.NONE;
    }

    /**
     * The TLS part of {@link #failure}, by {@link #setup}; null when {@code cause} says nothing about TLS:
     * <ul>
     *   <li>{@link Setup#TLS_REFUSED}: {@link AuthenticationException} saying which: "server certificate not trusted"
     *       (a {@link CertificateException} in the chain: no path to a trusted CA, or it does not name the host); the
     *       server refused the client's certificate (a TLS alert about a certificate: missing, expired, from an unknown
     *       CA), "client certificate expired" when the configured certificate's validity has ended; else "TLS handshake
     *       failed";</li>
     *   <li>{@link Setup#TLS_TO_PLAIN_TEXT}: {@link BackendUnavailableException} "does the server speak TLS?";</li>
     *   <li>{@link Setup#CLOSED_MAYBE_TLS_PORT}: {@link BackendUnavailableException} "the server closed the connection
     *       … or it requires TLS: then use tls=true";</li>
     *   <li>{@link Setup#CLOSED_DURING_TLS_HANDSHAKE}: {@link BackendUnavailableException} "… during the TLS handshake
     *       (does the server speak TLS? …)".</li>
     * </ul>
     */
    CoordException tlsFailure(String what, Throwable cause) {
        String at = "etcd at " + endpoints;
        switch (setup(cause, !connected.getAsBoolean())) {
            case NONE:
                return null;
            case CLOSED_MAYBE_TLS_PORT:
                return new BackendUnavailableException(at + ": " + what + " failed: the server closed the connection before"
                        + " answering (the server is down or unreachable behind a proxy; or it requires TLS: then use tls=true,"
                        + " or https:// endpoints): " + describe(cause), cause);
            case CLOSED_DURING_TLS_HANDSHAKE:
                return new BackendUnavailableException(at + ": " + what + " failed: the server closed the connection during the"
                        + " TLS handshake (does the server speak TLS? a plain-text etcd port does this to every TLS client;"
                        + " otherwise the server or a proxy in between went away): " + describe(cause), cause);
            case TLS_TO_PLAIN_TEXT:
                return new BackendUnavailableException(at + ": " + what + " failed: the server answered without TLS"
                        + " (does the server speak TLS? use tls=false, or http:// endpoints, for a plain-text server): " + describe(cause), cause);
            default:
                break;
        }
        String text = chainText(cause);
        Matcher ssl = SSL_EXCEPTION.matcher(text);
        String reason = ssl.find() ? text.substring(ssl.start()) : text;
        String refused;
        if (reason.contains("CertificateException") || reason.contains("CertPath") || reason.contains("PKIX")
                || reason.contains("certification path")) {
            refused = "server certificate not trusted (trusting " + tls.trusted().map(Object::toString).orElse("the JVM's default trust store")
                    + (reason.contains("subject alternative") || reason.contains("No name matching") ? "; the certificate does not name the endpoint's host" : "")
                    + ")";
        } else if (reason.toLowerCase(Locale.ROOT).contains("certificate")) {
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

    /** etcd refused credentials because its authentication is disabled ("etcdserver: authentication is not enabled"). */
    static boolean isAuthNotEnabled(Throwable e) {
        return messageContains(e, "authentication is not enabled");
    }

    /** javax.net.ssl's exceptions (SSLException, SSLHandshakeException, …) by name, as a class or inside a gRPC description. */
    private static final Pattern SSL_EXCEPTION = Pattern.compile("SSL[A-Za-z]*Exception");

    /**
     * The connection under a TLS handshake broke (reset, closed): then an SSLException in the chain is no verdict of
     * the peer, only the transport failing (java.io.IOException itself, sockets, closed channels).
     */
    private static final Pattern TRANSPORT_FAILURE = Pattern.compile(
            "java\\.io\\.IOException|SocketException|ClosedChannelException|Connection reset|Broken pipe");

    /**
     * Class names and messages of {@code e} and its causes, one text (gRPC puts a waited-out call's cause into its
     * description): the one walk over a cause chain that every text test here uses.
     */
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

    private static X509Certificate certificate(Path file) {
        try (var in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | CertificateException | ClassCastException e) {
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
                    + describeWithRoot(cause) + " (coord needs READWRITE on the prefix " + keys.namespacePrefix().toString(StandardCharsets.UTF_8) + "; see coord-etcd's README)", cause);
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
        return messageContains(e, "UNAVAILABLE") || messageContains(e, "DEADLINE_EXCEEDED");
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

    /** {@code text} occurs in the class name or message of {@code e} or one of its causes. */
    private static boolean messageContains(Throwable e, String text) {
        return chainText(e).contains(text);
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
