package io.coord.etcd;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.spi.StatsRecorder;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The jetcd client of one coordinator plus the one way recipes talk to it: {@link #call}, which counts
 * the round trip, waits on a coord worker thread (never on a jetcd thread), and turns every failure into
 * a coord exception. Internal to coord-etcd (public only for its sub-packages).
 *
 * <p>Every request carries a gRPC deadline of {@link #requestTimeout()} (set by an interceptor in
 * {@link EtcdCoordinator}), so no call can hang, even while no member is reachable.
 */
public final class EtcdConnection {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EtcdConnection.class);

    /** Attempts of one retried request, and its time budget in request timeouts. */
    static final int ATTEMPTS = 5;
    static final int BUDGET = 3;

    private final Client client;
    private final EtcdKeys keys;
    private final StatsRecorder stats;
    private final Duration requestTimeout;
    private final Duration recheckInterval;

    EtcdConnection(Client client, EtcdKeys keys, StatsRecorder stats, Duration requestTimeout, Duration recheckInterval) {
        this.client = client;
        this.keys = keys;
        this.stats = stats;
        this.requestTimeout = requestTimeout;
        this.recheckInterval = recheckInterval;
    }

    public Client client() {
        return client;
    }

    public EtcdKeys keys() {
        return keys;
    }

    public StatsRecorder stats() {
        return stats;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** How long a waiter trusts its watch before re-reading the queue anyway (a safety net, not the wake-up path). */
    public Duration recheckInterval() {
        return recheckInterval;
    }

    /**
     * Sends one request for {@code primitive} and waits for its answer (interruptibly). Must run on a coord
     * thread. Failures: {@link InterruptedException} as is; anything else as {@link BackendUnavailableException}
     * (never {@link TimeoutException}, which callers reserve for "the acquisition's deadline passed").
     */
    public <T> T call(Primitive primitive, String what, Supplier<CompletableFuture<T>> request) throws InterruptedException {
        // The gRPC deadline fires first; the extra second only covers jetcd's own retry back-off.
        return attempt(primitive, what, request, requestTimeout.toMillis() + 1000);
    }

    private <T> T attempt(Primitive primitive, String what, Supplier<CompletableFuture<T>> request, long waitMillis)
            throws InterruptedException {
        stats.roundTrip(primitive);
        CompletableFuture<T> reply = request.get();
        try {
            return reply.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unavailable(what, e.getCause());
        } catch (TimeoutException e) {
            reply.cancel(false);
            throw unavailable(what, Status.DEADLINE_EXCEEDED.withDescription("no answer within " + waitMillis + " ms")
                    .asRuntimeException());
        }
    }

    /**
     * {@link #call} for a request whose outcome the caller can always tell afterwards (put-if-absent of a
     * deterministic key, a put guarded by a create revision): a transient failure (UNAVAILABLE: connection
     * refused, "leader changed", "no leader"; DEADLINE_EXCEEDED: e.g. a proposal lost with a dead etcd leader,
     * or a frozen member that still holds its TCP connection) is retried, at most {@value #ATTEMPTS} attempts
     * within {@value #BUDGET} request timeouts (jetcd's round-robin sends the next attempt to the next member).
     * Each attempt waits the full request timeout: an attempt abandoned earlier could still be applied late,
     * after the caller moved on (a late put-if-absent would re-create a released key).
     */
    public <T> T callIdempotent(Primitive primitive, String what, Supplier<CompletableFuture<T>> request) throws InterruptedException {
        long full = requestTimeout.toMillis() + 1000;
        return retrying(primitive, what, request, full, full);
    }

    /**
     * For a request that stays harmless even if an abandoned attempt is applied much later: reads, and deletes
     * guarded by the key's create revision (they can only ever delete that one incarnation of the key). The
     * first attempt waits only a third of the request timeout (at least 500 ms), each next one a third more,
     * so a request lost with a dead etcd leader or stuck on a frozen member delays a release or a wake-up by
     * about that much, not by the whole request timeout. (Growing waits plus jittered pauses also keep the
     * attempts from falling into step with periodic traffic such as renewals: jetcd's round-robin counts
     * calls, and attempts in step with two renewals per period would hit the same frozen member every time.)
     */
    public <T> T callRepeatable(Primitive primitive, String what, Supplier<CompletableFuture<T>> request) throws InterruptedException {
        return retrying(primitive, what, request, Math.max(500, requestTimeout.toMillis() / 3), requestTimeout.toMillis() + 1000);
    }

    private <T> T retrying(Primitive primitive, String what, Supplier<CompletableFuture<T>> request, long firstWaitMillis,
                           long maxWaitMillis) throws InterruptedException {
        long giveUp = System.nanoTime() + requestTimeout.toNanos() * BUDGET;
        for (int attempt = 1; ; attempt++) {
            try {
                return attempt(primitive, what, request, Math.min(maxWaitMillis, firstWaitMillis * attempt));
            } catch (BackendUnavailableException e) {
                Status.Code code = code(e.getCause());
                boolean transientFailure = code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
                if (!transientFailure || attempt == ATTEMPTS || System.nanoTime() - giveUp > 0) {
                    throw e;
                }
                log.info("etcd: {} failed ({}), attempt {} of {}; retrying", what, code, attempt, ATTEMPTS);
                // A coord worker or caller thread, never a jetcd one.
                Thread.sleep(50L * attempt + java.util.concurrent.ThreadLocalRandom.current().nextLong(100));
            }
        }
    }

    /** {@link #callRepeatable} that is never interrupted: for cleanup that must run even on an interrupted thread. */
    public <T> T callRepeatableUninterruptibly(Primitive primitive, String what, Supplier<CompletableFuture<T>> request) {
        boolean interrupted = Thread.interrupted();
        try {
            for (int round = 1; ; round++) {
                try {
                    return callRepeatable(primitive, what, request);
                } catch (InterruptedException e) {
                    interrupted = true; // re-sending is safe: the request is repeatable
                    if (round == 3) {
                        throw unavailable(what + " (interrupted three times)", e);
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** True if {@code e} is etcd saying "requested lease not found" (the session's lease is gone). */
    public static boolean isLeaseNotFound(Throwable e) {
        Throwable cause = e instanceof BackendUnavailableException && e.getCause() != null ? e.getCause() : e;
        return code(cause) == Status.Code.NOT_FOUND;
    }

    static BackendUnavailableException unavailable(String what, Throwable cause) {
        return new BackendUnavailableException("etcd: " + what + " failed: " + describe(cause), cause);
    }

    /** The gRPC status code of a jetcd failure, whichever way jetcd wrapped it. */
    public static Status.Code code(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof EtcdException ee) {
            return Status.Code.valueOf(ee.getErrorCode().name());
        }
        return Status.fromThrowable(t).getCode();
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
