package io.coord.examples.crontab;

import io.coord.CoordException;
import io.coord.Coordinator;
import io.coord.NotLeaderException;
import io.coord.Session;
import io.coord.election.Leadership;
import io.coord.examples.Timeline;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One node of the distributed crontab. It has its own {@link Coordinator} (its own client, as a
 * separate process would), which reaches the servers through its own {@link WorkerNetwork}, and
 * its own {@link Session}, and runs on its own thread.
 *
 * <h2>Algorithm: leader election, with the term as the fencing token</h2>
 * Every worker campaigns in one election for the job. The leader runs each tick that falls due
 * while it leads and writes {@code (tick, worker, term)} to the {@link FencedStore}; the others
 * wait in the campaign (one round trip per leadership, not per tick). When the leader dies, its
 * session stops renewing, the server drops it once the TTL has run out, and the next candidate in
 * line becomes leader, with a strictly greater term, and goes on from the next tick that falls
 * due. Like cron, ticks missed during the failover are not caught up.
 *
 * <h2>Why a tick is never accepted twice</h2>
 * Leases alone cannot promise it: a leader that freezes (GC pause, SIGSTOP, swapped out) longer
 * than its TTL wakes up still believing it leads, while a successor already runs the job. So the
 * store decides, in one atomic step per write:
 * <ul>
 *   <li>it <b>dedupes by tick</b>: once a tick has an accepted write, no other write for that tick
 *       is accepted, whoever sends it with whatever token;</li>
 *   <li>it <b>checks the token</b>: coord's election gives every new leader a term strictly
 *       greater than all earlier ones, so as soon as a successor has written, every write of an
 *       older leader carries a smaller token and is refused. The dedupe alone would not stop the
 *       zombie of this demo: its tick fell in the failover gap, nobody else ran it, and without
 *       the token check it would be accepted late, after (and interleaved with) the new leader's
 *       writes.</li>
 * </ul>
 * Within one term there is a single leader thread visiting ticks in increasing order, each once.
 * The election keeps duplicates from being attempted in the normal case; the fenced store makes
 * them impossible to accept in every case.
 *
 * <p>Threads: {@link #run()} runs on the worker's own thread and is the only code touching
 * {@link #session}. It ends when the schedule is over, when the worker has crashed and written its
 * zombie write, or when interrupted.
 */
final class Worker implements Runnable {

    /** The election every worker campaigns in; names may contain '/'. */
    static final String JOB = "crontab/every-tick-job";

    private static final long RETRY_PAUSE_MS = 200;

    /**
     * When each tick is due, in wall-clock milliseconds. All workers agree on it (here they share
     * the start time; separate processes would number ticks by wall-clock seconds, as cron does).
     */
    record Schedule(long firstDueMillis, long periodMillis, int ticks) {

        long dueMillis(long tick) {
            return firstDueMillis + (tick - 1) * periodMillis;
        }

        long endMillis() {
            return dueMillis(ticks);
        }

        /** The first tick not yet due at {@code nowMillis} (may be past the last one). */
        long firstTickDueAtOrAfter(long nowMillis) {
            if (nowMillis <= firstDueMillis) {
                return 1;
            }
            return (nowMillis - firstDueMillis + periodMillis - 1) / periodMillis + 1;
        }
    }

    private final String name;
    private final Coordinator coordinator;
    private final WorkerNetwork network;
    private final Duration ttl;
    private final Schedule schedule;
    private final FencedStore store;
    private final CrashPlan crashPlan;
    private final Timeline console;
    private Session session;                          // only touched by the worker's thread

    Worker(String name, Coordinator coordinator, WorkerNetwork network, Session session, Duration ttl,
           Schedule schedule, FencedStore store, CrashPlan crashPlan, Timeline console) {
        this.name = name;
        this.coordinator = coordinator;
        this.network = network;
        this.session = session;
        this.ttl = ttl;
        this.schedule = schedule;
        this.store = store;
        this.crashPlan = crashPlan;
        this.console = console;
    }

    String name() {
        return name;
    }

    @Override
    public void run() {
        try {
            while (System.currentTimeMillis() < schedule.endMillis()) {
                if (!campaignAndLead()) {
                    return;                               // cut off: the zombie has done its write
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();           // main asked us to stop: just end
        }
    }

    /** One campaign and, if won, one leadership. Returns false if this worker was cut off. */
    private boolean campaignAndLead() throws InterruptedException {
        Leadership leadership;
        try {
            if (session.state().isTerminal()) {          // e.g. expired under load: a real node reconnects
                console.say("%s: session %s is %s, opening a new one", name, session.id(), session.state());
                session = coordinator.openSession(ttl);
            }
            long untilEnd = Math.max(1, schedule.endMillis() - System.currentTimeMillis());
            Optional<Leadership> won = session.election(JOB).campaign(name, Duration.ofMillis(untilEnd));
            if (won.isEmpty()) {
                return true;                              // the schedule is over
            }
            leadership = won.get();
        } catch (CoordException e) {
            console.say("%s: %s; retrying", name, e.getMessage());
            TimeUnit.MILLISECONDS.sleep(RETRY_PAUSE_MS);
            return true;
        }
        return lead(leadership);
    }

    private boolean lead(Leadership leadership) throws InterruptedException {
        long term = leadership.term();
        long tick = schedule.firstTickDueAtOrAfter(System.currentTimeMillis());
        if (tick <= schedule.ticks()) {
            crashPlan.elected(name, term);
            console.say("%s leads (term %d), from tick %d", name, term, tick);
        }
        for (; tick <= schedule.ticks(); tick++) {
            if (lostBefore(leadership, schedule.dueMillis(tick))) {
                console.say("%s lost its leadership (term %d); campaigning again", name, term);
                return true;
            }
            if (crashPlan.shouldCrash(name, tick, term)) {
                crashAndWakeUpAsZombie(tick, term);
                return false;
            }
            FencedStore.Attempt write = store.write(tick, name, term);
            console.say("tick %3d  %-9s token %-12d %s", tick, name, term, describe(write));
        }
        try {
            leadership.resign();                          // schedule done: let the others stop too
        } catch (NotLeaderException e) {
            // lost at the very end: nothing to hand over
        }
        return true;
    }

    /**
     * The leader has checked that it leads and is about to write tick {@code tick}, when it is cut
     * off from the cluster (its network partitioned, as a frozen process would be; see
     * {@link CrashPlan}). For the cluster it is dead: its session stops renewing, nothing is
     * released, and the server frees its session when the TTL runs out. Its thread keeps running
     * but, like a frozen process, does nothing more until the worst moment — after a successor has
     * taken over and written — and then finishes what it was doing: the write, with its old token.
     * It does not look at its session (which has expired locally by then): a process that checked
     * its lease just before a pause could not have known either. Only the store can stop it.
     */
    private void crashAndWakeUpAsZombie(long tick, long term) throws InterruptedException {
        network.cutOff();
        console.say("tick %3d  %-9s is CUT OFF from the cluster while leading (term %d): its network is "
                + "partitioned, as a frozen process would be; its session stops renewing, nothing is released",
                tick, name, term);
        long deadline = System.nanoTime()
                + TimeUnit.MILLISECONDS.toNanos(Math.max(0, schedule.endMillis() - System.currentTimeMillis()))
                + 3 * ttl.toNanos();
        if (!store.awaitTokenAbove(term, deadline)) {
            console.say("%s never wakes up: no newer leader wrote before the end", name);
            return;
        }
        console.say("%s wakes up as a zombie (its session is %s locally; it does not look), still believing "
                + "it leads, and finishes its write of tick %d", name, session.state(), tick);
        FencedStore.Attempt write = store.write(tick, name, term);
        crashPlan.zombieWrote(write);
        console.say("tick %3d  %-9s token %-12d %s   <- zombie", tick, name, term, describe(write));
    }

    /** Sleeps until {@code dueMillis}, waking early if the leadership is lost; true if it was lost. */
    private static boolean lostBefore(Leadership leadership, long dueMillis) throws InterruptedException {
        long delay = dueMillis - System.currentTimeMillis();
        if (delay > 0) {
            try {
                leadership.whenLost().get(delay, TimeUnit.MILLISECONDS);
                return true;
            } catch (TimeoutException e) {
                // due: go on
            } catch (ExecutionException e) {
                return true;
            }
        }
        return !leadership.isLeader();
    }

    private static String describe(FencedStore.Attempt write) {
        return switch (write.outcome()) {
            case ACCEPTED -> "accepted";
            case REJECTED_STALE_TOKEN -> "REJECTED: stale token (store has seen " + write.highestBefore() + ")";
            case REJECTED_TICK_ALREADY_RUN -> "REJECTED: tick already ran";
        };
    }
}
