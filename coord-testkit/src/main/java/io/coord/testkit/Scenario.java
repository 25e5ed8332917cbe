package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * The frame of every kit scenario: a fresh namespace and coordinator before, and after it closes
 * everything the scenario opened and checks the two hygiene rules — the namespace on the server
 * holds nothing but the backend's documented permanent keys, and no coord client thread is left.
 */
public abstract class Scenario {

    private final Supplier<KitBackend> backendSupplier;
    /** The backend under test, from the supplier, set before each scenario. */
    protected KitBackend backend;
    /** The scenario's own fresh namespace ({@code kit-} and 8 random hex digits), set before each scenario. */
    protected String namespace;
    /** The scenario's main coordinator. */
    protected Coordinator coord;
    private final List<AutoCloseable> coordinators = new ArrayList<>();
    private Set<Thread> threadsBefore;
    private String testName;

    /**
     * A scenario running against the backend {@code backend} supplies.
     *
     * @param backend called before each scenario; usually returns one backend shared by the test class
     */
    protected Scenario(Supplier<KitBackend> backend) {
        this.backendSupplier = backend;
    }

    @BeforeEach
    void openScenario(TestInfo info) {
        backend = backendSupplier.get();
        testName = info.getDisplayName();
        threadsBefore = Thread.getAllStackTraces().keySet();
        namespace = "kit-" + UUID.randomUUID().toString().substring(0, 8);
        coord = newCoordinator();
    }

    @AfterEach
    void closeScenarioAndCheckHygiene() {
        for (AutoCloseable c : coordinators) {
            try {
                c.close();
            } catch (Exception e) {
                throw new AssertionError("closing " + c + " failed", e);
            }
        }
        // Closing revoked every session: the server must hold nothing but permanent keys. Allow the
        // backend's own asynchronous reaping (e.g. ZooKeeper containers) a bounded moment.
        await().atMost(patience()).untilAsserted(() -> assertThat(leftovers())
                .as("keys left under namespace %s after '%s' on %s", namespace, testName, backend.label())
                .isEmpty());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(newClientThreads())
                .as("coord client threads still alive after every coordinator closed ('%s')", testName)
                .isEmpty());
    }

    /**
     * A further coordinator on the same namespace: a separate client, like another process.
     *
     * @return an open coordinator, closed by the scenario
     */
    protected final Coordinator newCoordinator() {
        Coordinator c = backend.open(namespace);
        coordinators.add(c);
        return c;
    }

    /**
     * Registers a coordinator opened some other way, so that the scenario closes it.
     *
     * @param c the coordinator
     * @return {@code c}
     */
    protected final Coordinator adopt(Coordinator c) {
        coordinators.add(c);
        return c;
    }

    /**
     * A further coordinator on the namespace that the scenario can crash ({@link CrashableClient#crash()}):
     * a separate client cut off at the transport, as a frozen or partitioned process would be.
     *
     * @return the client, closed by the scenario
     */
    protected final CrashableClient crashable() {
        CrashableClient c = backend.openCrashable(namespace);
        coordinators.add(c);
        return c;
    }

    /**
     * A session of the main coordinator with the backend's long TTL (no expiry during the scenario).
     *
     * @return an open session, closed with the coordinator
     */
    protected final Session session() {
        return coord.openSession(backend.longTtl());
    }

    /**
     * A session of the main coordinator with {@code ttl}.
     *
     * @param ttl the session's TTL
     * @return an open session, closed with the coordinator
     */
    protected final Session session(Duration ttl) {
        return coord.openSession(ttl);
    }

    /**
     * Keys under the namespace that are not documented as permanent.
     *
     * @return the keys, sorted; empty when the namespace is clean
     */
    protected final Set<String> leftovers() {
        return backend.keys(namespace).stream().filter(k -> !backend.isPermanent(k)).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /**
     * The server's entries (holder and queued waiters) of one lock, fair lock or election.
     *
     * @param primitive which kind of primitive
     * @param name the primitive's name
     * @return the entries, as {@link KitBackend#entries} returns them
     */
    protected final List<String> entries(Primitive primitive, String name) {
        return backend.entries(namespace, primitive, name);
    }

    /**
     * A wait bound generous enough for a busy 2-core machine: it only limits how long a failing test hangs.
     *
     * @return three long TTLs plus 20 s
     */
    protected final Duration patience() {
        return backend.longTtl().multipliedBy(3).plusSeconds(20);
    }

    /**
     * An Awaitility condition polling every 20 ms, bounded by {@link #patience()}.
     *
     * @return a new condition factory
     */
    protected final ConditionFactory await() {
        return Awaitility.await().pollInterval(Duration.ofMillis(20)).pollDelay(Duration.ZERO).atMost(patience());
    }

    /**
     * Waits for a future, failing the test (not hanging) if it takes longer than {@link #patience()}.
     *
     * @param <T> the future's result type
     * @param future the future
     * @return its result
     * @throws java.util.concurrent.CompletionException if the future failed
     */
    protected final <T> T join(CompletableFuture<T> future) {
        await().until(future::isDone);
        return future.join();
    }

    /**
     * A name unique to this call, for locks and elections of one scenario.
     *
     * @param prefix the name's start
     * @return {@code prefix-} and 6 random hex digits
     */
    protected static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    private Set<Thread> newClientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(Thread::isAlive)
                .filter(t -> !threadsBefore.contains(t))
                .filter(backend::isClientThread)
                .collect(Collectors.toSet());
    }
}
