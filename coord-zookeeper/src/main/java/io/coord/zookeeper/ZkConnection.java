package io.coord.zookeeper;

import io.coord.BackendUnavailableException;
import io.coord.Primitive;
import io.coord.spi.StatsRecorder;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a session's recipes talk to its ZooKeeper handle, asynchronously: {@link #call} counts
 * the round trip, bounds each attempt by the operation timeout, retries a request that is safe to
 * repeat on the coordinator's scheduler, and translates every result code in one place.
 *
 * <ul>
 *   <li>{@code OK} and the codes the caller declared as {@code answers} (e.g. {@code NONODE} for a
 *       guarded delete) complete the future with a {@link Reply}: they are outcomes, not failures.</li>
 *   <li>{@code CONNECTIONLOSS} / {@code OPERATIONTIMEOUT} (also a client-side timeout of the attempt):
 *       a {@linkplain Retry#REPEATABLE repeatable} request is sent again after a short jittered pause,
 *       until {@value #ATTEMPTS} attempts or the connection timeout have passed; a handle that is
 *       reconnecting fails requests at once, so the pauses are what waits out a member's failover.</li>
 *   <li>{@code NOAUTH}, {@code AUTHFAILED}, {@code SESSIONCLOSEDREQUIRESASLAUTH}: {@link io.coord.AuthenticationException}
 *       ({@link ZkSecurity#refused}), never retried.</li>
 *   <li>{@code SESSIONEXPIRED}: the server dropped the session; the session is told
 *       ({@code sessionExpired}) and the future fails with the {@link io.coord.SessionExpiredException} it returns.</li>
 *   <li>Anything else: {@link BackendUnavailableException}.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Requests are sent from the calling thread; replies arrive on the handle's event thread, where only
 * futures are completed and the next request is sent — nothing blocks there. Retries and attempt
 * deadlines run on the coordinator's scheduler.
 */
final class ZkConnection {

    private static final Logger log = LoggerFactory.getLogger(ZkConnection.class);

    /** Attempts of one repeatable request. */
    static final int ATTEMPTS = 10;

    /** Whether a request may be sent again when its outcome is unknown. */
    enum Retry {
        /** Sent once: a lost reply is reported to the caller as CONNECTIONLOSS (if declared) or as a failure. */
        ONCE,
        /** Reads, and writes guarded so that a repeat changes nothing (a delete of a unique path). */
        REPEATABLE
    }

    /** One asynchronous ZooKeeper request: sends it and hands its result code and value to {@code reply}. */
    @FunctionalInterface
    interface Request<T> {
        void send(ZooKeeper zk, BiConsumer<Code, T> reply);
    }

    /** What the server answered: {@code OK} or one of the codes the caller declared. */
    record Reply<T>(Code code, T value) {
        boolean ok() {
            return code == Code.OK;
        }
    }

    private final ZooKeeper zk;
    private final ZkSecurity security;
    private final StatsRecorder stats;
    private final ScheduledExecutorService scheduler;
    private final Duration operationTimeout;
    private final Duration retryBudget;
    private final Function<String, RuntimeException> sessionExpired;

    /**
     * @param sessionExpired tells the session the server said SESSIONEXPIRED (with why) and returns the
     *                       exception to fail the request with; must not block
     */
    ZkConnection(ZooKeeper zk, ZkSecurity security, StatsRecorder stats, ScheduledExecutorService scheduler, Duration operationTimeout,
                 Duration retryBudget, Function<String, RuntimeException> sessionExpired) {
        this.zk = zk;
        this.security = security;
        this.stats = stats;
        this.scheduler = scheduler;
        this.operationTimeout = operationTimeout;
        this.retryBudget = retryBudget;
        this.sessionExpired = sessionExpired;
    }

    ZooKeeper zk() {
        return zk;
    }

    /** The ACL of a node created at {@code path} (see {@link ZkSecurity}). */
    java.util.List<org.apache.zookeeper.data.ACL> aclFor(String path) {
        return security.aclFor(path);
    }

    /**
     * Sends {@code request} for {@code primitive}; see the class comment for what completes the future
     * how. Cancelling the future stops further retries.
     */
    <T> CompletableFuture<Reply<T>> call(Primitive primitive, String what, Retry retry, Request<T> request, Code... answers) {
        return start(primitive, what, retry, false, request, answers);
    }

    /**
     * {@link #call} for a request whose first attempt the caller has counted already (coord-api's membership
     * counts one round trip per join, update and leave): only the retries are counted here.
     */
    <T> CompletableFuture<Reply<T>> callCountedByCaller(Primitive primitive, String what, Retry retry, Request<T> request,
                                                        Code... answers) {
        return start(primitive, what, retry, true, request, answers);
    }

    private <T> CompletableFuture<Reply<T>> start(Primitive primitive, String what, Retry retry, boolean firstCounted,
                                                  Request<T> request, Code... answers) {
        CompletableFuture<Reply<T>> result = new CompletableFuture<>();
        attempt(primitive, what, retry, firstCounted, request, Set.of(answers), 1, System.nanoTime() + retryBudget.toNanos(), result);
        return result;
    }

    /**
     * Drops {@code watcher} from {@code path} locally and on the server (best effort, never fails): for a
     * wait that ended without its watch firing.
     */
    void removeWatch(Primitive primitive, String path, Watcher watcher) {
        stats.roundTrip(primitive);
        try {
            zk.removeWatches(path, watcher, Watcher.WatcherType.Any, true, (rc, p, ctx) -> {
                // event thread: nothing to do; NOWATCHER means it fired meanwhile
            }, null);
        } catch (RuntimeException e) {
            log.debug("removing a watch on {} failed", path, e);
        }
    }

    private <T> void attempt(Primitive primitive, String what, Retry retry, boolean firstCounted, Request<T> request,
                             Set<Code> answers, int attempt, long giveUp, CompletableFuture<Reply<T>> result) {
        if (result.isDone()) {
            return; // cancelled by the caller
        }
        CompletableFuture<Reply<T>> one = new CompletableFuture<>();
        if (attempt > 1 || !firstCounted) {
            stats.roundTrip(primitive);
        }
        try {
            request.send(zk, (code, value) -> one.complete(new Reply<>(code, value)));
        } catch (RuntimeException e) {
            result.completeExceptionally(new BackendUnavailableException("ZooKeeper: " + what + " failed: " + e, e));
            return;
        }
        ScheduledFuture<?> deadline = scheduler.schedule(() -> one.complete(new Reply<>(Code.OPERATIONTIMEOUT, null)),
                operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
        one.thenAccept(reply -> {
            deadline.cancel(false);
            Code code = reply.code();
            if (code == Code.OK || answers.contains(code)) {
                result.complete(reply);
            } else if (isTransient(code) && retry == Retry.REPEATABLE && attempt < ATTEMPTS && System.nanoTime() - giveUp < 0) {
                long pause = Math.min(500, 25L << Math.min(attempt, 5)) + ThreadLocalRandom.current().nextLong(25);
                log.debug("ZooKeeper: {} got {}, attempt {} of {}; retrying in {} ms", what, code, attempt, ATTEMPTS, pause);
                scheduler.schedule(() -> attempt(primitive, what, retry, firstCounted, request, answers, attempt + 1, giveUp, result),
                        pause, TimeUnit.MILLISECONDS);
            } else {
                result.completeExceptionally(translate(what, code, attempt));
            }
        });
    }

    private RuntimeException translate(String what, Code code, int attempts) {
        if (code == Code.SESSIONEXPIRED) {
            return sessionExpired.apply("ZooKeeper answered SESSIONEXPIRED to " + what);
        }
        if (ZkSecurity.isRefusal(code)) {
            return security.refused(what, code);
        }
        String tries = attempts > 1 ? " after " + attempts + " attempts" : "";
        return new BackendUnavailableException("ZooKeeper: " + what + " failed" + tries + ": " + code,
                KeeperException.create(code));
    }

    static boolean isTransient(Code code) {
        return code == Code.CONNECTIONLOSS || code == Code.OPERATIONTIMEOUT;
    }
}
