package io.coord.micrometer;

import io.coord.AcquisitionOutcome;
import io.coord.CoordObserver;
import io.coord.CoordStats;
import io.coord.Coordinator;
import io.coord.LossReason;
import io.coord.Primitive;
import io.coord.SessionState;
import io.coord.Subscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Micrometer metrics of one {@link Coordinator}: a {@link MeterBinder} that registers, on each registry it is bound
 * to, the meters listed below, fed by a {@link CoordObserver} (events) and by {@link Coordinator#stats()} (gauges
 * and function counters, read when the registry polls).
 *
 * <pre>{@code
 * CoordMetrics metrics = CoordMetrics.builder(coordinator).tags("app", "billing").build();
 * metrics.bindTo(registry);            // or declare it as a bean: Spring Boot binds every MeterBinder
 * ...
 * metrics.close();                     // before closing the coordinator: removes the meters and the observer
 * }</pre>
 *
 * <p>Every meter carries the tags {@code backend} (zookeeper, etcd, redis) and {@code namespace}, plus the extra
 * tags given to the builder. The values of the tags coord defines from its enums ({@code primitive}, {@code outcome},
 * {@code reason}, {@code from}, {@code to}) are the lower-case constant names ({@code primitive=fair_lock},
 * {@code outcome=timed_out}); {@code namespace}, {@code name} and the extra tags carry their values as given, and
 * {@code exception} a Java simple class name. Times are recorded in the registry's base time unit (seconds for
 * most); the counts have no base unit (so Prometheus names them {@code coord_wakeups_total}, not
 * {@code coord_wakeups_wakeups_total}).
 *
 * <table>
 *   <caption>The meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>meaning</th></tr>
 *   <tr><td>{@value #SESSIONS_OPEN}</td><td>gauge</td><td>–</td><td>sessions open now (ACTIVE or SUSPENDED)</td></tr>
 *   <tr><td>{@value #SESSIONS_OPENED}</td><td>counter</td><td>–</td><td>sessions opened</td></tr>
 *   <tr><td>{@value #SESSION_TRANSITIONS}</td><td>counter</td><td>from, to</td><td>session state changes</td></tr>
 *   <tr><td>{@value #SESSION_RENEWALS}</td><td>timer</td><td>outcome (success, failure), exception</td>
 *       <td>renewal attempts and their latency</td></tr>
 *   <tr><td>{@value #ACQUISITIONS}</td><td>timer</td><td>primitive, outcome[, name]</td>
 *       <td>acquisitions and campaigns, by how they ended, timed from start to end</td></tr>
 *   <tr><td>{@value #GRANTS_HELD}</td><td>gauge</td><td>primitive (lock, fair_lock, semaphore, read_write_lock)</td><td>grants and permits held now</td></tr>
 *   <tr><td>{@value #LEADERSHIPS_HELD}</td><td>gauge</td><td>–</td><td>leaderships held now</td></tr>
 *   <tr><td>{@value #LOSSES}</td><td>counter</td><td>primitive, reason[, name]</td>
 *       <td>grants and leaderships lost other than by release or resignation</td></tr>
 *   <tr><td>{@value #ROUND_TRIPS}</td><td>function counter</td><td>primitive</td><td>server requests sent</td></tr>
 *   <tr><td>{@value #WAKEUPS}</td><td>function counter</td><td>primitive (lock, fair_lock, election, semaphore, read_write_lock)</td>
 *       <td>waiters woken by a departure to re-check</td></tr>
 * </table>
 *
 * <p>Lock and election names are not tags unless {@link Builder#nameTag(boolean)} opts in (a tag per name can mean
 * unbounded cardinality); then every {@value #ACQUISITIONS} and {@value #LOSSES} meter carries {@code name} (there
 * is no series without it, so that one name always has one set of tag keys, as Prometheus requires).
 *
 * <p>One registry, one set of tags: two {@code CoordMetrics} bound to one registry must differ in a tag (e.g. an
 * extra tag per coordinator), or they would share one set of meters; {@link #bindTo} refuses the second.
 *
 * <p>Threads: {@link #bindTo} and {@link #close} may be called from any thread. The observer runs on whatever
 * thread coord reports an event (a caller's, coord's scheduler, a client library's I/O thread) and increments or
 * records into meters, which takes no lock and does not wait, except the first use of a tag combination not
 * registered by {@code bindTo} (an {@code exception} value, or a {@code name} with the name tag on): that
 * registers a meter, which takes the registry's own lock for the registration, once. Meters of the fixed tag
 * combinations are registered by {@code bindTo}, so they exist (at zero) before the first event.
 */
public final class CoordMetrics implements MeterBinder, AutoCloseable {

    /** Gauge: sessions of the coordinator open now. */
    public static final String SESSIONS_OPEN = "coord.sessions.open";
    /** Counter: sessions opened. */
    public static final String SESSIONS_OPENED = "coord.sessions.opened";
    /** Counter: session state changes, tagged {@code from} and {@code to}. */
    public static final String SESSION_TRANSITIONS = "coord.sessions.transitions";
    /** Timer: renewal attempts, tagged {@code outcome} and {@code exception}. */
    public static final String SESSION_RENEWALS = "coord.sessions.renewals";
    /** Timer: acquisitions and campaigns, tagged {@code primitive} and {@code outcome}. */
    public static final String ACQUISITIONS = "coord.acquisitions";
    /** Gauge: grants held now, tagged {@code primitive}. */
    public static final String GRANTS_HELD = "coord.grants.held";
    /** Gauge: leaderships held now. */
    public static final String LEADERSHIPS_HELD = "coord.leaderships.held";
    /** Counter: grants and leaderships lost, tagged {@code primitive} and {@code reason}. */
    public static final String LOSSES = "coord.losses";
    /** Function counter: server requests, tagged {@code primitive}. */
    public static final String ROUND_TRIPS = "coord.round.trips";
    /** Function counter: waiter wake-ups, tagged {@code primitive}. */
    public static final String WAKEUPS = "coord.wakeups";

    private static final Primitive[] QUEUED = {Primitive.LOCK, Primitive.FAIR_LOCK, Primitive.ELECTION, Primitive.SEMAPHORE, Primitive.READ_WRITE_LOCK};
    /** The primitives whose grants {@value #GRANTS_HELD} counts (an election's are {@value #LEADERSHIPS_HELD}). */
    private static final Primitive[] GRANTED = {Primitive.LOCK, Primitive.FAIR_LOCK, Primitive.SEMAPHORE, Primitive.READ_WRITE_LOCK};

    private final Coordinator coordinator;
    private final Tags tags;
    private final boolean nameTag;
    private final Object lock = new Object();
    private final List<Binding> bindings = new ArrayList<>(); // guarded by lock
    private boolean closed; // guarded by lock

    private CoordMetrics(Coordinator coordinator, Tags extraTags, boolean nameTag) {
        this.coordinator = coordinator;
        this.tags = Tags.of("backend", coordinator.backend(), "namespace", coordinator.namespace()).and(extraTags);
        this.nameTag = nameTag;
    }

    /**
     * Metrics of {@code coordinator} with the common tags only and no name tag.
     *
     * @param coordinator the coordinator to observe; it must be open when {@link #bindTo} is called
     * @return new, unbound metrics
     * @throws NullPointerException if {@code coordinator} is null
     */
    public static CoordMetrics of(Coordinator coordinator) {
        return builder(coordinator).build();
    }

    /**
     * A builder for metrics of {@code coordinator}: extra tags, the name tag.
     *
     * @param coordinator the coordinator to observe
     * @return a new builder
     * @throws NullPointerException if {@code coordinator} is null
     */
    public static Builder builder(Coordinator coordinator) {
        return new Builder(Objects.requireNonNull(coordinator, "coordinator must not be null: the coordinator to export metrics of"));
    }

    /** Options of {@link CoordMetrics}; not thread-safe, build once. */
    public static final class Builder {
        private final Coordinator coordinator;
        private Tags extraTags = Tags.empty();
        private boolean nameTag;

        private Builder(Coordinator coordinator) {
            this.coordinator = coordinator;
        }

        /**
         * Adds tags to every meter (after {@code backend} and {@code namespace}; a later tag of the same key wins).
         *
         * @param tags the tags
         * @return this builder
         * @throws NullPointerException if {@code tags} is null
         */
        public Builder tags(Iterable<Tag> tags) {
            Objects.requireNonNull(tags, "tags must not be null; pass Tags.empty() for none");
            this.extraTags = extraTags.and(tags);
            return this;
        }

        /**
         * Adds tags to every meter, given as key, value, key, value…
         *
         * @param keyValues an even number of non-null strings
         * @return this builder
         * @throws NullPointerException     if {@code keyValues} or one of them is null
         * @throws IllegalArgumentException if their number is odd
         */
        public Builder tags(String... keyValues) {
            Objects.requireNonNull(keyValues, "tags must not be null; pass key, value pairs");
            if (keyValues.length % 2 != 0) {
                throw new IllegalArgumentException("tags must be key, value pairs: got " + keyValues.length
                        + " strings, an odd number");
            }
            for (int i = 0; i < keyValues.length; i++) {
                Objects.requireNonNull(keyValues[i], "tag " + (i % 2 == 0 ? "key" : "value") + " #" + (i / 2 + 1) + " must not be null");
            }
            this.extraTags = extraTags.and(Tags.of(keyValues));
            return this;
        }

        /**
         * Whether {@value CoordMetrics#ACQUISITIONS} and {@value CoordMetrics#LOSSES} carry the lock's or election's name as the tag
         * {@code name}. Default false: every name is a separate time series, so opt in only when the names are few.
         *
         * @param enabled true to tag by name
         * @return this builder
         */
        public Builder nameTag(boolean enabled) {
            this.nameTag = enabled;
            return this;
        }

        /**
         * Builds the metrics; nothing is registered until {@link CoordMetrics#bindTo}.
         *
         * @return new, unbound metrics
         */
        public CoordMetrics build() {
            return new CoordMetrics(coordinator, extraTags, nameTag);
        }
    }

    /**
     * Registers the meters on {@code registry} and starts observing the coordinator for it. May be called for
     * several registries; binding the same registry twice registers its meters once and counts events once.
     * All or nothing: a bind that fails leaves no meter of these metrics on the registry.
     *
     * @param registry the registry
     * @throws NullPointerException  if {@code registry} is null
     * @throws IllegalStateException if these metrics or the coordinator are closed, or if the registry already has
     *                               coord meters with exactly these tags (another {@code CoordMetrics}: give one of
     *                               them a distinguishing tag with {@link Builder#tags(String...)})
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry must not be null");
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("these coord metrics (" + tags + ") are closed; build new ones");
            }
            for (Binding b : bindings) {
                if (b.registry == registry) {
                    return;
                }
            }
            for (Meter m : registry.getMeters()) {
                if (m.getId().getName().equals(SESSIONS_OPENED) && Tags.of(m.getId().getTags()).equals(tags)) {
                    throw new IllegalStateException("the registry already has coord meters tagged " + tags
                            + " (another CoordMetrics of a coordinator with this backend and namespace): the two would share"
                            + " and remove each other's meters; give one a distinguishing tag, e.g."
                            + " CoordMetrics.builder(coordinator).tags(\"coordinator\", \"second\")");
                }
            }
            Binding binding = new Binding(registry);
            try {
                binding.register();
                binding.subscription = coordinator.addObserver(binding);
            } catch (RuntimeException | Error e) {
                binding.removeMeters(); // all or nothing
                throw e;
            }
            bindings.add(binding);
        }
    }

    /**
     * Stops observing the coordinator and removes every meter these metrics registered from every registry they
     * were bound to: nothing is counted after close returns. Idempotent. Close it before the coordinator, or after:
     * both are fine.
     */
    @Override
    public void close() {
        List<Binding> ended;
        synchronized (lock) {
            closed = true;
            ended = new ArrayList<>(bindings);
            bindings.clear();
        }
        for (Binding b : ended) {
            b.subscription.close();
            b.removeMeters();
        }
    }

    @Override
    public String toString() {
        return "CoordMetrics" + tags + (nameTag ? " with name tags" : "");
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The meters of one registry and the observer that feeds them. The observer methods run on coord's reporting
     * threads, concurrently; they touch only meters (thread-safe) and concurrent maps.
     */
    private final class Binding implements CoordObserver {
        final MeterRegistry registry;
        final List<Meter> meters = new CopyOnWriteArrayList<>();
        Subscription subscription;

        Counter opened;
        final Map<SessionState, Map<SessionState, Counter>> transitions = new EnumMap<>(SessionState.class);
        Timer renewed;
        final Map<Class<? extends Throwable>, Timer> renewalFailures = new ConcurrentHashMap<>();
        final Map<Primitive, Map<AcquisitionOutcome, Timer>> acquisitions = new EnumMap<>(Primitive.class);
        final Map<Primitive, Map<LossReason, Counter>> losses = new EnumMap<>(Primitive.class);
        /** With the name tag: meters by primitive, outcome or reason, and name. */
        final Map<List<Object>, Timer> namedAcquisitions = new ConcurrentHashMap<>();
        final Map<List<Object>, Counter> namedLosses = new ConcurrentHashMap<>();

        Binding(MeterRegistry registry) {
            this.registry = registry;
        }

        /**
         * Registers the meters of the fixed tag combinations, on the binding thread, before the observer is added
         * (the fields are then published to the reporting threads by the observer's registration).
         */
        void register() {
            CoordStats stats = coordinator.stats();
            keep(Gauge.builder(SESSIONS_OPEN, stats, s -> s.held(Primitive.SESSION)).tags(tags)
                    .description("coord sessions open now (ACTIVE or SUSPENDED)").register(registry));
            opened = keep(Counter.builder(SESSIONS_OPENED).tags(tags)
                    .description("coord sessions opened").register(registry));
            for (SessionState from : SessionState.values()) {
                Map<SessionState, Counter> to = new EnumMap<>(SessionState.class);
                for (SessionState next : SessionState.values()) {
                    if (!from.isTerminal() && next != from) {
                        to.put(next, keep(Counter.builder(SESSION_TRANSITIONS).tags(tags)
                                .tags("from", lower(from), "to", lower(next))
                                .description("coord session state changes").register(registry)));
                    }
                }
                transitions.put(from, to);
            }
            renewed = keep(renewalTimer("success", "none"));
            for (Primitive p : QUEUED) {
                // With the name tag, only named series exist (registered on first use): one tag-key set per name.
                Map<AcquisitionOutcome, Timer> byOutcome = new EnumMap<>(AcquisitionOutcome.class);
                Map<LossReason, Counter> byReason = new EnumMap<>(LossReason.class);
                if (!nameTag) {
                    for (AcquisitionOutcome o : AcquisitionOutcome.values()) {
                        byOutcome.put(o, keep(acquisitionTimer(p, o, null)));
                    }
                    for (LossReason r : LossReason.values()) {
                        byReason.put(r, keep(lossCounter(p, r, null)));
                    }
                }
                acquisitions.put(p, byOutcome);
                losses.put(p, byReason);
                keep(FunctionCounter.builder(WAKEUPS, stats, s -> s.wakeups(p)).tags(tags).tag("primitive", lower(p))
                        .description("coord waiters woken by a departure to re-check").register(registry));
            }
            for (Primitive p : Primitive.values()) {
                keep(FunctionCounter.builder(ROUND_TRIPS, stats, s -> s.roundTrips(p)).tags(tags).tag("primitive", lower(p))
                        .description("coord requests sent to the server").register(registry));
            }
            for (Primitive p : GRANTED) {
                keep(Gauge.builder(GRANTS_HELD, stats, s -> s.held(p)).tags(tags).tag("primitive", lower(p))
                        .description("coord lock grants and semaphore permits held now").register(registry));
            }
            keep(Gauge.builder(LEADERSHIPS_HELD, stats, s -> s.held(Primitive.ELECTION)).tags(tags)
                    .description("coord leaderships held now").register(registry));
        }

        private <M extends Meter> M keep(M meter) {
            meters.add(meter);
            return meter;
        }

        void removeMeters() {
            for (Meter m : meters) {
                registry.remove(m);
            }
            meters.clear();
        }

        private Timer renewalTimer(String outcome, String exception) {
            return Timer.builder(SESSION_RENEWALS).tags(tags).tags("outcome", outcome, "exception", exception)
                    .description("coord session renewal attempts, from sending to the reply").register(registry);
        }

        private Timer acquisitionTimer(Primitive p, AcquisitionOutcome o, String name) {
            Timer.Builder b = Timer.builder(ACQUISITIONS).tags(tags).tags("primitive", lower(p), "outcome", lower(o))
                    .description("coord lock acquisitions and election campaigns, from start to outcome");
            return (name == null ? b : b.tag("name", name)).register(registry);
        }

        private Counter lossCounter(Primitive p, LossReason r, String name) {
            Counter.Builder b = Counter.builder(LOSSES).tags(tags).tags("primitive", lower(p), "reason", lower(r))
                    .description("coord grants and leaderships lost other than by release or resignation");
            return (name == null ? b : b.tag("name", name)).register(registry);
        }

        // ---- the observer: coord's reporting threads; meters only (a first-use registration takes the registry's lock) ----

        @Override
        public void sessionOpened(String sessionId) {
            opened.increment();
        }

        @Override
        public void sessionStateChanged(String sessionId, SessionState previous, SessionState current) {
            Counter c = transitions.get(previous).get(current);
            if (c != null) {
                c.increment();
            }
        }

        @Override
        public void renewed(String sessionId, Duration latency) {
            renewed.record(latency);
        }

        @Override
        public void renewalFailed(String sessionId, Duration latency, Class<? extends Throwable> error) {
            renewalFailures.computeIfAbsent(error, e -> keep(renewalTimer("failure",
                    e.getSimpleName().isEmpty() ? e.getName() : e.getSimpleName()))).record(latency);
        }

        @Override
        public void acquisitionEnded(Primitive primitive, String name, AcquisitionOutcome outcome, Duration waited) {
            Map<AcquisitionOutcome, Timer> byOutcome = acquisitions.get(primitive);
            if (byOutcome == null) {
                return; // not a queued primitive: nothing to count
            }
            Timer t = nameTag
                    ? namedAcquisitions.computeIfAbsent(List.of(primitive, outcome, name), k -> keep(acquisitionTimer(primitive, outcome, name)))
                    : byOutcome.get(outcome);
            t.record(waited);
        }

        @Override
        public void lost(Primitive primitive, String name, LossReason reason) {
            Map<LossReason, Counter> byReason = losses.get(primitive);
            if (byReason == null) {
                return; // not a queued primitive: nothing to count
            }
            Counter c = nameTag
                    ? namedLosses.computeIfAbsent(List.of(primitive, reason, name), k -> keep(lossCounter(primitive, reason, name)))
                    : byReason.get(reason);
            c.increment();
        }
    }
}
