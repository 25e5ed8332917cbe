package io.coord.examples.crontab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.coord.examples.EmbeddedZooKeeper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Runs the crontab demo on the embedded ZooKeeper with a short schedule, and checks its parts. */
class CrontabDemoTest {

    @Test
    void noTickIsLostOrRunTwiceTheFailoverIsCaughtUpAndTheZombiesStaleWriteIsRejected() throws Exception {
        CrontabDemo.Config config = CrontabDemo.Config.parse("--ticks", "10", "--crash-at", "3", "--fail-from", "2", "--ttl", "2s");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        Summary summary = CrontabDemo.run(config, new PrintStream(printed, true, StandardCharsets.UTF_8));

        String story = printed.toString(StandardCharsets.UTF_8);
        System.out.print(story);                          // kept in the surefire report
        assertEquals(0, summary.exitStatus(), story);
        assertEquals(6 * 10, summary.scheduled());
        assertEquals(0, summary.duplicated(), story);
        assertEquals(List.of(), summary.lost(), story);
        assertEquals(0, summary.staleAccepted(), story);
        assertTrue(story.contains("duplicated          0"), story);
        assertTrue(story.contains("lost                0"), story);

        // the failover: the crash job's shard has a new owner with a greater token, which caught up from the watermark
        CrashPlan.Failover failover = summary.failover().orElseThrow(() -> new AssertionError("no crash happened\n" + story));
        assertTrue(failover.crashTick() >= 3, story);
        assertNotNull(failover.successor(), "nobody took the shard over after the crash\n" + story);
        assertTrue(failover.successorToken() > failover.crashedToken(), story);
        assertTrue(summary.caughtUp().contains(failover.job() + "@" + failover.crashTick()), story);
        assertTrue(summary.runsPerWorker().containsKey(failover.successor()), story);
        assertTrue(story.matches("(?s).*tick +" + failover.crashTick() + " +" + failover.job() + " +" + failover.crashed()
                + " is CUT OFF from the cluster mid-run.*"), story);

        // the zombie's late SUCCESS with its old token
        FencedStore.Attempt zombie = failover.zombieWrite();
        assertNotNull(zombie, "the crashed worker never tried its stale write\n" + story);
        assertEquals(failover.crashed(), zombie.write().worker());
        assertEquals(FencedStore.Outcome.REJECTED_STALE_TOKEN, zombie.outcome(), story);
        assertTrue(summary.staleRejected() >= 1, story);
        assertTrue(story.contains("<- zombie"), story);

        // the failing job: RETRYING after 1, 2, 4 s, then alert + paused; the flaky one recovers on its retry
        assertEquals(List.of(new Summary.Paused(Job.FAILING, 2, 3, 9)), summary.paused(), story);
        assertEquals(3 + 1, summary.retries(), story);
        assertTrue(story.contains("RETRYING in 1 s (retry 1 of 3)"), story);
        assertTrue(story.contains("RETRYING in 2 s (retry 2 of 3)"), story);
        assertTrue(story.contains("RETRYING in 4 s (retry 3 of 3)"), story);
        assertTrue(story.contains("ALERT  " + Job.FAILING + " failed tick 2 4 times (3 retries): PAUSED"), story);
        assertEquals(6 * 10 - 9, summary.run(), story);
        assertEquals(summary.run(), summary.delayHistogram().stream().mapToInt(Integer::intValue).sum());

        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("crontab-")), "a worker thread outlived the run");
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().startsWith("coord-proxy-")), "a proxy thread outlived the run");
    }

    @Test
    void aRedisClusterUriWithACrashIsRefusedAtOnceSayingWhy() {
        String cluster = "redis://127.0.0.1:7000,127.0.0.1:7001/demo?cluster=true";
        String message = assertThrows(IllegalArgumentException.class,
                () -> CrontabDemo.Config.parse(cluster, "--crash-at", "3")).getMessage();
        assertTrue(message.contains("Redis Cluster"), message);
        assertTrue(message.contains("redirects"), message);
        assertTrue(message.contains("--crash-at 0 runs without the crash"), message);
        assertThrows(IllegalArgumentException.class, () -> CrontabDemo.Config.parse(cluster));   // default --crash-at 8
        assertEquals(0, CrontabDemo.Config.parse(cluster, "--crash-at", "0").crashAt());
        // run() refuses too, before it opens anything (nothing listens on these ports)
        CrontabDemo.Config direct = new CrontabDemo.Config(cluster, 5, 2, Duration.ofSeconds(2), Duration.ofSeconds(1), 3, 6, 8, 4);
        String fromRun = assertThrows(IllegalArgumentException.class,
                () -> CrontabDemo.run(direct, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
                .getMessage();
        assertTrue(fromRun.contains("--crash-at 0"), fromRun);
        assertEquals(0, CrontabDemo.Config.parse("redis://127.0.0.1:6379/demo?cluster=false", "--crash-at", "3").crashAt() - 3);
    }

    @Test
    void theBackendUriKeepsEverythingButItsEndpoints() {
        BackendUri u = BackendUri.parse("redis://user:s%40cret@db1,db2:6380/jobs?timeout=5s");
        assertEquals(List.of(new BackendUri.Endpoint("db1", 6379), new BackendUri.Endpoint("db2", 6380)), u.endpoints());
        assertEquals("redis://user:s%40cret@127.0.0.1:1000,127.0.0.1:1001/jobs?timeout=5s",
                u.withEndpoints(List.of(new BackendUri.Endpoint("127.0.0.1", 1000), new BackendUri.Endpoint("127.0.0.1", 1001)))
                        .toString());
        assertEquals(List.of(new BackendUri.Endpoint("::1", 2379)), BackendUri.parse("etcd://[::1]/demo").endpoints());
        assertEquals("etcd://[::1]:2379/demo", BackendUri.parse("etcd://[::1]/demo").toString());
        assertEquals(2181, BackendUri.parse("zookeeper://zk").endpoints().get(0).port());
        assertEquals("zookeeper://zk:2181", BackendUri.parse("zookeeper://zk").toString());
        assertTrue(BackendUri.parse("rediss://h/ns?timeout=1s&cluster=true").isRedisCluster());
        assertTrue(!BackendUri.parse("etcd://h/ns?cluster=true").isRedisCluster());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BackendUri.parse("etcd://h:99999/ns"))
                .getMessage().contains("bad endpoint"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BackendUri.parse("127.0.0.1:2379"))
                .getMessage().contains("no scheme"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BackendUri.parse("etcd:///ns"))
                .getMessage().contains("names no server"));
    }

    @Test
    void theStoreRejectsStaleTokensAndTicksThatAlreadyRan() throws Exception {
        try (EmbeddedZooKeeper zookeeper = EmbeddedZooKeeper.start(200)) {
            org.apache.zookeeper.ZooKeeper client = EmbeddedZooKeeper.connect(zookeeper.connectString());
            try {
                checkStore(new FencedStore(io.coord.fencing.ZooKeeperFence.of(client), "crontab/test"));
            } finally {
                client.close();
            }
        }
    }

    private static void checkStore(FencedStore store) {
        assertEquals(FencedStore.Outcome.ACCEPTED, store.write(write("a", 1, FencedStore.State.SUCCESS, "w1", 5)).outcome());
        assertEquals(FencedStore.Outcome.ACCEPTED, store.write(write("a", 2, FencedStore.State.RUNNING, "w1", 5)).outcome());
        assertEquals(FencedStore.Outcome.ACCEPTED, store.write(write("a", 2, FencedStore.State.SUCCESS, "w1", 5)).outcome());
        assertEquals(2, store.read("a").watermark());
        assertEquals(FencedStore.Outcome.REJECTED_TICK_ALREADY_RUN, store.write(write("a", 2, FencedStore.State.SUCCESS, "w2", 9)).outcome());
        assertEquals(FencedStore.Outcome.ACCEPTED, store.write(write("a", 3, FencedStore.State.RUNNING, "w2", 9)).outcome());
        assertEquals(FencedStore.Outcome.REJECTED_STALE_TOKEN, store.write(write("a", 3, FencedStore.State.SUCCESS, "w1", 5)).outcome());
        assertEquals(9, store.attempts().get(5).highestBefore());
        assertEquals(new FencedStore.JobRecord(2, false, FencedStore.State.RUNNING, 1, 0), store.read("a"));
        assertEquals(FencedStore.Outcome.ACCEPTED, store.write(write("b", 1, FencedStore.State.PAUSED, "w1", 5)).outcome()); // another shard
        assertTrue(store.read("b").paused());
    }

    private static FencedStore.Transition write(String job, long tick, FencedStore.State state, String worker, long token) {
        return new FencedStore.Transition(job, job.equals("a") ? 0 : 1, tick, 1, state, worker, token, 0, 0, false, 0);
    }

    @Test
    void theSummaryFailsTheRunOnADuplicateALostTickOrAStaleAcceptedWrite() {
        var ok = FencedStore.Outcome.ACCEPTED;
        var success = FencedStore.State.SUCCESS;
        List<FencedStore.Attempt> broken = List.of(
                new FencedStore.Attempt(1, write("a", 1, success, "w1", 5), ok, 0),
                new FencedStore.Attempt(2, write("a", 1, success, "w2", 9), ok, 5),    // tick 1 twice
                new FencedStore.Attempt(3, write("a", 3, success, "w1", 5), ok, 9));   // token 5 after 9; tick 2 lost
        List<Job> crontab = List.of(new Job(0, "a", 0, 0, 0));
        Summary summary = Summary.of("test://", 2, Duration.ofSeconds(2), Duration.ofSeconds(1), crontab, 1, 3, broken, Optional.empty());
        assertEquals(1, summary.duplicated());
        assertEquals(1, summary.staleAccepted());
        assertEquals(List.of("a@2"), summary.lost());
        assertEquals(1, summary.exitStatus());
        assertEquals(3, summary.violations().size(), summary.violations().toString());

        List<FencedStore.Attempt> paused = List.of(
                new FencedStore.Attempt(1, write("a", 1, success, "w1", 5), ok, 0),
                new FencedStore.Attempt(2, new FencedStore.Transition("a", 0, 2, 4, FencedStore.State.PAUSED, "w1", 5, 0, 0, false, 0), ok, 5));
        Summary whilePaused = Summary.of("test://", 1, Duration.ofSeconds(2), Duration.ofSeconds(1), crontab, 1, 3, paused, Optional.empty());
        assertEquals(List.of(), whilePaused.lost());                            // ticks 2 and 3 wait behind the alert
        assertEquals(List.of(new Summary.Paused("a", 2, 3, 2)), whilePaused.paused());
        assertEquals(0, whilePaused.exitStatus());
    }

    @Test
    void badArgumentsAreRejectedWithAReason() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrontabDemo.Config.parse("--ticks", "0"))
                .getMessage().contains("--ticks must be an integer from 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrontabDemo.Config.parse("--ttl", "soon"))
                .getMessage().contains("duration such as 2s"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrontabDemo.Config.parse("--ticks", "5", "--crash-at", "6"))
                .getMessage().contains("after the last tick"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrontabDemo.Config.parse("--frobnicate", "1"))
                .getMessage().contains("unknown option"));
        CrontabDemo.Config c = CrontabDemo.Config.parse("redis://127.0.0.1:6379/demo", "--ttl", "1500ms");
        assertEquals("redis://127.0.0.1:6379/demo", c.uri());
        assertEquals(Duration.ofMillis(1500), c.ttl());
        assertEquals(20, c.ticks());
        assertEquals(8, c.shards());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> CrontabDemo.Config.parse("--ticks", "5", "--fail-from", "6"))
                .getMessage().contains("after the last tick"));
    }
}
