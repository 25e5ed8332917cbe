package io.coord.zookeeper;

import io.coord.Primitive;
import io.coord.group.Member;
import io.coord.spi.NameEncoding;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.zookeeper.data.Stat;

/**
 * The whole ZooKeeper node layout of coord, in one place.
 *
 * <pre>
 * /&lt;namespace&gt;                                   CONTAINER (each segment of a nested namespace too)
 * /&lt;namespace&gt;/locks                             CONTAINER  plain fenced locks
 * /&lt;namespace&gt;/locks/&lt;encoded name&gt;              CONTAINER  one lock's queue
 * /&lt;namespace&gt;/locks/&lt;encoded name&gt;/&lt;entry&gt;      EPHEMERAL_SEQUENTIAL  one holder or waiter
 * /&lt;namespace&gt;/fair/&lt;encoded name&gt;/&lt;entry&gt;       same, fair locks
 * /&lt;namespace&gt;/elections/&lt;encoded name&gt;/&lt;entry&gt;  same, candidates (data = the announced value, UTF-8)
 * /&lt;namespace&gt;/semaphores/&lt;encoded name&gt;/&lt;entry&gt; same, semaphore requests; the entry name carries the tag
 * /&lt;namespace&gt;/rwlocks/&lt;encoded name&gt;/&lt;entry&gt;    same, read-write lock requests; the entry name carries the tag
 * /&lt;namespace&gt;/slots/&lt;encoded name&gt;                CONTAINER  one semaphore's slots
 * /&lt;namespace&gt;/slots/&lt;encoded name&gt;/&lt;i&gt;            EPHEMERAL  slot i, claimed by a granted entry (data = its entry name)
 * /&lt;namespace&gt;/groups                            CONTAINER  group membership
 * /&lt;namespace&gt;/groups/&lt;encoded group&gt;            CONTAINER  one group
 * /&lt;namespace&gt;/groups/&lt;encoded group&gt;/&lt;encoded member id&gt;  EPHEMERAL  one member, on its session (data = its metadata, UTF-8)
 * </pre>
 *
 * <p>Entries of semaphores and read-write locks are {@code <owner>-<nonce>-<tag>-lock-<sequence>}: the tag (the
 * number of permits in decimal, or {@code r}/{@code w}) is in the name, so one {@code getChildren} reports every
 * entry with its tag. A slot's node name is its number, so a create of slot {@code i} is the guard: two entries
 * can never both create it. Its {@code czxid} is the permit's fencing token.
 *
 * <p>A member's node is named by its member id, not by its session: one id is one node whoever holds it, so its
 * {@code create} is the guard that lets one live session hold an id at a time (NODEEXISTS: held). The node maps
 * to a {@link Member} ({@link #member(String, byte[], Stat)}): holder = {@code ephemeralOwner} ({@link #sessionIdText}), join token =
 * {@code czxid}, version = {@code mzxid}, metadata = the data.
 *
 * <p>{@code <encoded name>} (and {@code <encoded group>}, {@code <encoded member id>}) is
 * {@link NameEncoding#encode(String)} of the lock, election or group name or member id (only
 * {@code [A-Za-z0-9_-]} and {@code %XX}: never '/', '.', or anything ZooKeeper rejects).
 * {@code <entry>} is {@code <owner>-<nonce>-lock-<sequence>}: {@code owner} is the ZooKeeper session id
 * as 16 hex digits, {@code nonce} 8 random hex digits chosen per acquisition, and {@code sequence}
 * the 10-digit suffix ZooKeeper appends. {@code <owner>-<nonce>-} is unique to one acquisition, so
 * the acquisition can find its own node by listing the queue even when the reply to its create was
 * lost (interrupt, connection loss).
 *
 * <p>ACLs: open ({@code world:anyone}) without credentials; with credentials every node at or below
 * {@code /<namespace>} is {@code digest:<user>:<hash>} with all permissions, and the ancestors of a nested
 * namespace are {@code world:anyone} READ|CREATE ({@link ZkSecurity}). Names and order do not depend on it.
 *
 * <h2>A compatibility contract with Curator</h2>
 * The {@value #CURATOR_MARKER} marker is Curator's: {@code InterProcessMutex} and {@code LeaderSelector}
 * sort a queue's children by the text after the last {@code lock-} (its protected nodes are
 * {@code _c_<uuid>-lock-<sequence>}), and hex digits never spell {@code lock-}, so for Curator too a coord
 * entry sorts by its sequence. coord sorts every child whose name ends in 10 digits by that suffix,
 * Curator's included. Both therefore see one queue in one order, and a Curator recipe pointed at
 * {@link #queue} queues with coord. Curator's {@code LeaderLatch} sorts after {@code latch-} and does not
 * interoperate. This layout is checked by a test ({@code ZooKeeperCuratorInteropTest}); changing it breaks
 * mixed fleets.
 *
 * <h2>What remains after use (the "permanent" nodes)</h2>
 * Queue entries, slots and members are ephemeral: they go with their session at the latest, and at once when the
 * session is closed. Everything above them is a {@code CONTAINER} node: the server's container
 * manager deletes a container once it has had children and is empty again (checked every
 * {@code znode.container.checkIntervalMs}, 60 s by default). So after use at most these empty
 * containers remain, until the server reaps them: the namespace node (and its ancestors for a
 * nested namespace), the kind nodes {@code locks}, {@code fair}, {@code elections}, {@code semaphores},
 * {@code rwlocks}, {@code slots}, {@code groups}, and one node per name under each. {@link #isPermanent(String)} says exactly that; any deeper node
 * (an entry) left behind after every session closed is a bug.
 *
 * <h2>Ordering and tokens</h2>
 * Entries are ordered by their sequence suffix (per parent, assigned in creation order). The
 * fencing token / term is the entry's {@code czxid}, never the suffix: the suffix counts deletes
 * too, is a signed 32-bit number that wraps, and restarts when a reaped container is re-created,
 * whereas the czxid is the global, durable transaction id of the create. Within one queue the
 * suffix order and the czxid order agree (both follow creation order), so grants in queue order
 * carry strictly increasing czxids; across a reaped and re-created container every new entry has
 * a later czxid than every older one.
 */
