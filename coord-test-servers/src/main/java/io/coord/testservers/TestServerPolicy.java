package io.coord.testservers;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.opentest4j.TestAbortedException;

/**
 * Decides where etcd and Redis test servers come from (issues 3 and 4). Guarantees, in this order:
 * <ol>
 *   <li>Outside CI ({@code CI} environment variable not {@code "true"}), {@code -Dcoord.skip.etcd=true}
 *       / {@code -Dcoord.skip.redis=true} abort the test with a visible reason
 *       ({@link TestAbortedException}). Under {@code CI=true} these properties are ignored: nothing
 *       is ever skipped.</li>
 *   <li>An external server named by {@code COORD_ETCD_ENDPOINTS} (comma-separated
 *       {@code http://host:port}) / {@code COORD_REDIS_URI} ({@code redis://host:port}) wins over
 *       everything else.</li>
 *   <li>Otherwise the binary ({@code etcd} / {@code redis-server}) from PATH, or the path in
 *       {@code -Dcoord.etcd.binary} / {@code -Dcoord.redis.binary}.</li>
 *   <li>Otherwise Testcontainers, when it is on the classpath and a Docker engine answers.</li>
 *   <li>Otherwise {@link TestServerUnavailableException} (the test fails) with a message saying how
 *       to get the server.</li>
 * </ol>
 * Instances are immutable; the environment is read through injectable functions so the policy can
 * be tested without touching the real environment.
 */
public final class TestServerPolicy {

    /** The server kinds this policy chooses a source for. */
    public enum Kind {
        /** etcd 3.4+ ({@code etcd} binary, Debian package {@code etcd-server}). */
        ETCD("etcd", "etcd", "COORD_ETCD_ENDPOINTS", "etcd-server", "http://127.0.0.1:2379[,http://…]"),
        /** Redis 7+ ({@code redis-server} binary, Debian package {@code redis-server}). */
        REDIS("redis", "redis-server", "COORD_REDIS_URI", "redis-server", "redis://127.0.0.1:6379");

        private final String id;
        private final String binary;
        private final String externalEnv;
        private final String debianPackage;
        private final String externalExample;

        Kind(String id, String binary, String externalEnv, String debianPackage, String externalExample) {
            this.id = id;
            this.binary = binary;
            this.externalEnv = externalEnv;
            this.debianPackage = debianPackage;
            this.externalExample = externalExample;
        }

        /**
         * Name of the executable looked up on PATH.
         *
         * @return the executable's file name, e.g. {@code redis-server}
         */
        public String binaryName() {
            return binary;
        }

        /**
         * Environment variable naming an external server.
         *
         * @return the variable's name, e.g. {@code COORD_ETCD_ENDPOINTS}
         */
        public String externalEnv() {
            return externalEnv;
        }

        /**
         * System property a developer sets to {@code true} to opt out (ignored under CI).
         *
         * @return the property's name, {@code coord.skip.<kind>}
         */
        public String skipProperty() {
            return "coord.skip." + id;
        }

        /**
         * System property overriding the binary's path.
         *
         * @return the property's name, {@code coord.<kind>.binary}
         */
        public String binaryProperty() {
            return "coord." + id + ".binary";
        }
    }

    /**
     * The chosen source. Exactly one of {@code binary} (for {@link ServerSource#BINARY}) and
     * {@code external} (for {@link ServerSource#EXTERNAL}) is present; neither for Testcontainers.
     *
     * @param source   where the server comes from
     * @param binary   the executable to start, present for {@link ServerSource#BINARY}
     * @param external the external server's address, present for {@link ServerSource#EXTERNAL}
     */
    public record Decision(ServerSource source, Optional<Path> binary, Optional<String> external) {
        /**
         * Checks that every part is given (as an {@code Optional}, possibly empty).
         *
         * @param source   where the server comes from
         * @param binary   the executable to start, present for {@link ServerSource#BINARY}
         * @param external the external server's address, present for {@link ServerSource#EXTERNAL}
         * @throws NullPointerException if a part is null
         */
        public Decision {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(binary, "binary");
            Objects.requireNonNull(external, "external");
        }
    }

    private final Function<String, String> env;
    private final Function<String, String> props;
    private final BooleanSupplier dockerProbe;

    /**
     * A policy over the given lookups (tests pass their own; {@link #fromEnvironment()} the real ones).
     *
     * @param env environment lookup (null result = unset)
     * @param props system property lookup (null result = unset)
     * @param dockerProbe answers whether Testcontainers can reach a Docker engine; called only when
     *     no external server and no binary is available
     */
    public TestServerPolicy(Function<String, String> env, Function<String, String> props, BooleanSupplier dockerProbe) {
        this.env = Objects.requireNonNull(env, "env");
        this.props = Objects.requireNonNull(props, "props");
        this.dockerProbe = Objects.requireNonNull(dockerProbe, "dockerProbe");
    }

