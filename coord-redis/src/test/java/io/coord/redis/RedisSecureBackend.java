package io.coord.redis;

import io.coord.Coordinator;
import io.coord.testkit.SecureKitBackend;
import io.coord.testservers.RedisProcess;
import io.coord.testservers.RedisTls;
import io.coord.testservers.RespConnection;
import io.coord.testservers.TestCertificates;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * The kit's view of Redis servers (one, or the masters of a cluster) that serve TLS only, require client
 * certificates and a password for the default user: every namespace logs in as the README's least ACL user
 * {@code coord-<ns>} of its own (created on every master on first use; on a cluster with the README's cluster
 * line too), over TLS with the test CA and a client certificate. The kit's keyspace reads and ACL changes go
 * through authenticated admin connections (the default user, over TLS).
 */
class RedisSecureBackend extends RedisKitBackend implements SecureKitBackend {

    private final String seeds;
    private final RedisTls tls;
    private final boolean cluster;
    private final String adminPassword;
    private final TestCertificates.Pair expired;
    private final Map<String, String> passwords = new ConcurrentHashMap<>();
    private final List<String> wrongPasswords = new CopyOnWriteArrayList<>();

    /** See {@link #on}; {@code adminPassword} is the default user's password on every master (see {@link #protect}). */
    RedisSecureBackend(String label, List<URI> masters, RedisTls tls, boolean cluster, String adminPassword) {
        super(label, masters, ns -> {
            throw new UnsupportedOperationException("RedisSecureBackend overrides coordUri(namespace)");
        }, adminPassword, Optional.of(tls));
        this.seeds = masters.stream().map(m -> m.getHost() + ":" + m.getPort()).collect(Collectors.joining(","));
        this.tls = tls;
        this.cluster = cluster;
        this.adminPassword = adminPassword;
        this.expired = tls.certificates().expiredClient("coord-expired");
    }

    /**
     * Gives the default user of every one of {@code masters} (started with {@code tls}) a fresh password and returns
     * the backend; {@code cluster} adds the README's cluster permissions to every namespace user.
     */
    static RedisSecureBackend on(String label, List<RedisProcess> masters, RedisTls tls, boolean cluster) {
        return new RedisSecureBackend(label, addresses(masters), tls, cluster, protect(masters));
    }

    /** Gives the default user of every one of {@code servers} the same fresh password, returned. */
    static String protect(List<RedisProcess> servers) {
        String admin = UUID.randomUUID().toString();
        protect(servers, admin);
        return admin;
    }

    /** Gives the default user of every one of {@code servers} {@code password} (the kit's connections to them then log in). */
    static void protect(List<RedisProcess> servers, String password) {
        servers.forEach(m -> m.requirePassword(password));
    }

    /** The default user's password on every master. */
    String adminPassword() {
        return adminPassword;
    }

    /** Creates every namespace user made so far again (on servers that replaced the old ones), same passwords. */
    void regrant() {
        passwords.forEach(this::grant);
    }

    /** {@code rediss://host:port} of each server. */
    static List<URI> addresses(List<RedisProcess> servers) {
        return servers.stream().map(m -> URI.create("rediss://" + m.host() + ":" + m.port())).toList();
    }

    /**
     * {@code coord-<ns>}'s URI over TLS reaching the servers through {@code hostPorts} (e.g. proxies); with
     * {@link #expiryBound} it is what a {@link io.coord.testkit.faults.FaultBackend} built on this backend needs.
     */
    public String uri(String namespace, List<String> hostPorts) {
        return "rediss://coord-" + namespace + ":" + password(namespace) + "@" + String.join(",", hostPorts) + "/" + namespace + "?"
                + tls.coordParameters();
    }

    /** As {@link RedisFaultBackend#expiryBound}: the session key expires at its TTL, on the server's clock. */
    public Duration expiryBound(Duration ttl) {
        return RedisFaultBackend.redisExpiryBound(ttl);
    }

    /** The namespace's URI as its least ACL user, over TLS. */
    @Override
    String coordUri(String namespace) {
        return uriAs(namespace, namespace);
    }

    private String uriAs(String user, String namespace) {
        return "rediss://coord-" + user + ":" + password(user) + "@" + seeds + "/" + namespace + "?" + tls.coordParameters();
    }

    /** The password of {@code namespace}'s least ACL user, created on every master on first use. */
    String password(String namespace) {
        return passwords.computeIfAbsent(namespace, ns -> {
            String p = UUID.randomUUID().toString();
            grant(ns, p);
            return p;
        });
    }

    private void grant(String namespace, String password) {
        onEveryMaster(leastAclLine().replace("<ns>", namespace).replace("<password>", password).split(" "));
        if (cluster) {
            onEveryMaster(clusterAclLine().replace("<ns>", namespace).split(" "));
        }
    }