final class ZkPaths {

    /** The kind nodes directly under the namespace node. */
    static final String LOCKS = "locks";
    static final String FAIR = "fair";
    static final String ELECTIONS = "elections";
    static final String SEMAPHORES = "semaphores";
    static final String RWLOCKS = "rwlocks";
    static final String SLOTS = "slots";
    static final String GROUPS = "groups";
    /** The primitives with a kind node of queues. */
    private static final Primitive[] QUEUED = {Primitive.LOCK, Primitive.FAIR_LOCK, Primitive.ELECTION, Primitive.SEMAPHORE, Primitive.READ_WRITE_LOCK};
    /** Length of {@code <owner 16 hex>-<nonce 8 hex>-}. */
    private static final int OWNER_AND_NONCE = 26;

    private static final int SEQUENCE_DIGITS = 10;
    /** The marker before the sequence that Curator's lock recipes sort by (see the class comment). */
    static final String CURATOR_MARKER = "lock-";

    private final String root;

    /** @param namespace validated namespace, e.g. {@code "myapp"} or {@code "team/myapp"} */
    ZkPaths(String namespace) {
        this.root = "/" + namespace;
    }

    /** A namespace coord accepts on ZooKeeper: a valid coord namespace that is not ZooKeeper's own tree. */
    static String checkNamespace(String namespace) {
        io.coord.spi.Arguments.namespace(namespace);
        if (namespace.equals("zookeeper") || namespace.startsWith("zookeeper/")) {
            throw new IllegalArgumentException("bad namespace '" + namespace + "': 'zookeeper' is ZooKeeper's own tree");
        }
        return namespace;
    }

    /** {@code /<namespace>}. */
    String root() {
        return root;
    }

    /** Every container from the top of the namespace down to the kind nodes, parents first. */
    List<String> skeleton() {
        List<String> out = new ArrayList<>();
        StringBuilder p = new StringBuilder();
        for (String segment : root.substring(1).split("/")) {
            p.append('/').append(segment);
            out.add(p.toString());
        }
        for (Primitive kind : QUEUED) {
            out.add(kindDir(kind));
        }
        out.add(root + "/" + SLOTS);
        out.add(root + "/" + GROUPS);
        return out;
    }

    /** {@code /<namespace>/locks}, {@code /fair} or {@code /elections}. */
    String kindDir(Primitive primitive) {
        return root + "/" + kind(primitive);
    }

