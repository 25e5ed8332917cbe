package io.coord.examples.crontab;

import io.coord.Session;
import io.coord.examples.Timeline;
import io.coord.examples.crontab.FencedStore.State;
import io.coord.shard.ShardListener;
import io.coord.shard.ShardOwnership;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One node of the distributed crontab. It has its own {@link io.coord.Coordinator} (its own client, as a separate
 * process would), which reaches the servers through its own {@link WorkerNetwork}, its own {@link Session}, and a
 * runner thread of its own that runs its jobs.
 *
 * <h2>Algorithm: shard ownership, a durable watermark per job, catch-up</h2>
 * Every worker is a sharding member of one group ({@code session.shards("crontab", name, shards, this)}); job
 * {@code j} lives on shard {@code j % shards}, and a worker runs the jobs of the shards it owns. When it is
 * {@linkplain #assigned assigned} a shard it reads each of the shard's jobs from the {@link FencedStore} — the
 * watermark (the last tick done), whether it is paused, how far the run of the next tick got — and runs, in order,
 * every tick after the watermark: at once those already due (they fell due while nobody owned the shard, during a
 * failover or a handover: <b>caught up</b>), then each at its due time. A run writes INIT, RUNNING, then SUCCESS
 * (which moves the watermark) or FAILED; a FAILED run is RETRYING after 1 s, 2 s, then 4 s, and after the third
 * retry fails the job's alert is raised and it is PAUSED (in the store, so no later owner resumes it). Every write
 * carries the shard's fencing token. When the shard is {@linkplain #revoked revoked} the worker stops its jobs
 * before returning, so a moved shard's next owner starts from a watermark nobody moves any more.
 *
 * <h2>Why no tick is lost and none runs twice</h2>
 * <ul>
 *   <li><b>None twice:</b> the store accepts a tick's SUCCESS only while the tick is after the watermark, and moves
 *       the watermark with it, in one step; and it checks the token: coord's shard lock gives every new owner a
 *       token greater than every earlier owner's, so once the new owner has written, everything the old one still
 *       sends is refused. A paused or partitioned old owner (its session expired, its locks freed at the server)
 *       cannot complete a run the new one is running again.</li>
 *   <li><b>None lost:</b> the watermark is durable and moves only by one tick per SUCCESS, and whoever owns the
 *       shard starts from it, so every tick after it is run by some owner, late if need be. A shard has an owner
 *       again within about one TTL of a crash (the dead member's session must end at the server first).</li>
 * </ul>
 *
 * <p>Threads: the ownership calls {@link #assigned} and {@link #revoked} on its own thread, one at a time; both hand
 * the work to the runner and {@code revoked} waits for it, so every run and all of {@link ShardRun}'s state are
 * touched by the runner thread only. Retries and due ticks are scheduled on the runner.
 */
final class Worker implements ShardListener {

    /** The group every worker shards: its shard locks are {@code ShardOwnership.lockName("crontab", s)}. */
    static final String GROUP = "crontab";

    /** Retries after a FAILED run: 1 s, 2 s, 4 s; after that the job is paused. */
    static final int MAX_RETRIES = 3;

    /**
     * When each tick is due, in wall-clock milliseconds; every job ticks on it. All workers agree on it (here they
     * share the start time; separate processes would number ticks by wall-clock seconds, as cron does).
     */
    record Schedule(long firstDueMillis, long periodMillis, int ticks) {

        long dueMillis(long tick) {
            return firstDueMillis + (tick - 1) * periodMillis;
        }

        long endMillis() {
            return dueMillis(ticks);
        }
    }

    /** The owner's hold of one shard: its token, since when, and what is scheduled. Runner thread only. */
    private static final class ShardRun {
        final int shard;
        final long token;
        final long assignedAtMillis;
        final List<ScheduledFuture<?>> scheduled = new ArrayList<>();
        boolean stopped;

        ShardRun(int shard, long token, long assignedAtMillis) {
            this.shard = shard;
            this.token = token;
            this.assignedAtMillis = assignedAtMillis;
        }
    }

    private final String name;
    private final WorkerNetwork network;
    private final Session session;
    private final Duration ttl;
    private final List<Job> crontab;
    private final int shardCount;
    private final FencedStore store;
    private final CrashPlan crashPlan;
    private final Timeline console;
    private final ScheduledThreadPoolExecutor runner;
    private final Map<Integer, ShardRun> shards = new HashMap<>();     // runner thread only
    private Schedule schedule;                                         // runner thread only; null until begin()
    private volatile ShardOwnership ownership;
    private volatile boolean crashed;
    private volatile boolean quiet;

    Worker(String name, WorkerNetwork network, Session session, Duration ttl, List<Job> crontab,
           int shardCount, FencedStore store, CrashPlan crashPlan, Timeline console) {
        this.name = name;
        this.network = network;
        this.session = session;
        this.ttl = ttl;
        this.crontab = crontab;
        this.shardCount = shardCount;
        this.store = store;
        this.crashPlan = crashPlan;
        this.console = console;
        this.runner = new ScheduledThreadPoolExecutor(1, r -> new Thread(r, "crontab-" + name));
        this.runner.setRemoveOnCancelPolicy(true);
    }

    String name() {
        return name;
    }

    /** Joins the group as a sharding member; shards are assigned in the background, their jobs wait for begin. */
    void join() {
        ownership = session.shards(GROUP, name, shardCount, this);
    }

    /** Starts the jobs of the shards owned, and of every shard owned from now on, on {@code schedule}. */
    void begin(Schedule schedule) {
        onRunner(() -> {
            this.schedule = schedule;
            shards.values().forEach(this::resumeAll);
        });
    }

    ShardOwnership ownership() {
        return ownership;
    }

    boolean crashed() {
        return crashed;
    }

    /** Stops printing ownership changes: the run is over, and the workers are about to close. */
    void quiet() {
        quiet = true;
    }

    /** Gives every shard up (revoked, released, left), then stops the runner. */
    void stop() throws InterruptedException {
        quiet = true;
        if (ownership != null) {
            ownership.close();
        }
        runner.shutdownNow();
        runner.awaitTermination(5, TimeUnit.SECONDS);
    }

    // ---- the ownership's thread -------------------------------------------------------------

    @Override
    public void assigned(int shard, long fencingToken) {
        long at = System.currentTimeMillis();
        crashPlan.assigned(name, shard, fencingToken);
        if (!quiet) {
            console.say("%s owns shard %d (token %d)%s", name, shard, fencingToken, jobsOn(shard));
        }
        onRunner(() -> own(new ShardRun(shard, fencingToken, at)));
    }

    @Override
    public void revoked(int shard, boolean lost) {
        if (!quiet) {
            console.say("%s gives up shard %d (%s)", name, shard,
                    lost ? "LOST: its session or lock is gone" : "moved: stops its jobs, then the lock is released");
        }
        Future<?> stopped = onRunner(() -> giveUp(shard));
        if (stopped == null || crashed) {
            return;                                       // a frozen runner notices when it wakes, if ever
        }
        try {
            stopped.get(10, TimeUnit.SECONDS);            // a run in progress ends first
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            console.say("%s: stopping shard %d: %s", name, shard, e);
        }
    }

    private Future<?> onRunner(Runnable task) {
        try {
            return runner.submit(task);
        } catch (RejectedExecutionException e) {
            return null;                                  // stopped: nothing runs any more
        }
    }

    // ---- the runner thread ------------------------------------------------------------------

    private void own(ShardRun run) {
        ShardRun before = shards.put(run.shard, run);
        if (before != null) {
            stop(before);
        }
        if (schedule != null && !quiet) {             // quiet: the run is over, the workers are closing
            resumeAll(run);
        }
    }

    private void resumeAll(ShardRun run) {
        for (Job job : crontab) {
            if (job.shard() == run.shard) {
                resume(run, job);
            }
        }
    }

    private void giveUp(int shard) {
        ShardRun run = shards.remove(shard);
        if (run != null) {
            stop(run);
        }
    }

    private static void stop(ShardRun run) {
        run.stopped = true;
        run.scheduled.forEach(f -> f.cancel(false));
        run.scheduled.clear();
    }

    /** Picks a job up from the store: where its watermark is, and how far the next tick's run got. */
    private void resume(ShardRun run, Job job) {
        FencedStore.JobRecord r = store.read(job.name());
        long tick = r.watermark() + 1;
        if (r.paused()) {
            console.say("%s: %s is paused (its alert was raised at tick %d): not scheduled", name, job.name(), tick);
            return;
        }
        if (r.runState() == State.RETRYING) {
            console.say("%s: %s resumes tick %d at its retry %d (from the store)", name, job.name(), tick, r.runAttempt());
            later(run, () -> attempt(run, job, tick, r.runAttempt() + 1, System.currentTimeMillis()),
                    r.retryAtMillis() - System.currentTimeMillis());
        } else if (r.runState() == State.FAILED) {
            afterFailure(run, job, tick, r.runAttempt(), System.currentTimeMillis());
        } else {
            if (r.runState() != null && tick <= schedule.ticks()) {   // INIT or RUNNING: its owner stopped mid-run
                console.say("%s: %s's tick %d is %s by its previous owner: runs it again", name, job.name(), tick, r.runState());
            }
            start(run, job, tick, Math.max(1, r.runAttempt()));          // the interrupted attempt again, not a retry
        }
    }

    /** Starts the run of {@code tick} at its due time, or at once if it is due (a catch-up if it fell due unowned). */
    private void start(ShardRun run, Job job, long tick, int attempt) {
        if (run.stopped || tick > schedule.ticks()) {
            return;
        }
        long wait = schedule.dueMillis(tick) - System.currentTimeMillis();
        if (wait > 0) {
            later(run, () -> start(run, job, tick, attempt), wait);
            return;
        }
        long started = System.currentTimeMillis();
        if (write(run, job, tick, attempt, State.INIT, started, 0)) {
            attempt(run, job, tick, attempt, started);
        }
    }

    private void attempt(ShardRun run, Job job, long tick, int attempt, long started) {
        if (run.stopped || !write(run, job, tick, attempt, State.RUNNING, started, 0)) {
            return;
        }
        if (crashPlan.shouldCrash(name, job, tick, run.token)) {
            crashAndWakeUpAsZombie(run, job, tick, attempt, started);
            return;
        }
        if (job.succeeds(tick, attempt)) {
            if (write(run, job, tick, attempt, State.SUCCESS, started, 0)) {
                start(run, job, tick + 1, 1);
            }
            return;
        }
        if (write(run, job, tick, attempt, State.FAILED, started, 0)) {
            afterFailure(run, job, tick, attempt, started);
        }
    }

    /** After attempt {@code attempt} failed: RETRYING after 1, 2, 4 s, or, after the third retry, alert + paused. */
    private void afterFailure(ShardRun run, Job job, long tick, int attempt, long started) {
        if (attempt > MAX_RETRIES) {
            if (write(run, job, tick, attempt, State.PAUSED, started, 0)) {
                console.say("ALERT  %s failed tick %d %d times (%d retries): PAUSED — no later tick runs until someone resumes it",
                        job.name(), tick, attempt, MAX_RETRIES);
            }
            return;
        }
        long backoff = TimeUnit.SECONDS.toMillis(1L << (attempt - 1));
        if (write(run, job, tick, attempt, State.RETRYING, started, System.currentTimeMillis() + backoff)) {
            later(run, () -> attempt(run, job, tick, attempt + 1, started), backoff);
        }
    }

    /**
     * The crash job's owner is in the middle of a run — RUNNING is written, the work is done, SUCCESS is next — when
     * it is cut off from the cluster (its network partitioned, as a frozen process would be; see {@link CrashPlan}).
     * For the cluster it is dead: its session stops renewing, nothing is released, and the server frees its session
     * and shard locks when the TTL runs out. Its runner, like a frozen process, does nothing more (its other shards'
     * ticks stop too) until the worst moment — after the shard's new owner has written — and then finishes what it
     * was doing: the SUCCESS, with its old token. It does not look at its session (which has expired locally by
     * then): a process that checked its lease just before a pause could not have known either. Only the store can
     * stop it. Then it finds its session gone and stops, as a process that restarts would.
     */
    private void crashAndWakeUpAsZombie(ShardRun run, Job job, long tick, int attempt, long started) {
        crashed = true;
        network.cutOff();
        console.say("tick %3d  %-14s %s is CUT OFF from the cluster mid-run (shard %d, token %d): its network is "
                + "partitioned, as a frozen process would be; its session stops renewing, nothing is released",
                tick, job.name(), name, run.shard, run.token);
        long deadline = System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(Math.max(0, schedule.endMillis() - System.currentTimeMillis()))
                + 3 * ttl.toNanos();
        try {
            if (!store.awaitTokenAbove(run.shard, run.token, deadline)) {
                console.say("%s never wakes up: no newer owner of shard %d wrote before the end", name, run.shard);
            } else {
                console.say("%s wakes up as a zombie (its session is %s locally; it does not look), still believing it "
                        + "owns shard %d, and finishes its run of %s tick %d", name, session.state(), run.shard, job.name(), tick);
                FencedStore.Attempt zombie = store.write(transition(run, job, tick, attempt, State.SUCCESS, started, 0));
                crashPlan.zombieWrote(zombie);
                console.say("tick %3d  %-14s %-9s token %-6d %s   <- zombie", tick, job.name(), name, run.token, describe(zombie));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        console.say("%s finds its session %s and stops running jobs (restarted, it would join as a new member)",
                name, session.state());
        shards.values().forEach(Worker::stop);
        runner.shutdownNow();
    }

    /** Writes one transition; on a rejection the worker stops the shard (stale token) or picks the job up again. */
    private boolean write(ShardRun run, Job job, long tick, int attempt, State state, long started, long retryAt) {
        FencedStore.Attempt a = store.write(transition(run, job, tick, attempt, state, started, retryAt));
        FencedStore.Transition t = a.write();
        if (a.accepted()) {
            if (state == State.SUCCESS || state == State.FAILED || state == State.RETRYING) {
                String late = t.caughtUp()
                        ? String.format(" (caught up, started %.2f s after due)", (started - t.dueMillis()) / 1000.0) : "";
                String retry = state == State.RETRYING
                        ? String.format(" in %d s (retry %d of %d)", (retryAt - System.currentTimeMillis() + 500) / 1000, attempt, MAX_RETRIES)
                        : attempt > 1 ? " (attempt " + attempt + ")" : "";
                console.say("tick %3d  %-14s %-9s token %-6d %s%s%s", tick, job.name(), name, run.token, state, retry, late);
            }
            return true;
        }
        console.say("tick %3d  %-14s %-9s token %-6d %s %s", tick, job.name(), name, run.token, state, describe(a));
        if (a.outcome() == FencedStore.Outcome.REJECTED_STALE_TOKEN) {
            stop(run);                                    // a newer owner has the shard
        } else {
            resume(run, job);                             // done already: go on from the watermark
        }
        return false;
    }

    private FencedStore.Transition transition(ShardRun run, Job job, long tick, int attempt, State state, long started, long retryAt) {
        long due = schedule.dueMillis(tick);
        return new FencedStore.Transition(job.name(), job.shard(), tick, attempt, state, name, run.token,
                due, started, due < run.assignedAtMillis, retryAt);
    }

    private void later(ShardRun run, Runnable task, long delayMillis) {
        if (run.stopped) {
            return;
        }
        run.scheduled.removeIf(Future::isDone);
        try {
            run.scheduled.add(runner.schedule(task, Math.max(0, delayMillis), TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException e) {
            // stopped
        }
    }

    private String jobsOn(int shard) {
        List<String> names = crontab.stream().filter(j -> j.shard() == shard).map(Job::name).toList();
        return names.isEmpty() ? ": no job" : ": " + String.join(", ", names);
    }

    static String describe(FencedStore.Attempt write) {
        return switch (write.outcome()) {
            case ACCEPTED -> "accepted";
            case REJECTED_STALE_TOKEN -> "REJECTED: stale token (store has seen " + write.highestBefore() + ")";
            case REJECTED_TICK_ALREADY_RUN -> "REJECTED: tick already ran";
        };
    }
}
