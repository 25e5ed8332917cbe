package io.coord.etcd;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.CoordException;
import io.coord.Primitive;
import io.coord.spi.StatsRecorder;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.time.Duration;
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

    private final Client client;
    private final EtcdKeys keys;
    private final StatsRecorder stats;
    private final ScheduledExecutorService scheduler;
    private final Duration requestTimeout;
    private final Duration recheckInterval;
    /** For messages: the endpoints and the user name (null without credentials); never the password. */
    private final String endpoints;
    private final String user;

    EtcdConnection(Client client, EtcdKeys keys, StatsRecorder stats, ScheduledExecutorService scheduler,
                   Duration requestTimeout, Duration recheckInterval, String endpoints, String user) {
        this.client = client;
        this.endpoints = endpoints;
        this.user = user;
        this.keys = keys;
        this.stats = stats;
        this.scheduler = scheduler;
        this.requestTimeout = requestTimeout;
        this.recheckInterval = recheckInterval;
    }

    Client client() {
        return client;
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
            boolean transientFailure = code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                    || isOverloaded(error);
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
     * {@link AuthenticationException} ({@link #refusal}). Everything else is a {@link BackendUnavailableException}.
     */
    CoordException failure(String what, Throwable cause) {
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
        return user == null ? "a client without credentials" : "user '" + user + "'";
    }

    static boolean isPermissionDenied(Throwable e) {
        return code(e) == Status.Code.PERMISSION_DENIED || messageContains(e, "etcdserver: permission denied");
    }

    static boolean isAuthenticationFailure(Throwable e) {
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
