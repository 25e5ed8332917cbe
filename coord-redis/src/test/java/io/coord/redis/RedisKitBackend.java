package io.coord.redis;

import io.coord.Capability;
import io.coord.Coordinator;
import io.coord.Primitive;
import io.coord.testkit.CrashableClient;
import io.coord.testkit.KitBackend;
import io.coord.testservers.RedisTls;
import io.coord.testservers.RespConnection;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The conformance kit's view of Redis: opens coordinators through {@code Coordinator.open(uri)}
 * (the ServiceLoader path) and reads the keyspace directly with the kit's small RESP client, on
 * every master (in a cluster each master only SCANs its own slots).
 */
class RedisKitBackend implements KitBackend {

    /** The documented permanent keys: the per-name counters, groups' included (see {@link RedisKeys}). */
    private static final Pattern PERMANENT = Pattern.compile("coord:[^:]+:(lock|fair|election|semaphore|rwlock|group):\\{[^}]*\\}:c");

    private final String label;
    private final List<URI> masters;
    private final Function<String, String> uriForNamespace;
    /** The default user's password on every master, or null where it has none. */
    private final String adminPassword;
    /** TLS for the kit's own connections, when the servers serve TLS only. */
    private final Optional<RedisTls> tls;

    RedisKitBackend(String label, List<URI> masters, Function<String, String> uriForNamespace) {
        this(label, masters, uriForNamespace, null, Optional.empty());
    }

    RedisKitBackend(String label, List<URI> masters, Function<String, String> uriForNamespace, String adminPassword,
                    Optional<RedisTls> tls) {
        this.label = label;
        this.masters = List.copyOf(masters);
        this.uriForNamespace = uriForNamespace;
        this.adminPassword = adminPassword;
        this.tls = tls;
    }

    /** The masters the kit reads and administers. */
    List<URI> masters() {
        return masters;
    }

    /** The coord URI of {@code namespace} (a subclass may log each namespace in as its own user). */
    String coordUri(String namespace) {
        return uriForNamespace.apply(namespace);
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public Coordinator open(String namespace) {
        return Coordinator.open(coordUri(namespace));
    }

    /**
     * A coordinator logged in as an ACL user of its own, created on every master. The crash disables the
     * user and kills its connections: the client's reconnects then fail to authenticate, so it is cut off on
     * every topology (a proxy cannot cut a cluster client, which follows redirects to the nodes' own
     * addresses). Nothing is revoked; the session key expires on the server at its TTL.
     */
    @Override
    public CrashableClient openCrashable(String namespace) {
        String user = "coord-kit-" + UUID.randomUUID().toString().substring(0, 8);
        String password = UUID.randomUUID().toString();
        onEveryMaster("ACL", "SETUSER", user, "on", ">" + password, "~*", "&*", "+@all");
        String uri = coordUri(namespace).replaceFirst("://([^@/]*@)?", "://" + user + ":" + password + "@");
        try {
            return new CrashableClient(Coordinator.open(uri), () -> {
                onEveryMaster("ACL", "SETUSER", user, "off");
                onEveryMaster("CLIENT", "KILL", "USER", user);
            }, () -> onEveryMaster("ACL", "DELUSER", user));
        } catch (RuntimeException e) {
            onEveryMaster("ACL", "DELUSER", user);
            throw e;
        }
    }

    void onEveryMaster(String... command) {
        for (URI m : masters) {
            try (RespConnection c = admin(m)) {
                c.command(command);
            }
        }
    }

    /** A RESP connection to {@code master} as the default user (over TLS when the servers serve TLS). */
    RespConnection admin(URI master) {
        RespConnection c = RespConnection.open(master.getHost(), master.getPort(), Duration.ofSeconds(2), tls);
        if (adminPassword != null) {
            c.command("AUTH", "default", adminPassword);
        }
        return c;
    }

    @Override
    public Set<String> keys(String namespace) {
        Set<String> keys = new TreeSet<>();
        String pattern = new RedisKeys(namespace).scanPattern();
        for (URI m : masters) {
            try (RespConnection c = admin(m)) {
                String cursor = "0";
                for (int i = 0; i < 100_000; i++) {
                    List<?> reply = (List<?>) c.command("SCAN", cursor, "MATCH", pattern, "COUNT", "1000");
                    cursor = reply.get(0).toString();
                    for (Object k : (List<?>) reply.get(1)) {
                        keys.add(k.toString());
                    }
                    if (cursor.equals("0")) {
                        break;
                    }
                }
            }
        }
        return keys;
    }

    @Override
    public List<String> entries(String namespace, Primitive primitive, String name) {
        String queue = new RedisKeys(namespace).queue(RedisKeys.Kind.of(primitive), name).queue();
        List<String> members = new ArrayList<>();
        for (URI m : masters) {
            try (RespConnection c = admin(m)) {
                Object reply = c.command("ZRANGE", queue, "0", "-1");
                for (Object o : (List<?>) reply) {
                    members.add(o.toString());
                }
            } catch (RespConnection.RespError moved) {
                // another master serves that slot
            }
        }
        return members;
    }

    @Override
    public boolean isPermanent(String key) {
        return PERMANENT.matcher(key).matches();
    }

    @Override
    public Set<Capability> declaredCapabilities() {
        return RedisCoordinator.CAPABILITIES;
    }

    @Override
    public Duration shortTtl() {
        return Duration.ofSeconds(2);
    }

    @Override
    public Duration longTtl() {
        return Duration.ofSeconds(10);
    }

    @Override
    public Duration minimumGrantedTtl() {
        return Duration.ofMillis(100);
    }

    @Override
    public int maxRoundTripsPerUncontendedCycle() {
        return 2;
    }

    @Override
    public boolean isClientThread(Thread thread) {
        // coord's executors and lettuce's event loops and timer: all must stop with the coordinator
        return thread.getName().startsWith("coord-") || thread.getName().startsWith("lettuce-");
    }
}
