package io.coord.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One or more etcd processes started from a binary on free loopback ports (client and peer), as a
 * static cluster ({@code --initial-cluster}) with a temporary data directory per member and
 * {@code --heartbeat-interval 50 --election-timeout 500}, so the minimum lease TTL is 1 s.
 *
 * <p>Guarantees: {@link #start(Path, int)} returns only when every member answers {@code /health}
 * (bounded by {@link #START_TIMEOUT}; a fresh start that lost a port race is retried on new ports,
 * at most 3 times), otherwise it fails with the member's log path and tail and leaves nothing
 * running. {@link #close()} kills every member, waits for the exits and deletes the temporary
 * directory (kept when {@code -Dcoord.keep.server.dirs=true}). Member {@code i} serves
 * {@code endpoints().get(i)}. Each member's stdout/stderr go to {@code <tmp>/<name>.log}.
 *
 * <p>TLS mode ({@link #start(Path, int, List, Tls)}): client and peer URLs are {@code https://127.0.0.1:port}, the
 * members present {@link Tls#certificate()} and require and verify a client certificate signed by
 * {@link Tls#trustedCa()} from clients ({@code --client-cert-auth}) and from each other ({@code --peer-client-cert-auth});
 * each member also serves a plain-HTTP metrics URL ({@link EtcdMember#probeEndpoint()}) for the health and leader
 * probes. With auth enabled, etcd maps a client certificate's common name to the RBAC user when no password is sent.
 */
public final class EtcdCluster implements EtcdServer {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdCluster.class);
    /** Upper bound for a fresh start to become healthy. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;

    private final Path binary;
    private final Path tempDir;
    private final List<EtcdMember> members;
    private final Tls tls;
    private boolean closed;

    /**
     * The PEM files of a TLS cluster: the CA that signed the client (and member) certificates, and the certificate and
     * PKCS#8 key every member presents to clients and peers (it must name {@code 127.0.0.1} and allow both server and
     * client authentication, as {@code TestCertificates.server()} does).
     *
     * @param trustedCa   the CA certificate that signed the client and member certificates
     * @param certificate the certificate every member presents
     * @param key         the certificate's PKCS#8 private key
     */
    public record Tls(Path trustedCa, Path certificate, Path key) {
        /**
         * Checks that every file is given (existence is checked by etcd when it starts).
         *
         * @param trustedCa the CA certificate that signed the client and member certificates
         * @param certificate the certificate every member presents
         * @param key the certificate's PKCS#8 private key
         * @throws NullPointerException if a path is null
         */
        public Tls {
            Objects.requireNonNull(trustedCa, "trustedCa");
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(key, "key");
        }
    }

    private EtcdCluster(Path binary, Path tempDir, List<EtcdMember> members, Tls tls) {
        this.binary = binary;
        this.tempDir = tempDir;
        this.members = List.copyOf(members);
        this.tls = tls;
    }

    /**
     * Starts {@code size} members (1 for a single node, 3 for a cluster) from {@code binary}.
     *
     * @param binary the etcd executable
     * @param size the number of members, 1 to 7
     * @return the running cluster, every member healthy; close it when done
     * @throws IllegalArgumentException if {@code size} is out of [1, 7]
     * @throws IllegalStateException when the members do not become healthy in time
     */
    public static EtcdCluster start(Path binary, int size) {
        return start(binary, size, List.of());
    }

    /**
     * Same as {@link #start(Path, int)} with {@code extraFlags} appended to every member's command line
     * (e.g. {@code --auth-token-ttl=2}).
     *
     * @param binary the etcd executable
     * @param size the number of members, 1 to 7
     * @param extraFlags etcd flags appended to every member's command line (copied)
     * @return the running cluster, every member healthy; close it when done
     * @throws IllegalArgumentException if {@code size} is out of [1, 7]
     * @throws IllegalStateException when the members do not become healthy in time
     */
    public static EtcdCluster start(Path binary, int size, List<String> extraFlags) {
        return start(binary, size, extraFlags, null);
    }

    /**
     * Same as {@link #start(Path, int, List)}, over TLS when {@code tls} is not null (see the class comment): client
     * URLs {@code https://127.0.0.1:port}, client certificates required.
     *
     * @param binary the etcd executable
     * @param size the number of members, 1 to 7
     * @param extraFlags etcd flags appended to every member's command line (copied)
     * @param tls the members' certificate files, or null for plain text
     * @return the running cluster, every member healthy; close it when done
     * @throws IllegalArgumentException if {@code size} is out of [1, 7]
     * @throws IllegalStateException when the members do not become healthy in time
     */
    public static EtcdCluster start(Path binary, int size, List<String> extraFlags, Tls tls) {
        Objects.requireNonNull(binary, "binary");
        List<String> extra = List.copyOf(extraFlags);
        if (size < 1 || size > 7) {
            throw new IllegalArgumentException("etcd cluster size must be in [1, 7], was " + size);
        }
        RuntimeException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            EtcdCluster c = launch(binary, size, extra, tls);
            try {
                for (EtcdMember m : c.members) {
                    m.awaitHealthy(START_TIMEOUT);
                }
                Reaper.register(c);
                LOG.info("etcd x{} ready at {}{} (tmp {})", size, c.endpoints(), tls == null ? "" : " (TLS, client certificates required)", c.tempDir);
                return c;
            } catch (RuntimeException e) {
                boolean portRace = c.members.stream().anyMatch(m -> m.process().logTail(200).contains("address already in use"));
                c.close();
                last = e;
                if (!portRace) {
                    break;
                }
                LOG.warn("etcd start attempt {} lost a port race, retrying on new ports", attempt);
            }
        }
        throw last;
    }

    private static EtcdCluster launch(Path binary, int size, List<String> extra, Tls tls) {
        Path tmp;
        try {
            tmp = Files.createTempDirectory("coord-etcd-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp dir for etcd", e);
        }
        int perMember = tls == null ? 2 : 3;
        int[] ports = FreePorts.allocate(perMember * size);
        String scheme = tls == null ? "http" : "https";
        String token = "coord-" + tmp.getFileName();
        StringBuilder initial = new StringBuilder();
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                initial.append(',');
            }
            initial.append("m").append(i).append('=').append(scheme).append("://127.0.0.1:").append(ports[perMember * i + 1]);
        }
        List<EtcdMember> members = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                String name = "m" + i;
                int client = ports[perMember * i];
                int peer = ports[perMember * i + 1];
                int metrics = tls == null ? 0 : ports[perMember * i + 2];
                Path data = tmp.resolve(name + ".etcd");
                List<String> cmd = new ArrayList<>(List.of(binary.toString(),
                        "--name", name,
                        "--data-dir", data.toString(),
                        "--listen-client-urls", scheme + "://127.0.0.1:" + client,
                        "--advertise-client-urls", scheme + "://127.0.0.1:" + client,
                        "--listen-peer-urls", scheme + "://127.0.0.1:" + peer,
                        "--initial-advertise-peer-urls", scheme + "://127.0.0.1:" + peer,
                        "--initial-cluster", initial.toString(),
                        "--initial-cluster-token", token,
                        "--initial-cluster-state", "new",
                        "--heartbeat-interval", "50",
                        "--election-timeout", "500",
                        "--logger", "zap",
                        "--log-outputs", "stderr"));
                if (tls != null) {
                    cmd.addAll(List.of(
                            "--cert-file", tls.certificate().toString(),
                            "--key-file", tls.key().toString(),
                            "--trusted-ca-file", tls.trustedCa().toString(),
                            "--client-cert-auth",
                            "--peer-cert-file", tls.certificate().toString(),
                            "--peer-key-file", tls.key().toString(),
                            "--peer-trusted-ca-file", tls.trustedCa().toString(),
                            "--peer-client-cert-auth",
                            "--listen-metrics-urls", "http://127.0.0.1:" + metrics));
                }
                cmd.addAll(extra);
                ChildProcess p = ChildProcess.start("etcd-" + name + "-" + client, cmd, tmp, tmp.resolve(name + ".log"));
                members.add(new EtcdMember(name, client, peer, data, p, tls != null, metrics));
            }
        } catch (RuntimeException e) {
            members.forEach(m -> m.process().close());
            ChildProcess.deleteTree(tmp);
            throw e;
        }
        return new EtcdCluster(binary, tmp, members, tls);
    }

    /**
     * The TLS files the members use, or empty for a plain-text cluster.
     *
     * @return the TLS files given to {@link #start(Path, int, List, Tls)}, or empty
     */
    public java.util.Optional<Tls> tls() {
        return java.util.Optional.ofNullable(tls);
    }

    /** Over TLS the leader is found from the members' plain-HTTP metrics ({@code etcd_server_is_leader}). */
    @Override
    public java.util.OptionalInt leaderIndex() {
        if (tls == null) {
            return EtcdServer.super.leaderIndex();
        }
        for (int i = 0; i < members.size(); i++) {
            if (members.get(i).isLeaderByMetrics(PROBE_TIMEOUT)) {
                return java.util.OptionalInt.of(i);
            }
        }
        return java.util.OptionalInt.empty();
    }

    /** Every member answers its health probe (over TLS: on its metrics URL). */
    @Override
    public boolean allHealthy(Duration timeout) {
        for (EtcdMember m : members) {
            if (!m.isHealthy(timeout)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public ServerSource source() {
        return ServerSource.BINARY;
    }

    @Override
    public List<String> endpoints() {
        List<String> eps = new ArrayList<>(members.size());
        for (EtcdMember m : members) {
            eps.add(m.endpoint());
        }
        return eps;
    }

    @Override
    public List<EtcdMember> members() {
        return members;
    }

    /**
     * Number of members.
     *
     * @return the number of members, fixed at start
     */
    public int size() {
        return members.size();
    }

    /**
     * The current leader member; polls at most {@code timeout}.
     *
     * @param timeout how long to poll
     * @return the member that is leader
     * @throws IllegalStateException when no leader appears in time
     */
    public EtcdMember awaitLeaderMember(Duration timeout) {
        return members.get(awaitLeader(timeout));
    }

    /**
     * The binary the members run.
     *
     * @return the etcd executable given to {@code start}
     */
    public Path binary() {
        return binary;
    }

    /**
     * The temporary directory holding data directories and logs.
     *
     * @return the directory, deleted by {@link #close()} unless {@code -Dcoord.keep.server.dirs=true}
     */
    public Path tempDir() {
        return tempDir;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (EtcdMember m : members) {
                m.process().close();
            }
        } finally {
            Reaper.unregister(this);
            if (!Boolean.getBoolean("coord.keep.server.dirs")) {
                ChildProcess.deleteTree(tempDir);
            }
        }
    }

    @Override
    public String toString() {
        return "EtcdCluster" + endpoints() + " (tmp " + tempDir + ")";
    }
}
