package io.coord.zookeeper;

import io.coord.Coordinator;
import io.coord.testkit.SecureKitBackend;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.ZooKeeperTestServer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;

/**
 * The kit's view of coord-zookeeper on an in-process server or ensemble in secure mode: TLS on the secure client
 * ports (client certificate {@code coord-client}), one digest identity per namespace ({@code u-<namespace>},
 * a random password made here), the tree read by the super user over TLS. Revocation is a {@code setACL} by the
 * super user on every node of the namespace; renewal ({@code exists}) needs no permission, so it is
 * {@link Revocation#OPERATIONS_REFUSED}.
 */
class ZooKeeperSecureKitBackend extends ZooKeeperKitBackend implements SecureKitBackend {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final TestCertificates certificates;
    private final TestCertificates.Pair client;
    private final TestCertificates.Pair expired;
    private final Map<String, String> passwords = new ConcurrentHashMap<>();

    ZooKeeperSecureKitBackend(String label, String secureConnectString, TestCertificates certificates) {
        this(label, secureConnectString, certificates, certificates.client("coord-client"));
    }

    private ZooKeeperSecureKitBackend(String label, String secureConnectString, TestCertificates certificates, TestCertificates.Pair client) {
        super(label, secureConnectString, CuratorFrameworkFactory.builder().connectString(secureConnectString)
                .sessionTimeoutMs(20_000).connectionTimeoutMs(10_000).retryPolicy(new RetryNTimes(20, 200))
                .zkClientConfig(ZooKeeperTestServer.tlsClientConfig(certificates, client))
                .authorization("digest", (ZooKeeperTestServer.superUser() + ":" + new String(ZooKeeperTestServer.superPassword()))
                        .getBytes(StandardCharsets.UTF_8))
                .build());
        this.certificates = certificates;
        this.client = client;
        this.expired = certificates.expiredClient("coord-expired");
    }

    /** The namespace's own digest user. */
    static String user(String namespace) {
        return "u-" + namespace;
    }

    /** The namespace's password, made on first use. */
    String password(String namespace) {
        return passwords.computeIfAbsent(namespace, n -> {
            byte[] b = new byte[18];
            RANDOM.nextBytes(b);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        });
    }

    TestCertificates certificates() {
        return certificates;
    }

    TestCertificates.Pair clientCertificate() {
        return client;
    }

    /** TLS + client certificate + the namespace's identity. */
    @Override
    ZooKeeperCoordinatorBuilder builder(String namespace, String endpoints) {
        return super.builder(namespace, endpoints)
                .trustedCertificates(certificates.caCertificate())
                .clientCertificate(client.certificate(), client.key())
                .credentials(user(namespace), password(namespace).toCharArray());
    }

    @Override
    public Coordinator openWithWrongPassword(String namespace) {
        password(namespace);
        return builder(namespace, connectString()).credentials(user(namespace), ("not-" + password(namespace)).toCharArray()).build();
    }

    @Override
    public Coordinator openWithoutCredentials(String namespace) {
        return super.builder(namespace, connectString()).trustedCertificates(certificates.caCertificate())
                .clientCertificate(client.certificate(), client.key()).build();
    }

    @Override
    public Coordinator openTrustingAnotherCa(String namespace) {
        return builder(namespace, connectString()).trustedCertificates(certificates.unrelatedCaCertificate()).build();
    }

    @Override
    public Coordinator openWithExpiredClientCertificate(String namespace) {
        return builder(namespace, connectString()).clientCertificate(expired.certificate(), expired.key()).build();
    }

    @Override
    public Coordinator openInPlainText(String namespace) {
        return super.builder(namespace, connectString()).credentials(user(namespace), password(namespace).toCharArray()).build();
    }

    @Override
    public Coordinator openAs(String asNamespace, String onNamespace) {
        return builder(onNamespace, connectString()).credentials(user(asNamespace), password(asNamespace).toCharArray()).build();
    }

