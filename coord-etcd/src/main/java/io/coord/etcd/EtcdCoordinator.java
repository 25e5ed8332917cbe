package io.coord.etcd;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.Capability;
import io.coord.Primitive;
import io.coord.election.ElectionView;
import io.coord.election.Leadership;
import io.coord.lock.FairLock;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.spi.Arguments;
import io.coord.spi.CoordinatorBase;
import io.coord.spi.SessionBase;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * coord on etcd v3 (jetcd-core), opened from {@code etcd://host:port[,host:port]/namespace} or built with
 * {@link #builder()}.
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li>Sessions are etcd leases; every lock and election key is attached to its session's lease.</li>
 *   <li>Locks, fair locks and elections are client-side queues ordered by create revision (etcd's
 *       {@code concurrency} recipes, with their known defects fixed), never the server-side Lock RPC, which
 *       cannot be cancelled. Fencing tokens and terms are create revisions: global, strictly increasing,
 *       durable in the raft log ({@link Capability#DURABLE_FENCING_TOKENS}); an etcd leader failover keeps
 *       every key and extends every lease ({@link Capability#FAILOVER_SAFE_EXCLUSION}); lease expiry is decided
 *       by the etcd leader's clock ({@link Capability#SERVER_CLOCK_LEASES}).</li>
 *   <li>The plain {@link FencedLock} is the same algorithm as the {@link FairLock}: on etcd it is also
 *       granted strictly in request order. The two are different locks (different key prefixes).</li>
 *   <li>The strongest fencing etcd offers: {@link #fencedPut} writes a key in the same etcd transaction that
 *       checks the lock key still has the grant's create revision.</li>
 *   <li>Key layout: {@link EtcdKeys}. Nothing is permanent: an idle namespace has no keys.</li>
 *   <li>Locks, fair locks and elections queue together with etcd's Go {@code concurrency.Mutex} /
 *       {@code Election} and {@code etcdctl lock} / {@code etcdctl elect} on the prefix given by
 *       {@link #lockPrefix}, {@link #fairLockPrefix} and {@link #electionPrefix}.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * jetcd runs gRPC on its own Vert.x event loop; this coordinator owns that Vert.x instance and jetcd's
 * executor and stops both on {@link #close()}, waiting until their threads are gone. Recipes block only on
 * coord worker threads; jetcd callbacks only complete futures or hop to coord executors. Every request has
 * a gRPC deadline (the builder's operation timeout), so nothing hangs while etcd is unreachable.
 */
public final class EtcdCoordinator extends CoordinatorBase {

    private static final Logger log = LoggerFactory.getLogger(EtcdCoordinator.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final Vertx vertx;
    private final ExecutorService jetcdExecutor;
    private final Client client;
    private final EtcdConnection etcd;
    private final EtcdDeleteWatch deletes;
    private final java.util.List<String> endpoints;
    /** Whether a session was opened already (the client is connected and its keep-alive path loaded). */
    private volatile boolean warm;

    EtcdCoordinator(EtcdCoordinatorBuilder b) {
        super("etcd", b.namespace(),
                EnumSet.of(Capability.DURABLE_FENCING_TOKENS, Capability.FAILOVER_SAFE_EXCLUSION, Capability.SERVER_CLOCK_LEASES),
                // One coord operation may retry a request (EtcdConnection.callIdempotent/callRepeatable): its bound
                // is that retry budget, so e.g. an abandoned acquisition's cleanup finishes before the caller returns.
                b.operationTimeout().multipliedBy(EtcdConnection.BUDGET + 1));
        this.endpoints = b.endpoints();
        int instance = INSTANCES.incrementAndGet();
        this.vertx = Vertx.vertx(new VertxOptions().setUseDaemonThread(true).setEventLoopPoolSize(2).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
        AtomicInteger n = new AtomicInteger();
        this.jetcdExecutor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "coord-etcd-" + instance + "-jetcd-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            ClientBuilder cb = Client.builder()
                    .endpoints(endpoints.stream().map(e -> e.contains("://") ? e : "http://" + e).toArray(String[]::new))
                    .vertx(vertx)
                    .executorService(jetcdExecutor)
                    .connectTimeout(b.connectTimeout())
                    .keepaliveTime(b.keepaliveTime())
                    .keepaliveTimeout(b.keepaliveTimeout())
                    .interceptor(new RequestDeadline(b.operationTimeout()));
            if (b.user() != null) {
                cb.user(ByteSequence.from(b.user(), java.nio.charset.StandardCharsets.UTF_8))
                        .password(ByteSequence.from(new String(b.password()), java.nio.charset.StandardCharsets.UTF_8));
            }
            b.customizer().accept(cb);
            this.client = cb.build();
        } catch (RuntimeException e) {
            vertx.close();
            jetcdExecutor.shutdownNow();
            throw e;
        }
        this.etcd = new EtcdConnection(client, new EtcdKeys(b.namespace()), statsRecorder(), scheduler(), b.operationTimeout(), b.recheckInterval(),
                String.join(",", endpoints), b.user());
        this.deletes = new EtcdDeleteWatch(etcd);
    }

    /** A builder: endpoints, namespace, timeouts, and a hook to configure jetcd (TLS, authentication). */
    public static EtcdCoordinatorBuilder builder() {
        return new EtcdCoordinatorBuilder();
    }

    // ---- interop with etcd's Go concurrency recipes -------------------------------------------

    /**
     * The etcd key prefix of the plain lock {@code name} in {@code namespace}, without the trailing '/': the
     * {@code pfx} of Go's {@code concurrency.NewMutex(session, pfx)} and the {@code <lockname>} of
     * {@code etcdctl lock}. A Go mutex or an etcdctl lock on this prefix and coord's {@link FencedLock} of that
     * name exclude each other and are granted in one create-revision order (coord's token: the key's create
     * revision). Every key of this lock is {@code <prefix>/<lease id in lower-case hex>}, the Go recipe's shape;
     * coord-etcd keeps this mapping stable (it is a declared compatibility, tested against etcdctl).
     *
     * @throws IllegalArgumentException when {@code namespace} or {@code name} would be refused by a coordinator
     */
    public static String lockPrefix(String namespace, String name) {
        return prefix(namespace, Primitive.LOCK, name);
    }

    /** Same as {@link #lockPrefix(String, String)} for the {@link FairLock} {@code name} (a different lock). */
    public static String fairLockPrefix(String namespace, String name) {
        return prefix(namespace, Primitive.FAIR_LOCK, name);
    }

    /**
     * The etcd key prefix of election {@code name} in {@code namespace}, without the trailing '/': the
     * {@code pfx} of Go's {@code concurrency.NewElection(session, pfx)} and the {@code <election-name>} of
     * {@code etcdctl elect}. Go candidates and coord candidates on it share one election (leader = smallest
     * create revision; its value = the leader's proposal; coord's term = that create revision).
     *
     * @throws IllegalArgumentException when {@code namespace} or {@code name} would be refused by a coordinator
     */
    public static String electionPrefix(String namespace, String name) {
        return prefix(namespace, Primitive.ELECTION, name);
    }

    private static String prefix(String namespace, Primitive primitive, String name) {
        String what = switch (primitive) {
            case FAIR_LOCK -> "fair lock";
            case ELECTION -> "election";
            default -> "lock";
        };
        return EtcdKeys.queuePrefix(Arguments.namespace(namespace), primitive, Arguments.name(what, name));
    }

    /** The key layout of this coordinator's namespace. */
    EtcdKeys keys() {
        return etcd.keys();
    }

    /** The underlying jetcd client (for fenced writes of your own and for inspection); closed with this coordinator. */
    public Client client() {
        return client;
    }

    /**
     * Grants a lease. The first session of a coordinator also warms the client up, because jetcd connects
     * lazily and a cold JVM loads the keep-alive path slowly, which could eat most of a short TTL: it sends one
     * read before the grant (so the grant's send time, the base of {@code validUntil}, no longer includes
     * connecting) and one renewal right after it, whose send time becomes the validity base (the lease is then
     * known alive for a full TTL from that moment). Later sessions cost exactly one round trip.
     */
    @Override
    protected SessionBase createSession(Duration ttl) {
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000); // etcd TTLs are whole seconds: round up
        boolean cold = !warm;
        try {
            if (cold) {
                GetOption countOnly = GetOption.builder().withCountOnly(true).build();
                etcd.callRepeatable(Primitive.SESSION, "connecting to " + endpoints, () -> client.getKVClient().get(etcd.keys().namespacePrefix(), countOnly));
            }
            long sent = System.nanoTime();
            LeaseGrantResponse grant = etcd.call(Primitive.SESSION, "granting a lease of " + seconds + " s",
                    () -> client.getLeaseClient().grant(seconds));
            if (cold) {
                long renewSent = System.nanoTime();
                try {
                    etcd.call(Primitive.SESSION, "renewing a new lease", () -> client.getLeaseClient().keepAliveOnce(grant.getID()));
                    sent = renewSent;
                } catch (BackendUnavailableException e) {
                    log.debug("first renewal of lease {} failed; validity counts from the grant", EtcdKeys.leaseHex(grant.getID()), e);
                }
                warm = true;
            }
            return new EtcdSession(this, etcd, deletes, grant.getID(), ttl, Duration.ofSeconds(grant.getTTL()), sent);
        } catch (BackendUnavailableException e) {
            AuthenticationException refused = etcd.refusal("opening a session", e);
            throw refused != null ? refused : e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("etcd: interrupted while opening a session", e);
        }
    }

    @Override
    protected ElectionView createElectionView(String name) {
        return new EtcdElectionView(this, etcd, name);
    }

    @Override
    protected void closeClient() {
        deletes.close();
        client.close();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("etcd client's event loop did not stop cleanly", e);
        }
        jetcdExecutor.shutdownNow();
        try {
            jetcdExecutor.awaitTermination(operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- fencing on etcd -----------------------------------------------------------------

    /**
     * The etcd comparison "the key behind {@code grant} still exists with the grant's create revision":
     * add it to your own transaction to make any write conditional on still holding the lock.
     */
    public Cmp stillHeld(FencedLock lock, LockGrant grant) {
        ByteSequence queue = etcd.keys().lockQueue(lock.name(), lock instanceof FairLock);
        ByteSequence key = EtcdKeys.entry(queue, Long.parseUnsignedLong(lock.session().id(), 16));
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(grant.fencingToken()));
    }

    /** Same as {@link #stillHeld(FencedLock, LockGrant)} for a leadership of {@code election} won by {@code session}. */
    public Cmp stillLeading(io.coord.Session session, Leadership leadership) {
        ByteSequence queue = etcd.keys().electionQueue(leadership.electionName());
        ByteSequence key = EtcdKeys.entry(queue, Long.parseUnsignedLong(session.id(), 16));
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(leadership.term()));
    }

    /**
     * Puts {@code key = value} (an absolute etcd key, outside coord's namespace if you like) only if the lock is
     * still held by {@code grant}, in ONE etcd transaction: the strongest fencing there is, since the check and
     * the write are one atomic step on the server. Returns false, writing nothing, if the grant is no longer
     * the holder (released, expired, deleted).
     */
    public boolean fencedPut(FencedLock lock, LockGrant grant, ByteSequence key, ByteSequence value) {
        Cmp guard = stillHeld(lock, grant);
        try {
            TxnResponse r = etcd.call(Primitive.LOCK, "fenced put",
                    () -> client.getKVClient().txn().If(guard).Then(Op.put(key, value, PutOption.DEFAULT)).commit());
            return r.isSucceeded();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("etcd: interrupted during a fenced put", e);
        }
    }

    /** Adds a gRPC deadline to every call but watches (which live as long as their waiter). */
    private static final class RequestDeadline implements ClientInterceptor {
        private final long millis;

        RequestDeadline(Duration timeout) {
            this.millis = timeout.toMillis();
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            if (options.getDeadline() == null && !method.getFullMethodName().startsWith("etcdserverpb.Watch/")) {
                options = options.withDeadlineAfter(millis, TimeUnit.MILLISECONDS);
            }
            return next.newCall(method, options);
        }
    }
}
