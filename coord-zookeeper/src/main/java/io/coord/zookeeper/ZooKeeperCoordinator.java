package io.coord.zookeeper;

import io.coord.BackendUnavailableException;
import io.coord.Capability;
import io.coord.Primitive;
import io.coord.election.ElectionView;
import io.coord.spi.Arguments;
import io.coord.spi.CoordinatorBase;
import io.coord.spi.GroupViewBase;
import io.coord.spi.SessionBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.data.ACL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * coord on ZooKeeper 3.9 (through Curator 5 for the coordinator's own connection).
 *
 * <p>Guarantees (on top of the common contract of {@link io.coord.Coordinator}):
 * {@link Capability#DURABLE_FENCING_TOKENS} (tokens and terms are czxids: global, replicated,
 * never reused), {@link Capability#FAILOVER_SAFE_EXCLUSION} (ZooKeeper's quorum writes and
 * server-side session expiry), {@link Capability#SERVER_CLOCK_LEASES} (sessions expire by the
 * leader's clock only). Node layout and what remains after use: {@link ZkPaths}.
 *
 * <h2>Connections</h2>
 * <ul>
 *   <li>The coordinator owns one Curator client. It holds no ephemeral node and no lock; it
 *       creates the namespace's container skeleton, serves {@link ElectionView}s and group views
 *       ({@link ZkGroupView}: reads and watches) and may freely reconnect or even re-create its
 *       ZooKeeper session (Curator does that after an expiry; observers and group watches then
 *       re-read and re-arm their watches).</li>
 *   <li>Every coord {@link io.coord.Session} owns its own plain {@link org.apache.zookeeper.ZooKeeper}
 *       handle, i.e. its own ZooKeeper session, whose timeout is the session's TTL: see
 *       {@link ZkSession} for why this handle is deliberately <em>not</em> managed by Curator.</li>
 * </ul>
 *
 * <h2>Security</h2>
 * With {@code credentials(user, password)} every handle authenticates with the {@code digest} scheme and every
 * node coord creates in the namespace is readable and writable by that identity alone; TLS is configured per
 * handle; refusals are {@link io.coord.AuthenticationException}s. Details: {@link ZkSecurity} and the README.
 *
 * <h2>Threads</h2>
 * Besides the base's scheduler/events/workers: Curator's threads and one ZooKeeper send + event
 * thread pair per open session, all named {@code coord-zookeeper-…} and all stopped (joined, up to
 * {@link #connectTimeout()}) by {@link #close()}.
 */
public final class ZooKeeperCoordinator extends CoordinatorBase {

    private static final Logger log = LoggerFactory.getLogger(ZooKeeperCoordinator.class);

    /** What ZooKeeper guarantees in coord's terms. */
    public static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.of(
            Capability.DURABLE_FENCING_TOKENS, Capability.FAILOVER_SAFE_EXCLUSION, Capability.SERVER_CLOCK_LEASES));

    private static final AtomicInteger CLIENTS = new AtomicInteger();
    /** Namespace nodes already reported as not protected by coord's ACL (connect string + path). */
    private static final Set<String> WARNED_ACL = ConcurrentHashMap.newKeySet();

    private final String connectString;
    private final Duration connectTimeout;
    private final ZkPaths paths;
    private final CuratorFramework client;
    private final ZkContainers containers;
    private final ZkGroupWatches groupWatches = new ZkGroupWatches();
    private final ZkSecurity security;

    ZooKeeperCoordinator(ZooKeeperCoordinatorBuilder b) {
        super("zookeeper", b.namespace(), CAPABILITIES, b.operationTimeout());
        this.connectString = String.join(",", b.endpoints());
        this.connectTimeout = b.connectTimeout();
        this.paths = new ZkPaths(b.namespace());
        this.containers = new ZkContainers(paths);
        try {
            // inside the try: a failure after the key store was written still deletes it (close() -> closeClient())
            this.security = new ZkSecurity(connectString, paths, b.user(), b.password(), b.tlsSettings());
            int id = CLIENTS.incrementAndGet();
            AtomicInteger threads = new AtomicInteger();
            CuratorFrameworkFactory.Builder curator = CuratorFrameworkFactory.builder();
            byte[] auth = security.authData();
            if (auth != null) {
                curator.authorization("digest", auth);
            }
            this.client = curator
                    .aclProvider(security.aclProvider())
                    .connectString(connectString)
                    .sessionTimeoutMs(30_000)
                    .connectionTimeoutMs(millis(connectTimeout))
                    .retryPolicy(new ExponentialBackoffRetry(100, 3))
                    .zkClientConfig(clientConfig())
                    .waitForShutdownTimeoutMs(millis(connectTimeout))
                    .threadFactory(r -> {
                        Thread t = new Thread(r, "coord-zookeeper-curator-" + id + "-" + threads.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    })
                    .build();
            CuratorFramework started = client;
            withThreadName("coord-zookeeper-client-" + id, () -> {
                started.start();
                return null;
            });
            security.awaitConnected(ms -> started.blockUntilConnected((int) Math.max(1, ms), TimeUnit.MILLISECONDS),
                    connectTimeout, "connect", workers());
            createSkeleton();
            checkNamespaceAcl();
            security.warnIfAuthenticationNotRequired(connectTimeout, this::clientConfig);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new BackendUnavailableException("interrupted while connecting to ZooKeeper at " + connectString, e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    // ---- interop with Curator's recipes ----------------------------------------------------------

    /**
     * The ZooKeeper path of the queue of the plain lock {@code name} in {@code namespace}: the path to give
     * Curator's {@code InterProcessMutex}. A Curator mutex on it and coord's {@link io.coord.lock.FencedLock}
     * of that name exclude each other and are granted in one order, the queue's sequence order (coord's
     * token: its node's czxid). coord-zookeeper keeps this layout stable (see {@link ZkPaths}; tested against
     * Curator).
     *
     * @param namespace the coordinator's namespace, as given to {@link ZooKeeperCoordinatorBuilder#namespace}
     * @param name      the lock's name, as given to {@link io.coord.Session#lock}
     * @return the absolute path of the lock's queue node (its children are the waiters' sequential nodes)
     * @throws IllegalArgumentException when {@code namespace} or {@code name} would be refused by a coordinator
     */
    public static String lockPath(String namespace, String name) {
        return path(namespace, Primitive.LOCK, name);
    }

    /**
     * Same as {@link #lockPath(String, String)} for the fair lock {@code name}: a different lock from the plain
     * lock of the same name, with a path of its own.
     *
     * @param namespace the coordinator's namespace, as given to {@link ZooKeeperCoordinatorBuilder#namespace}
     * @param name      the fair lock's name, as given to {@link io.coord.Session#fairLock}
     * @return the absolute path of the fair lock's queue node
     * @throws IllegalArgumentException when {@code namespace} or {@code name} would be refused by a coordinator
     */
    public static String fairLockPath(String namespace, String name) {
        return path(namespace, Primitive.FAIR_LOCK, name);
    }

    /**
     * The ZooKeeper path of election {@code name} in {@code namespace}: the path to give Curator's
     * {@code LeaderSelector}. Curator participants and coord candidates share one election: the leader is
     * the first node in sequence order, its value the node's data (a Curator participant's id). Curator's
     * {@code LeaderLatch} sorts by another marker and does not interoperate.
     *
     * @param namespace the coordinator's namespace, as given to {@link ZooKeeperCoordinatorBuilder#namespace}
     * @param name      the election's name, as given to {@link io.coord.Session#election}
     * @return the absolute path of the election's queue node (its children are the candidates' sequential nodes)
     * @throws IllegalArgumentException when {@code namespace} or {@code name} would be refused by a coordinator
     */
    public static String electionPath(String namespace, String name) {
        return path(namespace, Primitive.ELECTION, name);
    }

    private static String path(String namespace, Primitive primitive, String name) {
        return new ZkPaths(ZkPaths.checkNamespace(namespace)).queue(primitive, Arguments.name(primitive == Primitive.ELECTION
                ? "election" : primitive == Primitive.FAIR_LOCK ? "fair lock" : "lock", name));
    }

    /**
     * A new builder with the defaults of {@link ZooKeeperCoordinatorBuilder}: endpoints (the ensemble),
     * namespace, timeouts, TLS and credentials are set on it before {@link ZooKeeperCoordinatorBuilder#build()}.
     *
     * @return a new, independent builder; nothing connects until {@code build()}
     */
    public static ZooKeeperCoordinatorBuilder builder() {
        return new ZooKeeperCoordinatorBuilder();
    }

    // ---- CoordinatorBase -----------------------------------------------------------------

    @Override
    protected SessionBase createSession(Duration ttl) {
        return ZkSession.open(this, ttl);
    }

    @Override
    protected ElectionView createElectionView(String name) {
        return new ZkElectionView(this, name);
    }

    @Override
    protected GroupViewBase createGroupView(String name) {
        return new ZkGroupView(this, name);
    }

    @Override
    protected void closeClient() {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            if (security != null) {
                security.close();
            }
        }
    }

    // ---- for the session, recipes and views ----------------------------------------------

    ZkPaths paths() {
        return paths;
    }

    /** The coordinator's own Curator client (no ephemeral nodes: views and skeleton only). */
    CuratorFramework client() {
        return client;
    }

    String connectString() {
        return connectString;
    }

    /** Upper bound for establishing a ZooKeeper session. */
    Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * Client settings of one new handle: no SASL probing; synchronous requests (only close) bounded by the
     * operation timeout; coord's TLS settings set explicitly ({@link ZkSecurity#apply}; what is still inherited from System properties is listed there).
     */
    ZKClientConfig clientConfig() {
        ZKClientConfig config = new ZKClientConfig();
        config.setProperty(ZKClientConfig.ENABLE_CLIENT_SASL_KEY, "false");
        config.setProperty(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, String.valueOf(millis(operationTimeout())));
        security.apply(config);
        return config;
    }

    /** Credentials, ACLs, TLS and the mapping of refusals to typed errors. */
    ZkSecurity security() {
        return security;
    }

    /** The queue containers known to exist (shared by this coordinator's sessions). */
    ZkContainers containers() {
        return containers;
    }

    /** The group paths watched by this coordinator's group views, counted (see {@link ZkGroupWatches}). */
    ZkGroupWatches groupWatches() {
        return groupWatches;
    }

    /**
     * Runs {@code body} with the current thread temporarily renamed, so that the threads ZooKeeper
     * starts inside (named after their creator) carry coord's thread prefix.
     */
    static <T> T withThreadName(String name, Callable<T> body) {
        Thread me = Thread.currentThread();
        String old = me.getName();
        me.setName(name);
        try {
            return body.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new BackendUnavailableException("ZooKeeper client failed: " + e, e);
        } finally {
            me.setName(old);
        }
    }

    static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, d.toMillis()));
    }

    /**
     * Creates the namespace's containers (see {@link ZkPaths}) that do not exist yet. Existence is checked first:
     * it needs no permission, while a create of an existing node is refused (NOAUTH) when the parent does not grant
     * CREATE — ZooKeeper checks the parent's ACL before it looks for the node — as for a namespace an operator
     * pre-created under a locked-down {@code /}.
     */
    private void createSkeleton() throws InterruptedException {
        for (String path : paths.skeleton()) {
            try {
                if (client.checkExists().forPath(path) != null) {
                    continue;
                }
                client.create().withMode(CreateMode.CONTAINER).withACL(security.aclFor(path)).forPath(path);
            } catch (KeeperException.NodeExistsException e) {
                // fine
            } catch (KeeperException e) {
                if (ZkSecurity.isRefusal(e.code())) {
                    throw security.refused("creating " + path, e.code());
                }
                throw new BackendUnavailableException("could not create " + path + " on ZooKeeper at " + connectString + ": " + e, e);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                throw new BackendUnavailableException("could not create " + path + " on ZooKeeper at " + connectString + ": " + e, e);
            }
        }
    }

    /**
     * With credentials: WARN (once per namespace node and JVM) when the namespace node exists with another ACL than
     * coord's digest ACL — e.g. created earlier without credentials, or by another client with open ACLs — since
     * coord does not change the ACL of nodes it finds. Never throws.
     */
    private void checkNamespaceAcl() {
        if (!security.hasCredentials()) {
            return;
        }
        String root = paths.root();
        try {
            List<ACL> acl = client.getACL().forPath(root);
            if (!security.protects(acl) && WARNED_ACL.add(connectString + root)) {
                log.warn("ZooKeeper node {} at {} exists with an ACL that does not restrict it to coord's digest identity: "
                        + "the namespace is not protected (coord does not change the ACL of existing nodes; set it with "
                        + "setAcl as the super user, or delete the node when it is unused)", root, connectString);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("could not read the ACL of {} at {}: {}", root, connectString, e.toString());
        }
    }

    @Override
    public String toString() {
        return "ZooKeeperCoordinator[" + connectString + paths.root() + "]";
    }
}
