package io.coord.etcd;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.Capability;
import io.coord.Primitive;
import io.coord.Session;
import io.coord.election.ElectionView;
import io.coord.election.Leadership;
import io.coord.lock.FairLock;
import io.coord.lock.FencedLock;
import io.coord.lock.LockGrant;
import io.coord.spi.Arguments;
import io.coord.spi.CoordinatorBase;
import io.coord.spi.GroupViewBase;
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
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.coord.spi.TlsSettings;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.net.ssl.SSLException;
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
 *   <li>Group members are keys on their session's lease, one per member id ({@link EtcdMemberEntry}); a group
 *       view reads the group's prefix and watches it ({@link EtcdGroupView}).</li>
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

    /** The Vert.x of the current client (jetcd's {@code Client.close()} closes it too); replaced with the client. */
    private volatile Vertx vertx;
    private final ExecutorService jetcdExecutor;
    private final RequestDeadline deadline;
    /** A jetcd client builder on a given Vert.x, without credentials: copied settings, never the coordinator's builder. */
    private final Function<Vertx, ClientBuilder> clientBuilder;
    private final EtcdConnection etcd;
    private final EtcdDeleteWatch deletes;
    private final List<String> endpoints;
    /** Whether a session was opened already (the client is connected and its keep-alive path loaded). */
    private volatile boolean warm;

    /**
     * @param ssl the TLS context of {@code b.tls()} (built by {@link EtcdCoordinatorBuilder#build()} before anything
     *            is started), or null for plain text
     */
    EtcdCoordinator(EtcdCoordinatorBuilder b, SslContext ssl) {
        super("etcd", b.namespace(),
                EnumSet.of(Capability.DURABLE_FENCING_TOKENS, Capability.FAILOVER_SAFE_EXCLUSION, Capability.SERVER_CLOCK_LEASES),
                // One coord operation may retry a request (EtcdConnection.callIdempotent/callRepeatable): its bound
                // is that retry budget, so e.g. an abandoned acquisition's cleanup finishes before the caller returns.
                b.operationTimeout().multipliedBy(EtcdConnection.BUDGET + 1));
        this.endpoints = b.endpoints();
        int instance = INSTANCES.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        this.jetcdExecutor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "coord-etcd-" + instance + "-jetcd-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.deadline = new RequestDeadline(b.operationTimeout());
        this.clientBuilder = clientBuilder(b, ssl);
        Consumer<ClientBuilder> customizer = b.customizer();
        Client first = null;
        EtcdConnection connection;
        try {
            this.vertx = newVertx();
            ClientBuilder cb = clientBuilder.apply(vertx);
            if (b.user() != null) {
                cb.user(ByteSequence.from(b.user(), StandardCharsets.UTF_8))
                        .password(ByteSequence.from(new String(b.password()), StandardCharsets.UTF_8));
            }
            customizer.accept(cb);
            first = cb.build();
            connection = new EtcdConnection(first, new EtcdKeys(b.namespace()), statsRecorder(), scheduler(), b.operationTimeout(),
                    b.recheckInterval(), String.join(",", endpoints), b.user(), b.tls().orElse(null), deadline::connected,
                    b.user() == null ? null : replaced -> withoutCredentials(replaced, customizer));
            this.deletes = new EtcdDeleteWatch(connection);
        } catch (RuntimeException | Error e) {
            if (first != null) {
                first.close();
            }
            close(); // closeClient: Vert.x and jetcd's executor; then the pools of CoordinatorBase
            throw e;
        }
        this.etcd = connection;
    }

    private static Vertx newVertx() {
        return Vertx.vertx(new VertxOptions().setUseDaemonThread(true).setEventLoopPoolSize(2).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
    }

    /** jetcd client builders for this coordinator's executor: endpoints, timeouts, TLS; the settings copied from {@code b} now. */
    private Function<Vertx, ClientBuilder> clientBuilder(EtcdCoordinatorBuilder b, SslContext ssl) {
        String scheme = ssl != null ? "https://" : "http://";
        String[] targets = endpoints.stream().map(e -> e.contains("://") ? e : scheme + e).toArray(String[]::new);
        Duration connectTimeout = b.connectTimeout();
        Duration keepaliveTime = b.keepaliveTime();
        Duration keepaliveTimeout = b.keepaliveTimeout();
        return v -> {
            ClientBuilder cb = Client.builder()
                    .endpoints(targets.clone())
                    .vertx(v)
                    .executorService(jetcdExecutor)
                    .connectTimeout(connectTimeout)
                    .keepaliveTime(keepaliveTime)
                    .keepaliveTimeout(keepaliveTimeout)
                    .interceptor(deadline);
            if (ssl != null) {
                cb.sslContext(ssl);
            }
            return cb;
        };
    }

    /**
     * For {@link EtcdConnection}'s switch when etcd's auth is disabled: a client without credentials on a Vert.x of
     * its own, then {@code replaced} is closed at once (with its Vert.x: jetcd closes the Vert.x it was given).
     */
    private Client withoutCredentials(Client replaced, Consumer<ClientBuilder> customizer) {
        Vertx next = newVertx();
        ClientBuilder cb = clientBuilder.apply(next);
        customizer.accept(cb);
        Client client = cb.build();
        vertx = next;
        replaced.close();
        return client;
    }

    /**
     * The gRPC (netty) TLS context of {@code tls}: trust the PEM CA file (or the JVM's defaults), present the client
     * certificate and PKCS#8 key when given. gRPC verifies the server's certificate against the endpoint's host or IP
     * (jetcd sets each address's authority to its {@code host:port}).
     *
     * @throws IllegalArgumentException naming the files (never their content) when netty cannot use them
     */
    static SslContext sslContext(TlsSettings tls) {
        try {
            SslContextBuilder ssl = GrpcSslContexts.forClient();
            tls.trusted().ifPresent(ca -> ssl.trustManager(ca.toFile()));
            if (tls.hasClientCertificate()) {
                ssl.keyManager(tls.clientCertificate().toFile(), tls.clientKey().toFile());
            }
            return ssl.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("etcd: cannot use the TLS files " + tls + " (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /**
     * A new builder with the defaults of {@link EtcdCoordinatorBuilder}: endpoints, namespace, timeouts, TLS,
     * credentials, and a hook to configure jetcd are set on it before {@link EtcdCoordinatorBuilder#build()}.
     *
     * @return a new, independent builder
     */
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
     * @param namespace the coordinator's namespace, as given to {@link EtcdCoordinatorBuilder#namespace}
     * @param name      the lock's name, as given to {@link Session#lock}
     * @return the absolute key prefix (namespace included), without the trailing '/'
     * @throws IllegalArgumentException when {@code namespace} or {@code name} would be refused by a coordinator
     */
    public static String lockPrefix(String namespace, String name) {
        return prefix(namespace, Primitive.LOCK, name);
    }

    /**
     * Same as {@link #lockPrefix(String, String)} for the {@link FairLock} {@code name}: a different lock from the
     * plain lock of the same name, under a prefix of its own.
     *
     * @param namespace the coordinator's namespace, as given to {@link EtcdCoordinatorBuilder#namespace}
     * @param name      the fair lock's name, as given to {@link Session#fairLock}
     * @return the absolute key prefix (namespace included), without the trailing '/'
     * @throws IllegalArgumentException when {@code namespace} or {@code name} would be refused by a coordinator
     */
    public static String fairLockPrefix(String namespace, String name) {
        return prefix(namespace, Primitive.FAIR_LOCK, name);
    }

    /**
     * The etcd key prefix of election {@code name} in {@code namespace}, without the trailing '/': the
     * {@code pfx} of Go's {@code concurrency.NewElection(session, pfx)} and the {@code <election-name>} of
     * {@code etcdctl elect}. Go candidates and coord candidates on it share one election (leader = smallest
     * create revision; its value = the leader's proposal; coord's term = that create revision).
     *
     * @param namespace the coordinator's namespace, as given to {@link EtcdCoordinatorBuilder#namespace}
     * @param name      the election's name, as given to {@link Session#election}
     * @return the absolute key prefix (namespace included), without the trailing '/'
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

    /**
     * The underlying jetcd client, for fenced writes of your own (with {@link #stillHeld}) and for inspection.
     * It belongs to this coordinator: do not close it; it is closed with this coordinator.
     *
     * @return the client this coordinator sends its requests with
     */
    public Client client() {
        return etcd.client();
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
                connect();
            }
            long sent = System.nanoTime();
            LeaseGrantResponse grant = etcd.call(Primitive.SESSION, "granting a lease of " + seconds + " s",
                    () -> etcd.client().getLeaseClient().grant(seconds));
            if (cold) {
                long renewSent = System.nanoTime();
                try {
                    etcd.call(Primitive.SESSION, "renewing a new lease", () -> etcd.client().getLeaseClient().keepAliveOnce(grant.getID()));
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

    /**
     * The first request of a session-opening coordinator: one count-only read of the namespace (the warm-up
     * described at {@link #createSession}). Like any first request, it meets "authentication is not enabled" if
     * credentials go to an etcd without auth; {@link EtcdConnection} handles that (a WARN, then no credentials).
     */
    private void connect() throws InterruptedException {
        GetOption countOnly = GetOption.builder().withCountOnly(true).build();
        etcd.callRepeatable(Primitive.SESSION, "connecting to " + String.join(",", endpoints),
                () -> etcd.client().getKVClient().get(etcd.keys().namespacePrefix(), countOnly));
    }

    @Override
    protected ElectionView createElectionView(String name) {
        return new EtcdElectionView(this, etcd, name);
    }

    @Override
    protected GroupViewBase createGroupView(String name) {
        return new EtcdGroupView(this, etcd, name);
    }

    @Override
    protected void closeClient() {
        if (deletes != null) { // null only when the constructor failed
            deletes.close();
        }
        if (etcd != null) {
            etcd.client().close();
        }
        Vertx v = vertx;
        try {
            if (v != null) {
                v.close().toCompletionStage().toCompletableFuture().get(operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }
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
     * add it to your own transaction to make any write conditional on still holding the lock. The comparison
     * fails (the transaction's else branch runs) once the grant is released, expired or its key deleted, and
     * never holds for a later grant of the same lock (a new key has a new create revision).
     *
     * @param lock  a lock (plain or fair) of a session of this coordinator
     * @param grant a grant of {@code lock}
     * @return the comparison, ready for {@code txn().If(...)}; building it sends nothing
     */
    public Cmp stillHeld(FencedLock lock, LockGrant grant) {
        ByteSequence queue = etcd.keys().lockQueue(lock.name(), lock instanceof FairLock);
        ByteSequence key = EtcdKeys.entry(queue, Long.parseUnsignedLong(lock.session().id(), 16));
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(grant.fencingToken()));
    }

    /**
     * Same as {@link #stillHeld(FencedLock, LockGrant)} for a leadership won by {@code session}: the comparison
     * holds only while that leadership's key exists with the leadership's term as its create revision.
     *
     * @param session    the session of this coordinator that campaigned
     * @param leadership the leadership {@code session} won
     * @return the comparison, ready for {@code txn().If(...)}; building it sends nothing
     */
    public Cmp stillLeading(Session session, Leadership leadership) {
        ByteSequence queue = etcd.keys().electionQueue(leadership.electionName());
        ByteSequence key = EtcdKeys.entry(queue, Long.parseUnsignedLong(session.id(), 16));
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(leadership.term()));
    }

    /**
     * Puts {@code key = value} (an absolute etcd key, outside coord's namespace if you like) only if the lock is
     * still held by {@code grant}, in ONE etcd transaction: the strongest fencing there is, since the check and
     * the write are one atomic step on the server. Returns false, writing nothing, if the grant is no longer
     * the holder (released, expired, deleted).
     *
     * @param lock  a lock (plain or fair) of a session of this coordinator
     * @param grant a grant of {@code lock}
     * @param key   the absolute etcd key to write
     * @param value the value to put
     * @return true if the put was applied, false if {@code grant} no longer held the lock (nothing written)
     * @throws io.coord.BackendUnavailableException if etcd did not answer within the operation timeout, or the
     *                                              calling thread was interrupted (its interrupt flag is set again);
     *                                              the put may or may not have been applied
     */
    public boolean fencedPut(FencedLock lock, LockGrant grant, ByteSequence key, ByteSequence value) {
        Cmp guard = stillHeld(lock, grant);
        try {
            TxnResponse r = etcd.call(Primitive.LOCK, "fenced put",
                    () -> etcd.client().getKVClient().txn().If(guard).Then(Op.put(key, value, PutOption.DEFAULT)).commit());
            return r.isSucceeded();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("etcd: interrupted during a fenced put", e);
        }
    }

    /**
     * Adds a gRPC deadline to every call but watches (which live as long as their waiter). Until the client has
     * heard from a server once, calls are also fail-fast (not jetcd's wait-for-ready), so a connection that cannot be
     * made at all (a refused TLS handshake, plain text to a TLS port, nothing listening) fails each attempt at once
     * with its cause instead of waiting out the deadline with the cause only in a text; {@link EtcdConnection#send}
     * then paces its retries itself, so they still span the retry budget.
     */
    private static final class RequestDeadline implements ClientInterceptor {
        private final long millis;
        private volatile boolean connected;

        boolean connected() {
            return connected;
        }

        RequestDeadline(Duration timeout) {
            this.millis = timeout.toMillis();
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            if (method.getFullMethodName().startsWith("etcdserverpb.Watch/")) {
                return next.newCall(method, options);
            }
            if (options.getDeadline() == null) {
                options = options.withDeadlineAfter(millis, TimeUnit.MILLISECONDS);
            }
            if (connected) {
                return next.newCall(method, options);
            }
            return new ForwardingClientCall.SimpleForwardingClientCall<Q, R>(next.newCall(method, options.withoutWaitForReady())) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<R>(listener) {
                        @Override
                        public void onHeaders(Metadata responseHeaders) {
                            connected = true;
                            super.onHeaders(responseHeaders);
                        }
                    }, headers);
                }
            };
        }
    }
}
