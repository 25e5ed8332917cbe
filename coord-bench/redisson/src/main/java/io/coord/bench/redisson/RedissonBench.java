package io.coord.bench.redisson;

import io.coord.bench.Measure;
import io.coord.bench.Participant;
import java.util.List;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * The Redisson peers (RLock, RFairLock), run in their own JVM by coord-bench's Bench (Redisson needs
 * netty 4.1). Args: host port warmup cycles durationMillis. Prints result rows as "ROW\t..." lines.
 * Each participant is its own RedissonClient (small pools, 2 netty threads, so 64 of them fit on 2 cores).
 */
public final class RedissonBench {

    private RedissonBench() {
    }

    public static void main(String[] args) throws Exception {
        String address = "redis://" + args[0] + ":" + args[1];
        int warmup = Integer.parseInt(args[2]);
        int cycles = Integer.parseInt(args[3]);
        long duration = Long.parseLong(args[4]);
        int seq = 0;
        for (boolean fair : new boolean[] {false, true}) {
            String subject = fair ? "Redisson RFairLock (fair)" : "Redisson RLock";
            Participant.Factory f = factory(address, fair);
            try (Participant p = f.open("bench-redisson-u-" + (++seq))) {
                Measure.Uncontended u = Measure.uncontended(p, warmup, cycles);
                System.out.println(Measure.row("uncontended", "redis", subject, u.p50Micros(), u.p99Micros(), u.cycles()));
            } catch (Exception e) {
                System.out.println(Measure.row("uncontended", "redis", subject, "error", e.toString(), 0));
            }
            for (int n : List.of(4, 32, 64)) {
                try {
                    Measure.Contended c = Measure.contended(f, "bench-redisson-c-" + (++seq), n, duration);
                    System.out.println(Measure.row("contended", "redis", subject,
                            n + (c.opened() < n ? " (" + c.opened() + " opened)" : ""), c.perSecond(), c.grants(),
                            c.overtakes(), c.wakeupsPerRelease(), c.note()));
                } catch (Exception e) {
                    System.out.println(Measure.row("contended", "redis", subject, n, "error", 0, 0, Double.NaN, e.toString()));
                }
            }
        }
        System.exit(0);
    }

    private static Participant.Factory factory(String address, boolean fair) {
        return name -> {
            Config config = new Config();
            config.setThreads(2);
            config.setNettyThreads(2);
            config.useSingleServer().setAddress(address).setConnectionPoolSize(2).setConnectionMinimumIdleSize(1)
                    .setSubscriptionConnectionPoolSize(1).setSubscriptionConnectionMinimumIdleSize(1);
            RedissonClient client = Redisson.create(config);
            RLock lock = fair ? client.getFairLock(name) : client.getLock(name);
            return new Participant() {
                @Override
                public void acquire() {
                    lock.lock();
                }

                @Override
                public void release() {
                    lock.unlock();
                }

                @Override
                public void close() {
                    client.shutdown();
                }
            };
        };
    }
}