    /** The README's least ACL line (the one {@code RedisAclTest} checks). */
    static String leastAclLine() {
        return RedisAclTest.leastAclLine();
    }

    /** The README's additional line for a Redis Cluster ({@code ACL SETUSER coord-<ns> +cluster|…}). */
    static String clusterAclLine() {
        try {
            return Files.readAllLines(Path.of("README.md")).stream().filter(l -> l.startsWith("ACL SETUSER coord-<ns> +cluster")).findFirst()
                    .orElseThrow(() -> new AssertionError("README.md states no 'ACL SETUSER coord-<ns> +cluster…' line"));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public Coordinator openWithWrongPassword(String namespace) {
        password(namespace);
        String wrong = "wrong-" + UUID.randomUUID();
        wrongPasswords.add(wrong);
        return Coordinator.open("rediss://coord-" + namespace + ":" + wrong + "@" + seeds + "/" + namespace + "?" + tls.coordParameters());
    }

    @Override
    public Coordinator openWithoutCredentials(String namespace) {
        return Coordinator.open("rediss://" + seeds + "/" + namespace + "?" + tls.coordParameters());
    }

    @Override
    public Coordinator openTrustingAnotherCa(String namespace) {
        TestCertificates.Pair client = tls.coordClient();
        return Coordinator.open("rediss://coord-" + namespace + ":" + password(namespace) + "@" + seeds + "/" + namespace
                + "?caFile=" + tls.certificates().unrelatedCaCertificate() + "&certFile=" + client.certificate() + "&keyFile=" + client.key());
    }

    @Override
    public Coordinator openWithExpiredClientCertificate(String namespace) {
        return Coordinator.open("rediss://coord-" + namespace + ":" + password(namespace) + "@" + seeds + "/" + namespace
                + "?caFile=" + tls.certificates().caCertificate() + "&certFile=" + expired.certificate() + "&keyFile=" + expired.key());
    }

    @Override
    public Coordinator openInPlainText(String namespace) {
        return Coordinator.open("redis://coord-" + namespace + ":" + password(namespace) + "@" + seeds + "/" + namespace);
    }

    @Override
    public Coordinator openAs(String asNamespace, String onNamespace) {
        return Coordinator.open(uriAs(asNamespace, onNamespace));
    }

    /** The same change as an operator's {@code ACL SETUSER coord-<ns> resetkeys -@all}: no key, no command. */
    @Override
    public void revoke(String namespace) {
        onEveryMaster("ACL", "SETUSER", "coord-" + namespace, "resetkeys", "-@all");
    }

    @Override
    public void restore(String namespace) {
        grant(namespace, password(namespace));
    }

    /** Renewal ({@code PEXPIRE}) needs the key permission: a revoked identity's session suspends, then expires. */
    @Override
    public Revocation revocation() {
        return Revocation.SESSION_LOST;
    }

    /**
     * As {@code coord-<asNamespace>} over TLS, on every master: reads ({@code GET}, {@code ZRANGE}), writes
     * ({@code SET}, {@code ZADD}) and deletes ({@code DEL}) of each key {@code onNamespace} holds (at most four
     * keys). The server checks the ACL before the command runs, so only {@code NOPERM} counts as refused (a
     * {@code WRONGTYPE} reply means it was allowed).
     */
    @Override
    public Map<String, Boolean> rawAccess(String asNamespace, String onNamespace) {
        List<String> targets = keys(onNamespace).stream().limit(4).toList();
        if (targets.isEmpty()) {
            targets = List.of(new RedisKeys(onNamespace).scanPattern().replace("*", "probe"));
        }
        Map<String, Boolean> attempts = new LinkedHashMap<>();
        for (URI m : masters()) {
            try (RespConnection c = RespConnection.open(m.getHost(), m.getPort(), Duration.ofSeconds(2), Optional.of(tls))) {
                c.command("AUTH", "coord-" + asNamespace, password(asNamespace));
                for (String key : targets) {
                    for (String[] cmd : List.of(new String[] {"GET", key}, new String[] {"ZRANGE", key, "0", "-1"},
                            new String[] {"SET", key, "x"}, new String[] {"ZADD", key, "1", "x"}, new String[] {"DEL", key})) {
                        attempts.merge(String.join(" ", cmd), allowed(c, cmd), Boolean::logicalOr);
                    }
                }
            }
        }
        return attempts;
    }

    private static boolean allowed(RespConnection c, String... command) {
        try {
            c.command(command);
            return true;
        } catch (RespConnection.RespError e) {
            return !e.getMessage().startsWith("NOPERM");
        }
    }

    @Override
    public List<String> secrets() {
        List<String> all = new ArrayList<>();
        all.add(adminPassword);
        all.addAll(passwords.values());
        all.addAll(wrongPasswords);
        all.addAll(tls.certificates().privateKeyTexts());
        return all;
    }
}
