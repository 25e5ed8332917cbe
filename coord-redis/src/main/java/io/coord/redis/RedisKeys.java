package io.coord.redis;

import io.coord.Primitive;
import io.coord.spi.NameEncoding;

import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The whole Redis key layout of coord, in one place. Every key and channel the backend uses is
 * built here; nothing else concatenates key strings.
 *
 * <p>With {@code P = "coord:<namespace>:"} and {@code <enc>} the {@link NameEncoding} of a lock or
 * election name (bytes outside {@code [A-Za-z0-9_-]} become {@code %XX}, so an encoded name never
 * contains '{', '}', ':', '*' or spaces and cannot break a hash tag or a SCAN pattern):
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><th>key</th><th>type</th><th>lifetime</th></tr>
 *   <tr><td>{@code P s:<sessionId>}</td><td>string (TTL in ms)</td>
 *       <td>created {@code SET NX PX ttl}, renewed {@code PEXPIRE}; expires on the server's clock; deleted on close</td></tr>
 *   <tr><td>{@code P <kind>:{<namespace>/<kind>/<enc>}:q}</td><td>zset member → ticket</td>
 *       <td>the queue (holder = lowest ticket); exists only while it has entries</td></tr>
 *   <tr><td>{@code P <kind>:{<namespace>/<kind>/<enc>}:c}</td><td>string counter ({@code INCR}, floored at the server's clock)</td>
 *       <td><b>permanent</b>: the ticket / fencing-token / term / version counter, one per name and kind</td></tr>
 *   <tr><td>{@code P election:{<namespace>/election/<enc>}:v}</td><td>hash member → value</td>
 *       <td>election values; exists only while there are candidates</td></tr>
 *   <tr><td>{@code P semaphore:{<namespace>/semaphore/<enc>}:v}</td><td>hash member → "{@code <slot> <token>}"</td>
 *       <td>the slots claimed by granted permits ({@code claim.lua}); exists only while a permit is held</td></tr>
 *   <tr><td>{@code P group:{<namespace>/group/<enc>}:m}</td><td>hash {@code <enc member id>} →
 *       "{@code <sessionId> <joinToken> <version> <metadata>}"</td>
 *       <td>a group's members ({@link RedisGroup}); exists only while the group has members</td></tr>
 *   <tr><td>{@code P group:{<namespace>/group/<enc>}:c}</td><td>string counter (floored like the others)</td>
 *       <td><b>permanent</b>: the group's join tokens, versions and revisions</td></tr>
 * </table>
 * {@code <kind>} is {@code lock}, {@code fair}, {@code election}, {@code semaphore} or {@code rwlock}. The three keys of one
 * primitive share the hash tag {@code {<namespace>/<kind>/<enc>}}, so they live in one Redis
 * Cluster slot and one script can touch them atomically; a group's two keys likewise share
 * {@code {<namespace>/group/<enc>}}. Session keys are untagged: no script
 * ever touches a session key together with another key.
 *
 * <p>Channels (not keys): {@code P i:<coordinatorId>}, one inbox per coordinator, on which a
 * waiter that has just become first in line is told so ({@code <member> <queue key>}), and on
 * which the coordinator is asked whether it still owns one of its entries
 * ({@code ?<member> <queue key>}, see {@link RedisCoordinator}); {@code P election:{…}:o} for
 * election observers; {@code P group:{…}:o} for group watches (every change of the group, see {@link RedisGroup}).
 *
 * <p>Queue members are {@code <sessionId>:<coordinatorId>:<seq>} (hexadecimal parts), unique per
 * acquisition: every script is idempotent per member. Semaphore and read-write lock members carry their
 * tag as a fourth part, {@code <sessionId>:<coordinatorId>:<seq>:<tag>} (the number of permits in decimal,
 * or {@code r}/{@code w}), so one range read reports every entry with its tag and {@code remove.lua}
 * knows whom a departure grants.
 *
 * <p><b>The counter</b> is incremented only inside scripts, and every increment is floored at the
 * server's clock: value = max({@code INCR}, {@code TIME} in microseconds since the epoch), the
 * floor written back with {@code SET} when it wins. Values are therefore about 1.8e15 (exact in a
 * Java {@code long}, a Lua double and a zset score below 2^53, i.e. until the year 2255) and not
 * consecutive. What that guarantees: on one server that keeps its data, values strictly increase
 * whatever its clock does; a value is never below the issuing server's clock; so after a failover
 * or a restart that lost increments, the next value is still greater than every value issued
 * before — unless the counter had run ahead of real time (more than one increment per microsecond
 * sustained, or a clock that went back) or the new server's clock is behind the old one's, by more
 * than the time between the lost increment and the next one. Then a value can repeat or go back;
 * hence no {@code DURABLE_FENCING_TOKENS} (see {@link RedisCoordinator}).
 *
 * <p><b>Permanent keys</b>: exactly the {@code :c} counters, one per name and kind (groups included) ever used in
 * the namespace; each is one small string. Everything else is removed
 * when released, abandoned, resigned, left or expired — except that the queue entry of a session whose
 * process crashed stays until the next participant of that name (acquirer, waiter, observer,
 * {@code leader()}) notices its session key is gone and removes it, and its group members until the next
 * read, watch or join of the group does ({@link RedisGroup}).
 */
final class RedisKeys {

    /** The kinds of primitives with a queue. */
    public enum Kind {
        LOCK("lock", Primitive.LOCK), FAIR("fair", Primitive.FAIR_LOCK), ELECTION("election", Primitive.ELECTION),
        SEMAPHORE("semaphore", Primitive.SEMAPHORE), RWLOCK("rwlock", Primitive.READ_WRITE_LOCK);

        final String word;
        private final Primitive primitive;

        Kind(String word, Primitive primitive) {
            this.word = word;
            this.primitive = primitive;
        }

        /** The primitive whose statistics count this kind's requests. */
        public Primitive primitive() {
            return primitive;
        }

        /** The kind of {@code primitive}'s queues. */
        public static Kind of(Primitive primitive) {
            for (Kind kind : values()) {
                if (kind.primitive == primitive) {
                    return kind;
                }
            }
            throw new IllegalArgumentException("no Redis queue for " + primitive);
        }
    }

    /** A queue together with its kind, as recovered from a queue key by {@link #queueOfKey(String)}. */
    public record QueueRef(Kind kind, Queue queue) {
    }

    /** The three keys (one slot) and the observer channel of one primitive instance. */
    public record Queue(String queue, String counter, String values, String observers) {
        /** The keys in the order every script expects them. */
        public String[] keys() {
            return new String[] {queue, counter, values};
        }
    }

    private final String namespace;
    private final String prefix;
    private final Pattern queueKeyPattern;

    public RedisKeys(String namespace) {
        this.namespace = io.coord.spi.Arguments.namespace(namespace);
        this.prefix = "coord:" + namespace + ":";
        String kinds = Arrays.stream(Kind.values()).map(k -> k.word).collect(Collectors.joining("|"));
        this.queueKeyPattern = Pattern.compile(Pattern.quote(prefix) + "(" + kinds + "):\\{"
                + Pattern.quote(namespace) + "/(" + kinds + ")/([A-Za-z0-9_%-]*)\\}:q");
    }

    public String namespace() {
        return namespace;
    }

    /** {@code coord:<namespace>:} — every key and channel of this namespace starts with it. */
    public String prefix() {
        return prefix;
    }

    /** SCAN pattern matching every key of the namespace (the namespace has no glob characters). */
    public String scanPattern() {
        return prefix + "*";
    }

    /** True for the documented permanent keys (the per-name counters). */
    public boolean isPermanent(String key) {
        return key.startsWith(prefix) && key.endsWith("}:c");
    }

    public String session(String sessionId) {
        return prefix + "s:" + sessionId;
    }

    /** The session id inside a queue member {@code <sessionId>:<coordinatorId>:<seq>}. */
    public static String sessionOf(String member) {
        int colon = member.indexOf(':');
        return colon < 0 ? member : member.substring(0, colon);
    }

    /** The coordinator id inside a queue member {@code <sessionId>:<coordinatorId>:<seq>}, or "" if malformed. */
    public static String coordinatorOf(String member) {
        int first = member.indexOf(':');
        int second = first < 0 ? -1 : member.indexOf(':', first + 1);
        return second < 0 ? "" : member.substring(first + 1, second);
    }

    public static String member(String sessionId, String coordinatorId, long seq) {
        return sessionId + ":" + coordinatorId + ":" + Long.toHexString(seq);
    }

    /** A semaphore's or read-write lock's member: {@code <member>:<tag>} (the tag: permits in decimal, or r/w). */
    public static String tagged(String member, String tag) {
        return member + ":" + tag;
    }

    /** The tag of a member {@code <sessionId>:<coordinatorId>:<seq>:<tag>}, or "" for an untagged member. */
    public static String tagOf(String member) {
        int first = member.indexOf(':');
        int second = first < 0 ? -1 : member.indexOf(':', first + 1);
        int third = second < 0 ? -1 : member.indexOf(':', second + 1);
        return third < 0 ? "" : member.substring(third + 1);
    }

    /** Channel prefix of the coordinator inboxes; {@code remove.lua} appends the coordinator id. */
    public String inboxPrefix() {
        return prefix + "i:";
    }

    public String inbox(String coordinatorId) {
        return inboxPrefix() + coordinatorId;
    }

    /** The two keys (one slot) and the change channel of one group. */
    public record Group(String members, String counter, String changes) {
        /** The keys in the order every group script expects them. */
        public String[] keys() {
            return new String[] {members, counter};
        }
    }

    /** The keys of group {@code name}: the same encoding and hash tag as the queues, under the word {@code group}. */
    public Group group(String name) {
        String base = prefix + "group:{" + namespace + "/group/" + NameEncoding.encode(name) + "}:";
        return new Group(base + "m", base + "c", base + "o");
    }

    public Queue queue(Kind kind, String name) {
        String base = prefix + kind.word + ":{" + namespace + "/" + kind.word + "/" + NameEncoding.encode(name) + "}:";
        return new Queue(base + "q", base + "c", base + "v", kind == Kind.ELECTION ? base + "o" : "");
    }

    /**
     * The queue whose {@code :q} key is {@code queueKey}, if that is exactly a queue key of this
     * namespace as {@link #queue(Kind, String)} builds it (anything else, e.g. a malformed or
     * foreign key in an inbox message, gives empty).
     */
    public Optional<QueueRef> queueOfKey(String queueKey) {
        Matcher m = queueKeyPattern.matcher(queueKey);
        if (!m.matches() || !m.group(1).equals(m.group(2))) {
            return Optional.empty();
        }
        for (Kind kind : Kind.values()) {
            if (kind.word.equals(m.group(1))) {
                Queue q;
                try {
                    q = queue(kind, NameEncoding.decode(m.group(3)));
                } catch (RuntimeException malformed) {
                    return Optional.empty();
                }
                // canonical form only: decoding and encoding again must give the same key
                return q.queue().equals(queueKey) ? Optional.of(new QueueRef(kind, q)) : Optional.empty();
            }
        }
        return Optional.empty();
    }
}
