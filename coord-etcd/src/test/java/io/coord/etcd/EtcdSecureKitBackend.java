package io.coord.etcd;

import io.coord.Coordinator;
import io.coord.testkit.SecureKitBackend;
import io.coord.testservers.EtcdCluster;
import io.coord.testservers.TestCertificates;
import io.coord.testservers.TestServerPolicy;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * The kit's view of coord-etcd on an etcd it starts with TLS (clients and peers), client certificates required
 * ({@code --client-cert-auth}) and auth enabled. Each namespace gets, on first use, the least RBAC of coord-etcd's
 * README (a role {@code coord-<ns>} with READWRITE on {@code coord/<encoded ns>/}, a user of that name holding it,
 * with a password nobody uses) and a client certificate whose common name is that user: coordinators present it
 * and send no password, so etcd logs them in by the certificate. The keyspace is read by an admin client presenting
 * a certificate for {@code root}. Certificates are made under the test's temporary directory.
 */
final class EtcdSecureKitBackend extends EtcdFaultBackend implements SecureKitBackend {

    /** A namespace's identity: its user's (unused) password and its client certificate. */
    private record Identity(String user, String password, TestCertificates.Pair certificate) {
    }

    private final TestCertificates certs;
    private final EtcdCluster cluster;
    private final List<String> passwords;
    private final Map<String, Identity> identities = new ConcurrentHashMap<>();

    private EtcdSecureKitBackend(String label, EtcdCluster cluster, Client admin, TestCertificates certs, List<String> passwords) {
        super(label, cluster, admin);
        this.cluster = cluster;
        this.certs = certs;
        this.passwords = passwords;
    }

    /**
     * Starts {@code size} TLS members from the etcd binary (required: never skipped), certificates in {@code certDir},
     * then the README's "once per cluster" part through the admin client: user and role {@code root}, auth enabled.
     */
    static EtcdSecureKitBackend start(String label, int size, Path certDir) {
        TestServerPolicy.Decision d = TestServerPolicy.fromEnvironment().decide(TestServerPolicy.Kind.ETCD);
        if (d.binary().isEmpty()) { // not a skip: CI must never count a security test as passed without running it
            throw new IllegalStateException(label + " needs the etcd binary (it starts its own TLS server); run scripts/install-test-servers.sh");
        }
        TestCertificates certs = TestCertificates.create(certDir);
        EtcdCluster cluster = EtcdCluster.start(d.binary().orElseThrow(), size, List.of(),
                new EtcdCluster.Tls(certs.caCertificate(), certs.server().certificate(), certs.server().key()));
        Client admin = null;
        try {
            TestCertificates.Pair root = certs.client("root");
            admin = Client.builder().endpoints(cluster.endpoints().toArray(String[]::new))
                    .sslContext(ssl(certs.caCertificate(), root)).build();
            List<String> passwords = new CopyOnWriteArrayList<>();
            String rootPassword = password(passwords);
            get(admin.getAuthClient().userAdd(bytes("root"), bytes(rootPassword)));
            get(admin.getAuthClient().roleAdd(bytes("root")));
            get(admin.getAuthClient().userGrantRole(bytes("root"), bytes("root")));
            get(admin.getAuthClient().authEnable()); // from now on the admin client is root by its certificate's CN
            return new EtcdSecureKitBackend(label, cluster, admin, certs, passwords);
        } catch (RuntimeException e) {
            if (admin != null) {
                admin.close();
            }
            cluster.close();
            throw e;
        }
    }

    /** Closes the admin client and the cluster {@link #start} started for this backend. */
    @Override
    public void close() {
        try {
            super.close();
        } finally {
            cluster.close();
        }
    }

    /** The namespace's identity: created on first use with the least RBAC of the README. */
    private Identity identity(String namespace) {
        return identities.computeIfAbsent(namespace, ns -> {
            String user = "coord-" + ns;
            String password = password(passwords);
            ByteSequence prefix = new EtcdKeys(ns).namespacePrefix();
            byte[] end = prefix.getBytes();
            end[end.length - 1]++; // "coord/<ns>/" -> "coord/<ns>0": the prefix's range end
            var auth = inspector().getAuthClient();
            get(auth.roleAdd(bytes(user)));
            get(auth.roleGrantPermission(bytes(user), prefix, ByteSequence.from(end), Permission.Type.READWRITE));
            get(auth.userAdd(bytes(user), bytes(password)));
            get(auth.userGrantRole(bytes(user), bytes(user)));
            return new Identity(user, password, certs.client(user));
        });
    }

    /** TLS towards the cluster's CA, presenting {@code namespace}'s certificate: etcd logs the client in as its user. */
    @Override
    EtcdCoordinatorBuilder connect(String namespace, EtcdCoordinatorBuilder builder) {
        Identity id = identity(namespace);
        return builder.trustedCertificates(certs.caCertificate()).clientCertificate(id.certificate().certificate(), id.certificate().key());
    }

    /** The same as {@link #connect} in URI form ({@code caFile} turns TLS on). */
    @Override
    String uriParameters(String namespace) {
        Identity id = identity(namespace);
        return "?caFile=" + certs.caCertificate() + "&certFile=" + id.certificate().certificate() + "&keyFile=" + id.certificate().key();
    }

