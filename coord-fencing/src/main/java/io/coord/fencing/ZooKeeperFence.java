package io.coord.fencing;

import io.coord.BackendUnavailableException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/**
 * A {@link Fence} on ZooKeeper whose write sets the data of the resource's value node
 * ({@link #valueNode}, a child of the token node {@link #tokenNode}), by optimistic concurrency:
 *
 * <p>Algorithm: read the token node's data and version; if the given token is lower, report it
 * stale; otherwise {@code multi(setData(tokenNode, token, version), setData(valueNode, value))}.
 * When the token node does not exist, {@code multi(create(tokenNode, token), create(valueNode,
 * value))}, creating the root's missing ancestors first. {@code BadVersion} (another writer came
 * between the read and the multi) or {@code NodeExists} (another first writer) → read again.
 *
 * <p>Why it is safe: {@code multi} is atomic, and its version check makes the token written the
 * successor of exactly the token read: no write can slip in between, so the recorded token never
 * decreases and a value is never written without its token. Retries happen only when another
 * writer made progress (lock-free).
 *
 * <p>Threads: any; the fence does not own the {@link ZooKeeper} handle (with Curator:
 * {@code client.getZookeeperClient().getZooKeeper()}). Nodes are created with the ACL given
 * (default open). Connection loss or session expiry during a write →
 * {@link BackendUnavailableException} (it may have been applied). Delete a resource's token node
 * only together with its value node.
 */
public final class ZooKeeperFence implements Fence<byte[]> {
    private final ZooKeeper zk;
    private final String root;
    private final List<ACL> acl;

    private ZooKeeperFence(ZooKeeper zk, String root, List<ACL> acl) {
        this.zk = Objects.requireNonNull(zk, "ZooKeeper handle");
        Objects.requireNonNull(root, "root path");
        if (!root.startsWith("/") || root.endsWith("/") || root.contains("//")) {
            throw new IllegalArgumentException("root must be an absolute ZooKeeper path like /coord/fence"
                    + " (leading '/', no trailing or double '/'), got \"" + root + "\"");
        }
        this.root = root;
        // Not List.copyOf: ZooKeeper validates an ACL list with contains(null), which immutable lists refuse.
        this.acl = Collections.unmodifiableList(new ArrayList<>(acl));
        if (this.acl.isEmpty() || this.acl.contains(null)) {
            throw new IllegalArgumentException("acl must name at least one ACL and no null, got " + acl);
        }
    }

    /**
     * A fence under {@code /coord/fence} whose nodes get open ACLs ({@code OPEN_ACL_UNSAFE}).
     *
     * @param zk a connected ZooKeeper handle; not owned by the fence
     * @return a fence; creating it sends nothing (the root is created by the first write)
     * @throws NullPointerException if {@code zk} is null
     */
    public static ZooKeeperFence of(ZooKeeper zk) {
        return new ZooKeeperFence(zk, FenceKeys.ZOOKEEPER_ROOT, ZooDefs.Ids.OPEN_ACL_UNSAFE);
    }

    /**
     * A fence under {@code root} whose nodes (the root's missing ancestors included) get {@code acl}.
     *
     * @param zk   a connected ZooKeeper handle; not owned by the fence
     * @param root an absolute path: leading '/', no trailing or double '/'
     * @param acl  at least one ACL, no null (copied)
     * @return a fence; creating it sends nothing (the root is created by the first write)
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code root} is not such a path, or {@code acl} is empty or holds a null
     */
    public static ZooKeeperFence of(ZooKeeper zk, String root, List<ACL> acl) {
        return new ZooKeeperFence(zk, root, acl);
    }

    /**
     * The node holding {@code resource}'s highest token ({@code <root>/<encoded resource>}, 19 zero-padded
     * digits), the resource name encoded as coord encodes node names ({@code io.coord.spi.NameEncoding}).
     *
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @return the absolute path
     * @throws IllegalArgumentException if {@code resource} is blank or longer than 256 UTF-8 bytes
     */
    public String tokenNode(String resource) {
        return FenceKeys.zkToken(root, Tokens.resource(resource));
    }

    /**
     * The node whose data the accepted writes of {@code resource} set ({@code <tokenNode>/value}).
     *
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @return the absolute path
     * @throws IllegalArgumentException if {@code resource} is blank or longer than 256 UTF-8 bytes
     */
    public String valueNode(String resource) {
        return FenceKeys.zkValue(root, Tokens.resource(resource));
    }

    /** Sets {@link #valueNode}'s data to {@code value} if {@code token} is at least the recorded one; see {@link Fence#write}. */
    @Override
    public FenceResult write(String resource, long token, byte[] value) {
        Tokens.token(token);
        Objects.requireNonNull(value, "value");
        String tokenNode = tokenNode(resource);
        String valueNode = valueNode(resource);
        byte[] encoded = Tokens.encode(token);
        try {
            while (true) {
                Stat stat = new Stat();
                byte[] stored = readOrNull(tokenNode, stat);
                try {
                    if (stored == null) {
                        createAncestors();
                        zk.multi(List.of(Op.create(tokenNode, encoded, acl, CreateMode.PERSISTENT),
                                Op.create(valueNode, value, acl, CreateMode.PERSISTENT)));
                        return FenceResult.accepted(resource, token);
                    }
                    long highest = Tokens.decode(stored, "ZooKeeper node " + tokenNode);
                    if (token < highest) {
                        return FenceResult.stale(resource, token, highest);
                    }
                    zk.multi(List.of(Op.setData(tokenNode, encoded, stat.getVersion()), Op.setData(valueNode, value, -1)));
                    return FenceResult.accepted(resource, token);
                } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException e) {
                    // another writer came first: read again
                }
            }
        } catch (KeeperException e) {
            throw failure("the fenced write of " + resource, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("zookeeper: interrupted during the fenced write of " + resource
                    + " (it may have been applied)", e);
        }
    }

    @Override
    public OptionalLong highestToken(String resource) {
        String tokenNode = tokenNode(resource);
        try {
            byte[] stored = readOrNull(tokenNode, new Stat());
            return stored == null ? OptionalLong.empty() : OptionalLong.of(Tokens.decode(stored, "ZooKeeper node " + tokenNode));
        } catch (KeeperException e) {
            throw failure("the read of the fence of " + resource, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("zookeeper: interrupted while reading the fence of " + resource, e);
        }
    }

    private byte[] readOrNull(String node, Stat stat) throws KeeperException, InterruptedException {
        try {
            return zk.getData(node, false, stat);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    private void createAncestors() throws KeeperException, InterruptedException {
        for (int i = root.indexOf('/', 1); i > 0; i = root.indexOf('/', i + 1)) {
            createIfMissing(root.substring(0, i));
        }
        createIfMissing(root);
    }

    private void createIfMissing(String path) throws KeeperException, InterruptedException {
        try {
            zk.create(path, new byte[0], acl, CreateMode.PERSISTENT);
        } catch (KeeperException.NodeExistsException e) {
            // there already
        }
    }

    private static RuntimeException failure(String what, KeeperException e) {
        switch (e.code()) {
            case CONNECTIONLOSS:
            case SESSIONEXPIRED:
            case OPERATIONTIMEOUT:
            case SESSIONMOVED:
                return new BackendUnavailableException("zookeeper: " + e.code() + " during " + what
                        + " (it may have been applied; retrying with the same token is safe)", e);
            default:
                return new IllegalStateException("zookeeper refused " + what + ": " + e.getMessage(), e);
        }
    }
}
