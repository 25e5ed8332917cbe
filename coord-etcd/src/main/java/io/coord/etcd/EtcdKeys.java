package io.coord.etcd;

import io.coord.Primitive;
import io.coord.spi.NameEncoding;
import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;

/**
 * The whole etcd key layout of coord-etcd, in one place.
 *
 * <pre>
 * coord/&lt;ns&gt;/                                   root of one coordinator namespace
 * coord/&lt;ns&gt;/lock/&lt;name&gt;/&lt;lease&gt;             a waiter or the holder of fenced lock &lt;name&gt;
 * coord/&lt;ns&gt;/fairlock/&lt;name&gt;/&lt;lease&gt;         a waiter or the holder of fair lock &lt;name&gt;
 * coord/&lt;ns&gt;/election/&lt;name&gt;/&lt;lease&gt;         a candidate (or the leader) of election &lt;name&gt;; value = announced value
 * coord/&lt;ns&gt;/semaphore/&lt;name&gt;/&lt;lease&gt;        a waiter or holder of semaphore &lt;name&gt;; value = its tag (permits, decimal)
 * coord/&lt;ns&gt;/rwlock/&lt;name&gt;/&lt;lease&gt;           a waiter or holder of read-write lock &lt;name&gt;; value = its tag ("r" or "w")
 * coord/&lt;ns&gt;/slot/&lt;name&gt;/&lt;i&gt;                 slot i of semaphore &lt;name&gt;, claimed by a granted entry; value = &lt;lease hex&gt;@&lt;entry create revision&gt;
 * coord/&lt;ns&gt;/group/&lt;group&gt;/&lt;member id&gt;      member &lt;member id&gt; of group &lt;group&gt;, on its session's lease; value = its metadata
 * </pre>
 *
 * <ul>
 *   <li>{@code <ns>}, {@code <name>}, {@code <group>} and {@code <member id>} are {@link NameEncoding#encode(String) encoded}: one segment of
 *       {@code [A-Za-z0-9_%-]}, never containing '/', so no namespace or name is a prefix of another's keys
 *       ({@code a} and {@code a/b} become {@code a/} and {@code a%2Fb/}).</li>
 *   <li>{@code <lease>} is the session's etcd lease id in lower-case hex (also {@code Session.id()}); every key
 *       is attached to that lease, so it disappears when the session is revoked or expires. One session has at
 *       most one key per lock or election (the API forbids re-entrance), which makes the key deterministic:
 *       a retried or abandoned request can always be cleaned up by deleting exactly that key.</li>
 *   <li>Queue order = the keys' create revision (global, monotonic, durable in the raft log): the holder /
 *       leader is the key with the smallest create revision, and that revision is the fencing token / term.</li>
 *   <li>A group member's key is named by its member id, not by its lease: one id is one key, whoever holds it,
 *       which is what makes an id held by one session at a time (a put-if-absent). The holder is the key's lease
 *       ({@code Session.id()} = the lease in hex), the join token its create revision, the version its mod revision.</li>
 *   <li>Nothing is permanent: an idle namespace has no keys at all.</li>
 * </ul>
 */
final class EtcdKeys {

    /** The first segment of every coord key. */
    static final String ROOT = "coord/";

    private final String namespace;
    private final String root;

    EtcdKeys(String namespace) {
        this.namespace = namespace;
        this.root = ROOT + NameEncoding.encode(namespace) + "/";
    }

    /**
     * {@code coord/<ns>/<kind>/<name>}, without the trailing '/': the prefix etcd's Go {@code concurrency}
     * recipes and {@code etcdctl lock|elect} take (they append the '/' themselves), so they share the queue.
     */
    static String queuePrefix(String namespace, Primitive primitive, String name) {
        String kind = switch (primitive) {
            case LOCK -> "lock";
            case FAIR_LOCK -> "fairlock";
            case ELECTION -> "election";
            case SEMAPHORE -> "semaphore";
            case READ_WRITE_LOCK -> "rwlock";
            default -> throw new IllegalArgumentException("no etcd queue for " + primitive);
        };
        return ROOT + NameEncoding.encode(namespace) + "/" + kind + "/" + NameEncoding.encode(name);
    }

    /** {@code coord/<ns>/}: every key of this namespace starts with it. */
    ByteSequence namespacePrefix() {
        return bytes(root);
    }

    /** {@code coord/<ns>/lock/<name>/} (fair: {@code fairlock}). */
    ByteSequence lockQueue(String name, boolean fair) {
        return bytes(queuePrefix(namespace, fair ? Primitive.FAIR_LOCK : Primitive.LOCK, name) + "/");
    }

    /** {@code coord/<ns>/election/<name>/}. */
    ByteSequence electionQueue(String name) {
        return bytes(queuePrefix(namespace, Primitive.ELECTION, name) + "/");
    }

    /** The queue of {@code primitive} {@code name}, with the trailing '/'. */
    ByteSequence queue(Primitive primitive, String name) {
        return bytes(queuePrefix(namespace, primitive, name) + "/");
    }

    /**
     * {@code coord/<ns>/slot/<name>/}: the slots of semaphore {@code name}, under their own kind so that
     * no queue range read ever sees them.
     */
    ByteSequence slotPrefix(String name) {
        return bytes(root + "slot/" + NameEncoding.encode(name) + "/");
    }

    /**
     * {@code coord/<ns>/group/<group>/}: the members of group {@code group}, under a kind of their own so that no
     * queue or slot read ever sees them.
     */
    ByteSequence groupPrefix(String group) {
        return bytes(root + "group/" + NameEncoding.encode(group) + "/");
    }

    /** The key of member {@code memberId} in a group: {@code <group prefix><encoded member id>}. */
    static ByteSequence member(ByteSequence groupPrefix, String memberId) {
        return groupPrefix.concat(bytes(NameEncoding.encode(memberId)));
    }

    /** The member id of a member key (its last segment, decoded). */
    static String memberIdOf(ByteSequence memberKey) {
        return NameEncoding.decode(lastSegment(memberKey));
    }

    /** The key of one session in a queue: {@code <queue><lease hex>}. */
    static ByteSequence entry(ByteSequence queue, long leaseId) {
        return queue.concat(bytes(leaseHex(leaseId)));
    }

    /** The lease hex of an entry key (its last segment), i.e. the owning session's id. */
    static String sessionIdOf(ByteSequence entryKey) {
        return lastSegment(entryKey);
    }

    private static String lastSegment(ByteSequence key) {
        String k = key.toString(StandardCharsets.UTF_8);
        return k.substring(k.lastIndexOf('/') + 1);
    }

    static String leaseHex(long leaseId) {
        return Long.toHexString(leaseId);
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static String text(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }
}
