package io.coord.bench;

import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Lock;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;

/** Participant factories: coord, the raw client floors and the peer libraries (Redisson: see redisson/). */
final class Peers {

    private static final Duration SESSION_TTL = Duration.ofSeconds(30);
    private static final long ETCD_LEASE_SECONDS = 300;

    private Peers() {
    }

    static Participant.Factory coord(String uri, boolean fair) {
        Primitive primitive = fair ? Primitive.FAIR_LOCK : Primitive.LOCK;
        return name -> {
            Coordinator c = Coordinator.open(uri);
            Session s = c.openSession(SESSION_TTL);
            FencedLock lock = fair ? s.fairLock(name) : s.lock(name);
            return new Participant() {
                private LockGrant grant;

                @Override
                public void acquire() throws Exception {
                    grant = lock.acquire();
                }

                @Override
                public void release() {
                    grant.release();
                }

                @Override
                public long wakeups() {
                    return c.stats().wakeups(primitive);
                }

                @Override
                public void close() {
                    s.close();
                    c.close();
                }
            };
        };
    }

    private static ByteSequence bs(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static Client etcdClient(List<String> endpoints) {
        return Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
    }

    /** The etcd floor: txn put-if-absent (version == 0) on a leased key, then delete: 2 round trips. */
    static Participant.Factory etcdRaw(List<String> endpoints) {
        return name -> {
            Client client = etcdClient(endpoints);
            long lease = client.getLeaseClient().grant(ETCD_LEASE_SECONDS).get().getID();
            KV kv = client.getKVClient();
            ByteSequence key = bs("/bench-raw/" + name);
            ByteSequence value = bs(UUID.randomUUID().toString());
            PutOption put = PutOption.builder().withLeaseId(lease).build();
            return new Participant() {
                @Override
                public void acquire() throws Exception {
                    TxnResponse r = kv.txn().If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
                            .Then(Op.put(key, value, put)).commit().get();
                    if (!r.isSucceeded()) {
                        throw new IllegalStateException("raw etcd key taken: " + key);
                    }
                }

                @Override
                public void release() throws Exception {
                    kv.delete(key).get();
                }

                @Override
                public void close() throws Exception {
                    client.getLeaseClient().revoke(lease).get();
                    client.close();
                }
            };
        };
    }

    /**
     * The contended etcd floor, the simplest correct etcd lock with plain jetcd (unfair, thundering herd):
     * acquire = txn "put my value on the lock key, leased, if its create revision is 0" (one round trip,
     * as {@link #etcdRaw}); when the key is taken, a watch on the lock key from that txn's header
     * revision + 1 (the key existed at that revision, so its DELETE is after it and cannot be missed)
     * until a DELETE event, then the txn again. Release = delete (one round trip). Every waiter wakes on
     * every release; {@link Participant#wakeups()} counts the DELETE events that woke this participant.
     * A fresh watch per wait, as in Go's concurrency.Mutex: no shared stream, no local dispatch.
     */
    static Participant.Factory etcdRawWaiting(List<String> endpoints) {
        return name -> {
            Client client = etcdClient(endpoints);
            long lease = client.getLeaseClient().grant(ETCD_LEASE_SECONDS).get().getID();
            KV kv = client.getKVClient();
            Watch watch = client.getWatchClient();
            ByteSequence key = bs("/bench-raw-wait/" + name);
            ByteSequence value = bs(UUID.randomUUID().toString());
            PutOption put = PutOption.builder().withLeaseId(lease).build();
            AtomicLong wakeups = new AtomicLong();
            return new Participant() {
                @Override
                public void acquire() throws Exception {
                    while (true) {
                        TxnResponse r = kv.txn().If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                                .Then(Op.put(key, value, put)).commit().get();
                        if (r.isSucceeded()) {
                            return;
                        }
                        CompletableFuture<Boolean> deleted = new CompletableFuture<>();
                        // listener runs on jetcd's event loop: only completes the future, never blocks
                        Watch.Listener listener = Watch.listener(resp -> {
                            for (WatchEvent e : resp.getEvents()) {
                                if (e.getEventType() == WatchEvent.EventType.DELETE) {
                                    deleted.complete(true);
                                }
                            }
                        }, err -> deleted.complete(false), () -> deleted.complete(false));
                        WatchOption opt = WatchOption.builder().withRevision(r.getHeader().getRevision() + 1)
                                .withNoPut(true).build();
                        try (Watch.Watcher w = watch.watch(key, opt, listener)) {
                            if (deleted.get(30, TimeUnit.SECONDS)) {
                                wakeups.incrementAndGet();
                            }
                        } catch (TimeoutException e) {
                            // no event in 30 s: re-check with the txn (retrying is always safe)
                        }
                    }
                }

                @Override
                public void release() throws Exception {
                    kv.delete(key).get();
                }

                @Override
                public long wakeups() {
                    return wakeups.get();
                }

                @Override
                public void close() throws Exception {
                    client.getLeaseClient().revoke(lease).get();
                    client.close();
                }
            };
        };
    }

    /** jetcd's Lock RPC (etcd's server-side concurrency mutex: waits in revision order). */
    static Participant.Factory etcdLockRpc(List<String> endpoints) {
        return name -> {
            Client client = etcdClient(endpoints);
            long lease = client.getLeaseClient().grant(ETCD_LEASE_SECONDS).get().getID();
            Lock locks = client.getLockClient();
            ByteSequence lockName = bs("/bench-peer/" + name);
            return new Participant() {
                private ByteSequence key;

                @Override
                public void acquire() throws Exception {
                    key = locks.lock(lockName, lease).get().getKey();
                }

                @Override
                public void release() throws Exception {
                    locks.unlock(key).get();
                }

                @Override
                public void close() throws Exception {
                    client.getLeaseClient().revoke(lease).get();
                    client.close();
                }
            };
        };
    }

    private static final String COMPARE_AND_DELETE =
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    /** The Redis floor: SET NX PX, then a Lua compare-and-delete (EVALSHA): 2 round trips. */
    static Participant.Factory redisRaw(String uri) {
        return name -> {
            RedisClient client = RedisClient.create(uri);
            StatefulRedisConnection<String, String> conn = client.connect();
            RedisCommands<String, String> cmd = conn.sync();
            String sha = cmd.scriptLoad(COMPARE_AND_DELETE);
            String key = "bench-raw:" + name;
            String token = UUID.randomUUID().toString();
            return new Participant() {
                @Override
                public void acquire() {
                    if (!"OK".equals(cmd.set(key, token, SetArgs.Builder.nx().px(30_000)))) {
                        throw new IllegalStateException("raw redis key taken: " + key);
                    }
                }

                @Override
                public void release() {
                    cmd.evalsha(sha, ScriptOutputType.INTEGER, new String[] {key}, token);
                }

                @Override
                public void close() {
                    conn.close();
                    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                }
            };
        };
    }

    private static CuratorFramework curator(String connect) throws InterruptedException {
        CuratorFramework cf = CuratorFrameworkFactory.newClient(connect, 30_000, 10_000, new RetryOneTime(100));
        cf.start();
        if (!cf.blockUntilConnected(30, java.util.concurrent.TimeUnit.SECONDS)) {
            cf.close();
            throw new IllegalStateException("ZooKeeper not connected: " + connect);
        }
        return cf;
    }

    /** The ZooKeeper floor: create ephemeral-sequential + getChildren, then delete: 3 round trips. */
    static Participant.Factory zkRaw(String connect) {
        return name -> {
            CuratorFramework cf = curator(connect);
            String dir = "/bench-raw/" + name;
            return new Participant() {
                private String path;

                @Override
                public void acquire() throws Exception {
                    path = cf.create().creatingParentContainersIfNeeded()
                            .withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(dir + "/n-");
                    cf.getChildren().forPath(dir);
                }

                @Override
                public void release() throws Exception {
                    cf.delete().forPath(path);
                }

                @Override
                public void close() {
                    cf.close();
                }
            };
        };
    }

    /** Curator's InterProcessMutex (sequential nodes, each waiter watches its predecessor: fair). */
    static Participant.Factory curatorMutex(String connect) {
        return name -> {
            CuratorFramework cf = curator(connect);
            InterProcessMutex mutex = new InterProcessMutex(cf, "/bench-peer/" + name);
            return new Participant() {
                @Override
                public void acquire() throws Exception {
                    mutex.acquire();
                }

                @Override
                public void release() throws Exception {
                    mutex.release();
                }

                @Override
                public void close() {
                    cf.close();
                }
            };
        };
    }
}