    private EtcdCoordinatorBuilder base(String namespace) {
        return EtcdCoordinator.builder().endpoints(cluster.endpoints()).namespace(namespace).operationTimeout(Duration.ofSeconds(5));
    }

    @Override
    public Coordinator openWithWrongPassword(String namespace) {
        Identity id = identity(namespace);
        return connect(namespace, base(namespace)).credentials(id.user(), password(passwords).toCharArray()).build();
    }

    @Override
    public Coordinator openWithoutCredentials(String namespace) {
        return base(namespace).trustedCertificates(certs.caCertificate()).build();
    }

    @Override
    public Coordinator openTrustingAnotherCa(String namespace) {
        Identity id = identity(namespace);
        return base(namespace).trustedCertificates(certs.unrelatedCaCertificate())
                .clientCertificate(id.certificate().certificate(), id.certificate().key()).build();
    }

    @Override
    public Coordinator openWithExpiredClientCertificate(String namespace) {
        TestCertificates.Pair expired = certs.expiredClient(identity(namespace).user());
        return base(namespace).trustedCertificates(certs.caCertificate()).clientCertificate(expired.certificate(), expired.key()).build();
    }

    /** The namespace's user and password, plain text, to the TLS port. */
    @Override
    public Coordinator openInPlainText(String namespace) {
        Identity id = identity(namespace);
        return EtcdCoordinator.builder().endpoints(hostPorts()).namespace(namespace).operationTimeout(Duration.ofSeconds(5))
                .credentials(id.user(), id.password().toCharArray()).build();
    }

    @Override
    public Coordinator openAs(String asNamespace, String onNamespace) {
        return connect(asNamespace, base(onNamespace)).build();
    }

    @Override
    public void revoke(String namespace) {
        Identity id = identity(namespace);
        get(inspector().getAuthClient().userRevokeRole(bytes(id.user()), bytes(id.user())));
    }

    @Override
    public void restore(String namespace) {
        Identity id = identity(namespace);
        get(inspector().getAuthClient().userGrantRole(bytes(id.user()), bytes(id.user())));
    }

    /** etcd 3.4 checks no RBAC on lease renewals (see coord-etcd's README). */
    @Override
    public Revocation revocation() {
        return Revocation.OPERATIONS_REFUSED;
    }

    /**
     * A raw jetcd client presenting {@code asNamespace}'s certificate reads {@code onNamespace}'s prefix and each of its
     * keys, puts a key into it, deletes each key and the whole prefix; true = etcd allowed it, false = PERMISSION_DENIED.
     */
    @Override
    public Map<String, Boolean> rawAccess(String asNamespace, String onNamespace) {
        Identity as = identity(asNamespace);
        ByteSequence prefix = new EtcdKeys(onNamespace).namespacePrefix();
        List<ByteSequence> keys = new ArrayList<>();
        list(prefix).forEach(kv -> keys.add(kv.getKey()));
        Map<String, Boolean> allowed = new LinkedHashMap<>();
        try (Client raw = Client.builder().endpoints(cluster.endpoints().toArray(String[]::new))
                .sslContext(ssl(certs.caCertificate(), as.certificate())).build()) {
            var kv = raw.getKVClient();
            var prefixOption = io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build();
            allowed.put("GET prefix " + EtcdKeys.text(prefix), attempt(kv.get(prefix, prefixOption)));
            for (ByteSequence key : keys) {
                allowed.put("GET " + EtcdKeys.text(key), attempt(kv.get(key)));
                allowed.put("PUT " + EtcdKeys.text(key), attempt(kv.put(key, bytes("stolen"))));
                allowed.put("DELETE " + EtcdKeys.text(key), attempt(kv.delete(key)));
            }
            ByteSequence planted = ByteSequence.from(EtcdKeys.text(prefix) + "planted", StandardCharsets.UTF_8);
            allowed.put("PUT " + EtcdKeys.text(planted), attempt(kv.put(planted, bytes("x"))));
            allowed.put("DELETE prefix " + EtcdKeys.text(prefix),
                    attempt(kv.delete(prefix, io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build())));
        }
        return allowed;
    }

    @Override
    public List<String> secrets() {
        List<String> all = new ArrayList<>(passwords);
        all.addAll(certs.privateKeyTexts());
        return all;
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static boolean attempt(CompletableFuture<?> request) {
        try {
            request.get(10, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            if (EtcdConnection.isPermissionDenied(e)) {
                return false;
            }
            throw new IllegalStateException("raw request failed otherwise than by a permission denial", e);
        } catch (Exception e) {
            throw new IllegalStateException("raw request did not complete", e);
        }
    }

    private static SslContext ssl(Path ca, TestCertificates.Pair client) {
        try {
            return GrpcSslContexts.forClient().trustManager(ca.toFile()).keyManager(client.certificate().toFile(), client.key().toFile()).build();
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T get(CompletableFuture<T> f) {
        try {
            return f.get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("etcd admin request failed", e);
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static String password(List<String> passwords) {
        String p = "pw" + UUID.randomUUID().toString().replace("-", "");
        passwords.add(p);
        return p;
    }
}