    /** The queue (container) of one lock, fair lock or election: {@code /<namespace>/<kind>/<encoded name>}. */
    String queue(Primitive primitive, String name) {
        return kindDir(primitive) + "/" + NameEncoding.encode(name);
    }

    /** The name prefix handed to an EPHEMERAL_SEQUENTIAL create: {@code <owner>-<nonce>-lock-}, or {@code <owner>-<nonce>-<tag>-lock-}. */
    static String entryPrefix(long zkSessionId, String tag) {
        return String.format(Locale.ROOT, "%016x-%08x-", zkSessionId, ThreadLocalRandom.current().nextInt())
                + (tag.isEmpty() ? "" : tag + "-") + CURATOR_MARKER;
    }

    /** The tag in an entry's name ({@code ""} if none): what stands between the nonce and {@code lock-}. */
    static String tag(String entryName) {
        if (entryName.length() <= OWNER_AND_NONCE) {
            return "";
        }
        int marker = entryName.indexOf("-" + CURATOR_MARKER, OWNER_AND_NONCE - 1);
        return marker < OWNER_AND_NONCE ? "" : entryName.substring(OWNER_AND_NONCE, marker);
    }

    /** {@code /<namespace>/slots/<encoded name>}: the container of a semaphore's slot nodes. */
    String slots(String semaphore) {
        return root + "/" + SLOTS + "/" + NameEncoding.encode(semaphore);
    }

    /** {@code /<namespace>/groups/<encoded group>}: the container of a group's member nodes. */
    String group(String name) {
        return root + "/" + GROUPS + "/" + NameEncoding.encode(name);
    }

    /** {@code <group>/<encoded member id>}: the node of one member of the group whose container is {@code group}. */
    static String member(String group, String memberId) {
        return group + "/" + NameEncoding.encode(memberId);
    }

    /** The member id a child of a group container names, or null for a node coord did not name (foreign, ignored). */
    static String memberId(String childName) {
        try {
            String id = NameEncoding.decode(childName);
            return NameEncoding.encode(id).equals(childName) ? id : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The member a member node holds: see the class comment. */
    static Member member(String memberId, byte[] data, Stat stat) {
        return new Member(memberId, data == null ? "" : new String(data, StandardCharsets.UTF_8),
                sessionIdText(stat.getEphemeralOwner()), stat.getCzxid(), stat.getMzxid());
    }

    /** The sequence suffix of an entry name. */
    static int sequence(String entryName) {
        return Integer.parseInt(entryName.substring(entryName.length() - SEQUENCE_DIGITS));
    }

    /** Whether a child of a queue node looks like one of coord's entries (foreign nodes are ignored). */
    static boolean isEntry(String childName) {
        if (childName.length() < SEQUENCE_DIGITS + 1) {
            return false;
        }
        try {
            sequence(childName);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Queue order: by sequence suffix. */
    static final Comparator<String> QUEUE_ORDER = Comparator.comparingInt(ZkPaths::sequence);

    /** The coord session id text of a ZooKeeper session ({@code 0x…}), as {@code Session.id()} and {@code Leader.sessionId()} report it. */
    static String sessionIdText(long zkSessionId) {
        return "0x" + Long.toHexString(zkSessionId);
    }

    /**
     * Whether {@code path} is a node that may remain after every session has closed: one of the
     * containers listed in the class comment (reaped by the server in its own time). Entries are
     * never permanent.
     */
    boolean isPermanent(String path) {
        if (skeleton().contains(path)) {
            return true;
        }
        List<String> dirs = new ArrayList<>();
        for (Primitive p : QUEUED) {
            dirs.add(kindDir(p) + "/");
        }
        dirs.add(root + "/" + SLOTS + "/");
        dirs.add(root + "/" + GROUPS + "/");
        for (String dir : dirs) {
            if (path.startsWith(dir) && path.indexOf('/', dir.length()) < 0 && path.length() > dir.length()) {
                return true;
            }
        }
        return false;
    }

    /** The last segment of a path. */
    static String lastSegment(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static String kind(Primitive primitive) {
        return switch (primitive) {
            case LOCK -> LOCKS;
            case FAIR_LOCK -> FAIR;
            case ELECTION -> ELECTIONS;
            case SEMAPHORE -> SEMAPHORES;
            case READ_WRITE_LOCK -> RWLOCKS;
            default -> throw new IllegalArgumentException("no queue for " + primitive);
        };
    }
}