    /**
     * The policy over the real environment, system properties and Docker probe.
     *
     * @return a policy reading {@link System#getenv}, {@link System#getProperty} and probing Docker through Testcontainers
     */
    public static TestServerPolicy fromEnvironment() {
        return new TestServerPolicy(System::getenv, System::getProperty, TestServerPolicy::dockerAvailable);
    }

    /**
     * True when the {@code CI} environment variable is {@code "true"} (case-insensitive).
     *
     * @return true under {@code CI=true}, where nothing may be skipped
     */
    public boolean isCi() {
        return "true".equalsIgnoreCase(trim(env.apply("CI")));
    }

    /**
     * Chooses the source of a server of {@code kind}, following the order in the class comment.
     *
     * @param kind the server kind
     * @return the chosen source: an external server, else a binary, else Testcontainers
     * @throws TestAbortedException when a developer opted out outside CI
     * @throws TestServerUnavailableException when no source is available
     */
    public Decision decide(Kind kind) {
        checkOptOut(kind);
        String external = trim(env.apply(kind.externalEnv));
        if (external != null && !external.isEmpty()) {
            return new Decision(ServerSource.EXTERNAL, Optional.empty(), Optional.of(external));
        }
        Optional<Path> binary = findBinary(kind);
        if (binary.isPresent()) {
            return new Decision(ServerSource.BINARY, binary, Optional.empty());
        }
        if (dockerProbe.getAsBoolean()) {
            return new Decision(ServerSource.TESTCONTAINERS, Optional.empty(), Optional.empty());
        }
        throw new TestServerUnavailableException(unavailableMessage(kind));
    }

    /**
     * Step 1 of {@link #decide} alone: aborts the calling test when a developer opted out of
     * {@code kind} outside CI; returns normally otherwise (always under {@code CI=true}).
     *
     * @param kind the server kind
     * @throws TestAbortedException on an explicit opt-out outside CI
     */
    public void checkOptOut(Kind kind) {
        Objects.requireNonNull(kind, "kind");
        if (!isCi() && "true".equalsIgnoreCase(trim(props.apply(kind.skipProperty())))) {
            throw new TestAbortedException(kind.id + " tests skipped: developer opt-out -D" + kind.skipProperty()
                    + "=true (ignored when CI=true)");
        }
    }

    /**
     * The message used when no source is available: what to install or set.
     *
     * @param kind the server kind
     * @return the message: what is missing and how to get it (and, outside CI, how to opt out)
     */
    public String unavailableMessage(Kind kind) {
        return "No " + kind.id + " server available for the tests: '" + kind.binary + "' is not on PATH"
                + " (nor set with -D" + kind.binaryProperty() + "), no Docker engine is reachable for Testcontainers,"
                + " and " + kind.externalEnv + " is not set. Get one: run scripts/install-test-servers.sh as root"
                + " (or: apt-get install " + kind.debianPackage + "; it does not start a service),"
                + " or start Docker, or export " + kind.externalEnv + "=" + kind.externalExample + "."
                + (isCi() ? "" : " To skip these tests locally (never under CI=true): -D" + kind.skipProperty() + "=true");
    }

    /**
     * The binary for {@code kind}: the {@code -Dcoord.<kind>.binary} path if set, else a PATH lookup.
     *
     * @param kind the server kind
     * @return the executable, or empty when the override is not executable or nothing is on PATH
     */
    public Optional<Path> findBinary(Kind kind) {
        String override = trim(props.apply(kind.binaryProperty()));
        if (override != null && !override.isEmpty()) {
            Path p = Path.of(override);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        return findOnPath(kind.binary, env.apply("PATH"));
    }

    /**
     * Looks {@code name} up in a PATH-style string; empty when not found or not executable.
     *
     * @param name the executable's file name
     * @param path directories separated by the platform's path separator, or null
     * @return the first executable regular file of that name, or empty
     */
    public static Optional<Path> findOnPath(String name, String path) {
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * True when Testcontainers is on the classpath and reports a usable Docker engine. Never throws:
     * a missing optional dependency or any probe failure means "no Docker".
     *
     * @return true only if a Docker engine answered
     */
    public static boolean dockerAvailable() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, TestServerPolicy.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
        try {
            return Containers.isDockerAvailable();
        } catch (Throwable t) { // NOPMD: any failure of the optional probe means "no Docker"
            return false;
        }
    }

    private static String trim(String s) {
        return s == null ? null : s.trim();
    }
}