    @Override
    public void revoke(String namespace) {
        setAclEverywhere(namespace, Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", "kit-revoked:nobody"))));
    }

    @Override
    public void restore(String namespace) {
        byte[] idPassword = (user(namespace) + ":" + password(namespace)).getBytes(StandardCharsets.UTF_8);
        setAclEverywhere(namespace, Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", user(namespace) + ":" + ZkSecurity.digest(idPassword)))));
    }

    private void setAclEverywhere(String namespace, List<ACL> acl) {
        CuratorFramework admin = inspector();
        try {
            for (String path : keys(namespace)) {
                try {
                    admin.setACL().withACL(acl).forPath(path);
                } catch (KeeperException.NoNodeException gone) {
                    // an entry went meanwhile
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot set the ACLs of namespace " + namespace, e);
        }
    }

    @Override
    public Revocation revocation() {
        return Revocation.OPERATIONS_REFUSED;
    }

    /**
     * A plain ZooKeeper handle over TLS authenticated as {@code asNamespace}'s identity: reads (getData,
     * getChildren), writes (setData, create, setACL) and deletes on what {@code onNamespace} holds now. Only
     * NOAUTH counts as refused; any other error fails the test.
     */
    @Override
    public Map<String, Boolean> rawAccess(String asNamespace, String onNamespace) {
        List<String> nodes = new ArrayList<>(keys(onNamespace));
        List<String> entries = nodes.stream().filter(k -> !isPermanent(k)).toList();
        List<String> containers = nodes.stream().filter(this::isPermanent).toList();
        if (entries.isEmpty()) {
            throw new IllegalStateException("namespace " + onNamespace + " holds no entry to attack: " + nodes);
        }
        Map<String, Boolean> out = new LinkedHashMap<>();
        ZooKeeper zk = null;
        try {
            CountDownLatch connected = new CountDownLatch(1);
            zk = new ZooKeeper(connectString(), 10_000, e -> {
                if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                    connected.countDown();
                }
            }, ZooKeeperTestServer.tlsClientConfig(certificates, client));
            zk.addAuthInfo("digest", (user(asNamespace) + ":" + password(asNamespace)).getBytes(StandardCharsets.UTF_8));
            if (!connected.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("raw client did not connect to " + connectString());
            }
            String entry = entries.get(0);
            String queue = entry.substring(0, entry.lastIndexOf('/'));
            ZooKeeper z = zk;
            out.put("getData " + entry, allowed(() -> z.getData(entry, false, null)));
            out.put("getChildren " + queue, allowed(() -> z.getChildren(queue, false)));
            out.put("getChildren /" + onNamespace, allowed(() -> z.getChildren("/" + onNamespace, false)));
            out.put("setData " + entry, allowed(() -> z.setData(entry, new byte[] {1}, -1)));
            out.put("create " + queue + "/intruder", allowed(() -> z.create(queue + "/intruder-lock-", new byte[0],
                    ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL)));
            out.put("setACL /" + onNamespace, allowed(() -> z.setACL("/" + onNamespace, ZooDefs.Ids.OPEN_ACL_UNSAFE, -1)));
            out.put("delete " + entry, allowed(() -> z.delete(entry, -1)));
            String container = containers.stream().filter(c -> c.equals(queue)).findFirst().orElse(queue);
            out.put("delete " + container + " (not empty: NOAUTH is checked first)", allowed(() -> z.delete(container, -1)));
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } finally {
            if (zk != null) {
                try {
                    zk.close(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @FunctionalInterface
    private interface Attempt {
        void run() throws Exception;
    }

    private static boolean allowed(Attempt attempt) {
        try {
            attempt.run();
            return true;
        } catch (KeeperException.NoAuthException refused) {
            return false;
        } catch (Exception e) {
            throw new IllegalStateException("raw attempt failed otherwise than NOAUTH", e);
        }
    }

    @Override
    public List<String> secrets() {
        List<String> out = new ArrayList<>(passwords.values());
        // the digests (base64 SHA-1 of user:password) in the ACLs: enough to brute-force a password offline
        passwords.forEach((namespace, password) -> out.add(ZkSecurity.digest((user(namespace) + ":" + password)
                .getBytes(StandardCharsets.UTF_8))));
        out.add(new String(ZooKeeperTestServer.superPassword()));
        out.addAll(certificates.privateKeyTexts());
        return out;
    }
}
