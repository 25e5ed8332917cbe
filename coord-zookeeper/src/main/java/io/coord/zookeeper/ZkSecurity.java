package io.coord.zookeeper;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.spi.TlsSettings;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.X509Exception;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who a coordinator is to ZooKeeper and how it reaches it: digest credentials, the ACLs of the nodes it creates,
 * TLS client settings, and the one place where ZooKeeper's refusals become coord's typed errors.
 *
 * <h2>Identity and ACLs</h2>
 * With {@code credentials(user, password)} every handle authenticates with the {@code digest} scheme, and every
 * node created at or below the namespace node gets the ACL {@code digest:<user>:<base64 SHA-1 of user:password>}
 * with all permissions, and nothing else: only this identity (and ZooKeeper's super user) can read, list, create
 * in, write or delete the namespace. The ACL names the digest identity explicitly rather than ZooKeeper's
 * {@code auth} scheme, which would also grant the session's TLS ({@code x509}) identity: clients sharing a client
 * certificate would then share every namespace. The digest is the server's default algorithm (SHA-1); a server
 * configured with another {@code DigestAuthenticationProvider.digestAlg} is not supported. The ancestors of a
 * nested namespace ({@code /team} of {@code team/app}) get {@code world:anyone} READ|CREATE only, so that
 * another identity can still create its own namespace beside this one, and nobody but the super user can change
 * or delete them (the server's container manager reaps them when empty). Without credentials: ZooKeeper's open
 * ACL, as before.
 *
 * <h2>TLS</h2>
 * Each handle gets its own {@link ZKClientConfig} ({@link #apply}); no System property is written. The trust and
 * key stores, host-name verification (with FIPS mode, through which ZooKeeper 3.9's Netty client verifies host
 * names) and revocation checks are set on it; protocols, cipher suites and the SSL provider are still taken from
 * ZooKeeper's {@code zookeeper.ssl.*} System properties when the JVM sets them.
 * ZooKeeper's PEM key store takes the key and certificate from one file: when a client certificate is
 * configured, its certificate and key files are concatenated into {@code client.pem} in a fresh temporary
 * directory readable by the owner only (rwx------, the file rw-------), deleted by {@link #close()}. Host names
 * are verified (the server's certificate must name the endpoint's host or IP).
 *
 * <h2>Failures</h2>
 * {@link #refused} maps NOAUTH / AUTHFAILED / SESSIONCLOSEDREQUIRESASLAUTH to {@link AuthenticationException};
 * {@link #awaitConnected} turns a connection that does not come up into a diagnosed error: ZooKeeper's client
 * retries a failed TLS handshake (or plain text sent to a TLS port) silently until the connect timeout, so after
 * a short grace period coord makes one TLS handshake of its own to the endpoint, with the same settings, beside
 * the connection attempt (which wins if it comes up), and reports what it saw (server certificate not trusted, client certificate refused or expired, the server does
 * not speak TLS, or — when TLS is off — the server does, with a hint to use {@code tls=true}). Messages name the
 * endpoints, the user and what was refused, never a password or key.
 */
final class ZkSecurity implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ZkSecurity.class);
    private static final Duration GRACE = Duration.ofSeconds(1);
    /** How often a wait with a diagnosis running looks at both. */
    private static final Duration POLL = Duration.ofMillis(50);
    /** Longest connect or handshake of one probe (clamped to the time left before the connect timeout). */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    /** How long the probe waits, after its handshake, for the server to refuse its certificate (an alert comes at once). */
    private static final Duration VERDICT_TIMEOUT = Duration.ofSeconds(1);
    /** Connect strings already checked for "credentials sent to a server that does not require them" (once per JVM). */
    private static final Set<String> CHECKED = ConcurrentHashMap.newKeySet();

    private final String connectString;
    private final ZkPaths paths;
    private final String user;
    private final byte[] auth;
    private final List<ACL> namespaceAcl;
    private final List<ACL> parentAcl;
    private final TlsSettings tls;
    private final Path keyStoreDir;
    private final Path keyStore;

    ZkSecurity(String connectString, ZkPaths paths, String user, char[] password, TlsSettings tls) {
        this.connectString = connectString;
        this.paths = paths;
        this.user = user;
        this.tls = tls;
        if (user != null) {
            byte[] idPassword = utf8(user, password);
            this.auth = idPassword;
            this.namespaceAcl = Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", user + ":" + digest(idPassword))));
            this.parentAcl = Collections.singletonList(new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.CREATE, ZooDefs.Ids.ANYONE_ID_UNSAFE));
        } else {
            this.auth = null;
            this.namespaceAcl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
            this.parentAcl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        }
        if (tls != null && tls.hasClientCertificate()) {
            Path dir = null;
            Path file = null;
            try {
                dir = Files.createTempDirectory("coord-zookeeper-tls-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                dir.toFile().deleteOnExit(); // a backstop for a JVM that exits without close(); runs after the file's
                file = dir.resolve("client.pem");
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                file.toFile().deleteOnExit();
                byte[] key = Files.readAllBytes(tls.clientKey());
                byte[] cert = Files.readAllBytes(tls.clientCertificate());
                byte[] nl = "\n".getBytes(StandardCharsets.US_ASCII);
                Files.write(file, key);
                Files.write(file, nl, StandardOpenOption.APPEND);
                Files.write(file, cert, StandardOpenOption.APPEND);
                Arrays.fill(key, (byte) 0);
            } catch (IOException | UnsupportedOperationException e) {
                delete(file, dir);
                // the message of an IOException is a path (or "permission denied"), never file contents
                throw new IllegalArgumentException("cannot prepare ZooKeeper's PEM key store from client certificate "
                        + tls.clientCertificate() + " and key " + tls.clientKey() + ": " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " " + e.getMessage()), null);
            }
            keyStoreDir = dir;
            keyStore = file;
        } else {
            keyStoreDir = null;
            keyStore = null;
        }
    }

    /** The ACL of a node coord creates at {@code path}: the namespace's for the namespace node and below, the parents' above it. */
    List<ACL> aclFor(String path) {
        String root = paths.root();
        return path.equals(root) || path.startsWith(root + "/") ? namespaceAcl : parentAcl;
    }

    /** Whether digest credentials are configured. */
    boolean hasCredentials() {
        return user != null;
    }

    /** Whether {@code acl}, read from the namespace node, is the one coord gives it (only checked with credentials). */
    boolean protects(List<ACL> acl) {
        return user == null || acl != null && acl.size() == 1 && acl.get(0).equals(namespaceAcl.get(0));
    }

    /** For Curator: {@link #aclFor} by path. */
    ACLProvider aclProvider() {
        return new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return namespaceAcl;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                return aclFor(path);
            }
        };
    }

    /** The digest auth data ({@code user:password}), or null without credentials. */
    byte[] authData() {
        return auth == null ? null : auth.clone();
    }

    /** Queues the digest authentication on a new handle (sent before any request, and again after each reconnect). */
    void authenticate(ZooKeeper zk) {
        if (auth != null) {
            zk.addAuthInfo("digest", auth.clone());
        }
    }

    /**
     * Puts coord's TLS settings on {@code config}: trust and key stores, host-name verification (and FIPS mode,
     * through which ZooKeeper 3.9's Netty client verifies host names), no CRL/OCSP. What ZooKeeper still copies
     * from System properties when none is set here: {@code zookeeper.ssl.protocol}, {@code
     * zookeeper.ssl.enabledProtocols}, {@code zookeeper.ssl.ciphersuites}, {@code zookeeper.ssl.context.supplier.class}
     * and {@code zookeeper.ssl.sslProvider} — the JVM's choice of protocols, ciphers and provider, none of which
     * can turn verification off.
     */
    void apply(ZKClientConfig config) {
        config.setProperty(ZKClientConfig.SECURE_CLIENT, Boolean.toString(tls != null));
        if (tls == null) {
            return;
        }
        try (ClientX509Util x509 = new ClientX509Util()) {
            config.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, "org.apache.zookeeper.ClientCnxnSocketNetty");
            config.setProperty(x509.getSslTruststoreLocationProperty(), tls.trusted().map(p -> p.toAbsolutePath().toString()).orElse(""));
            config.setProperty(x509.getSslTruststoreTypeProperty(), tls.trusted().isPresent() ? "PEM" : "");
            config.setProperty(x509.getSslTruststorePasswdProperty(), "");
            config.setProperty(x509.getSslTruststorePasswdPathProperty(), "");
            config.setProperty(x509.getSslKeystoreLocationProperty(), keyStore == null ? "" : keyStore.toAbsolutePath().toString());
            config.setProperty(x509.getSslKeystoreTypeProperty(), keyStore == null ? "" : "PEM");
            config.setProperty(x509.getSslKeystorePasswdProperty(), "");
            config.setProperty(x509.getSslKeystorePasswdPathProperty(), "");
            config.setProperty(x509.getSslHostnameVerificationEnabledProperty(), "true");
            // ZooKeeper 3.9's Netty client adds host-name verification only in FIPS mode (ClientX509Util.addHostnameVerification)
            config.setProperty(x509.getFipsModeProperty(), "true");
            config.setProperty(x509.getSslCrlEnabledProperty(), "false");
            config.setProperty(x509.getSslOcspEnabledProperty(), "false");
        }
    }

    // ---- failures: the one place ------------------------------------------------------------------

    /** Whether ZooKeeper answered {@code code} because of who the client is. */
    static boolean isRefusal(Code code) {
        return code == Code.NOAUTH || code == Code.AUTHFAILED || code == Code.SESSIONCLOSEDREQUIRESASLAUTH;
    }

    /** The typed error of a refusal ({@link #isRefusal}) of {@code what} (e.g. "creating /ns/locks"). */
    AuthenticationException refused(String what, Code code) {
        String who = user == null ? "a client without credentials" : "digest user '" + user + "'";
        String why = switch (code) {
            case NOAUTH -> "the node's ACL does not grant " + who + " this (wrong password, another namespace's "
                    + "identity, or revoked permissions)";
            case SESSIONCLOSEDREQUIRESASLAUTH -> "the server requires authentication and " + who + " is not authenticated "
                    + "(configure credentials(user, password) or zookeeper://user:password@host/namespace)";
            case AUTHFAILED -> "the server refused the credentials of " + who;
            default -> code.toString();
        };
        return new AuthenticationException("ZooKeeper at " + connectString + " refused " + what + " (" + code + "): " + why,
                KeeperException.create(code));
    }

    /** Waits for a connection. */
    @FunctionalInterface
    interface Connection {
        /** True once connected within {@code millis}; may throw a typed error when it knows the connection failed. */
        boolean await(long millis) throws InterruptedException;
    }

    /**
     * Waits up to {@code timeout} for {@code connection}. If it is not up after {@link #GRACE}, one diagnosis
     * ({@link #diagnose}) runs on {@code executor} meanwhile — it never delays a connection that comes up, and it
     * stops (its socket closed) when the wait ends — and a definite verdict from every endpoint (a certificate
     * refused, TLS spoken on one side only) ends the wait at once with its typed error. Otherwise the wait lasts
     * the whole {@code timeout}: an endpoint that closes the connection may be a member that is electing a
     * leader or restarting, and comes up.
     *
     * @throws AuthenticationException    a certificate was refused
     * @throws BackendUnavailableException not connected in time (mentioning TLS where the endpoint and the setting disagree)
     */
    void awaitConnected(Connection connection, Duration timeout, String what, Executor executor) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long grace = Math.min(GRACE.toMillis(), Math.max(1, timeout.toMillis() / 2));
        if (connection.await(grace)) {
            return;
        }
        Probe probe = new Probe(deadline);
        CompletableFuture<RuntimeException> verdict = CompletableFuture.supplyAsync(() -> diagnose(what, probe), executor);
        try {
            for (long left; (left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) > 0; ) {
                if (connection.await(Math.min(left, POLL.toMillis()))) {
                    return;
                }
                RuntimeException found = verdict.isDone() ? verdict.getNow(null) : null;
                if (found != null) {
                    throw found;
                }
            }
        } finally {
            probe.cancel();
            verdict.cancel(false);
        }
        throw new BackendUnavailableException("ZooKeeper at " + connectString + ": could not " + what + " within "
                + timeout.toMillis() + " ms" + (tls == null ? "" : " over TLS (is every endpoint ZooKeeper's "
                + "secureClientPort, and is a quorum up?)"), null);
    }

    /** One diagnosis's state: its deadline, and the socket open now (closed by {@link #cancel}). */
    private static final class Probe {
        private final long deadline;
        private final AtomicReference<Closeable> open = new AtomicReference<>();
        private volatile boolean cancelled;

        Probe(long deadline) {
            this.deadline = deadline;
        }

        /** Milliseconds left for one socket operation, at most {@code max}; 0 when cancelled or past the deadline. */
        int left(Duration max) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            return cancelled || left <= 0 ? 0 : (int) Math.min(max.toMillis(), left);
        }

        void opened(Closeable socket) {
            open.set(socket);
            if (cancelled) {
                closeQuietly(socket);
            }
        }

        void cancel() {
            cancelled = true;
            closeQuietly(open.get());
        }
    }

    /**
     * One handshake per endpoint; a verdict only when every endpoint gave a definite one (the first is
     * returned), or a local problem (a file that cannot be loaded). Never a verdict for an endpoint that is down,
     * slow or closes the connection before the handshake (ZooKeeper's Netty server does that while the member is
     * not serving: electing a leader, restarting, or at its connection limit): another member may serve, or this
     * one may come up before the timeout.
     */
    private RuntimeException diagnose(String what, Probe probe) {
        RuntimeException first = null;
        for (String endpoint : connectString.split(",")) {
            RuntimeException e = tls != null ? probeTls(endpoint, what, probe) : probePlain(endpoint, what, probe);
            if (e instanceof IllegalArgumentException) {
                return e; // local: the same for every endpoint
            }
            if (e == null) {
                return null;
            }
            first = first == null ? e : first;
        }
        return first;
    }

    private RuntimeException probeTls(String endpoint, String what, Probe probe) {
        String prefix = "ZooKeeper at " + endpoint + ": could not " + what + " over TLS: ";
        ZKClientConfig config = new ZKClientConfig();
        apply(config);
        SSLSocket socket = null;
        try (ClientX509Util x509 = new ClientX509Util()) {
            socket = x509.createSSLContextAndOptions(config).createSSLSocket();
            probe.opened(socket);
            if (!connect(socket, endpoint, probe)) {
                return null;
            }
            socket.startHandshake();
            // TLS 1.3: the server judges our certificate after our side finished; its verdict is the first thing we read
            int left = probe.left(VERDICT_TIMEOUT);
            if (left == 0) {
                return null;
            }
            socket.setSoTimeout(left);
            socket.getInputStream().read();
            return null; // handshake accepted (the server waits for ZooKeeper's connect request), or closed for another reason
        } catch (SocketTimeoutException e) {
            return null; // handshake accepted, or the server is too slow to tell
        } catch (SSLException e) {
            return classify(prefix, endpoint, e);
        } catch (IOException e) {
            return null; // down, unreachable, or the probe was cancelled: not a verdict
        } catch (X509Exception e) {
            return new IllegalArgumentException("cannot load the TLS files (trusted " + tls.trusted().map(Path::toString)
                    .orElse("the JVM's CAs") + (tls.hasClientCertificate() ? ", client certificate " + tls.clientCertificate()
                    + " and key " + tls.clientKey() : "") + "): " + e.getMessage(), null);
        } finally {
            closeQuietly(socket);
        }
    }

    /** A definite verdict from a failed handshake, or null when it says nothing certain (e.g. the server closed the connection). */
    private RuntimeException classify(String prefix, String endpoint, SSLException e) {
        String text = chainText(e);
        if (text.contains("certpath") || text.contains("pkix") || text.contains("unable to find valid certification path")
                || text.contains("failed to verify") || text.contains("no subject alternative")) {
            String detail = text.contains("failed to verify") || text.contains("no subject alternative")
                    ? "server certificate does not name the host of " + endpoint : "server certificate not trusted (not signed by "
                    + (tls.trusted().isPresent() ? "a CA in " + tls.trusted().get() : "a CA the JVM trusts") + ")";
            return new AuthenticationException(prefix + detail, e);
        }
        if (text.contains("alert") && (text.contains("certificate") || text.contains("bad_") || text.contains("unknown_ca")
                || text.contains("handshake_failure"))) {
            String expired = clientCertificateExpired();
            String detail = expired != null ? "client certificate expired (" + expired + "); the server refused it"
                    : text.contains("handshake_failure") ? "client certificate missing or refused, or no common protocol or "
                    + "cipher suite (" + e.getMessage() + ")" + (tls.hasClientCertificate() ? "" : "; a server that requires a "
                    + "client certificate needs clientCertificate(cert, key) or certFile/keyFile")
                    : tls.hasClientCertificate() ? "the server refused the client certificate " + tls.clientCertificate() + " (" + e.getMessage() + ")"
                    : "the server requires a client certificate; configure clientCertificate(cert, key) or certFile/keyFile";
            return new AuthenticationException(prefix + detail, e);
        }
        if (text.contains("unrecognized ssl message") || text.contains("plaintext")) {
            // the port answered with bytes that are not TLS: a plain clientPort
            return new BackendUnavailableException(prefix + "the server does not speak TLS on this port "
                    + "(is it ZooKeeper's secureClientPort? use its plain clientPort with tls=false)", e);
        }
        // "Remote host terminated the handshake" / EOF: a member that is not serving yet closes at once; not a verdict
        log.debug("TLS probe of ZooKeeper at {}: {}", endpoint, e.toString());
        return null;
    }

    /** TLS off: does the endpoint speak TLS? A handshake trusting anything (no data is sent) tells. */
    private RuntimeException probePlain(String endpoint, String what, Probe probe) {
        SSLSocket socket = null;
        try {
            SSLContext any = SSLContext.getInstance("TLS");
            any.init(null, new TrustManager[] {new TrustAnything()}, new SecureRandom());
            socket = (SSLSocket) any.getSocketFactory().createSocket();
            probe.opened(socket);
            if (!connect(socket, endpoint, probe)) {
                return null;
            }
            socket.startHandshake();
            return speaksTls(endpoint, what);
        } catch (SSLException e) {
            String text = chainText(e);
            boolean answered = text.contains("alert") && !text.contains("unexpected_message");
            return answered ? speaksTls(endpoint, what) : null;
        } catch (IOException | GeneralSecurityException e) {
            return null;
        } finally {
            closeQuietly(socket);
        }
    }

    private static RuntimeException speaksTls(String endpoint, String what) {
        return new BackendUnavailableException("ZooKeeper at " + endpoint + ": could not " + what + ": the port answers "
                + "a TLS handshake but coord spoke plain text (does the server require TLS? use tls=true)", null);
    }

    /** Connects with timeouts clamped to the probe's deadline; false when no time is left. */
    private static boolean connect(SSLSocket socket, String endpoint, Probe probe) throws IOException {
        int colon = endpoint.lastIndexOf(':');
        int left = probe.left(PROBE_TIMEOUT);
        if (left == 0) {
            return false;
        }
        socket.setSoTimeout(left);
        socket.connect(new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1))), left);
        left = probe.left(PROBE_TIMEOUT);
        if (left == 0) {
            return false;
        }
        socket.setSoTimeout(left);
        return true;
    }

    /** The client certificate's validity problem ("not after …"), or null when valid or absent. */
    private String clientCertificateExpired() {
        if (tls == null || !tls.hasClientCertificate()) {
            return null;
        }
        try (InputStream in = Files.newInputStream(tls.clientCertificate())) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            try {
                cert.checkValidity();
                return null;
            } catch (CertificateExpiredException e) {
                return tls.clientCertificate() + " not valid after " + cert.getNotAfter().toInstant();
            } catch (CertificateNotYetValidException e) {
                return tls.clientCertificate() + " not valid before " + cert.getNotBefore().toInstant();
            }
        } catch (IOException | CertificateException e) {
            return null;
        }
    }

    // ---- credentials sent where they are not required ----------------------------------------------

    /**
     * Once per connect string and JVM: when credentials are configured, opens one handle without them (and
     * without the client certificate, which could authenticate it on a server enforcing {@code x509}) and tries
     * {@code exists("/")}; if the server serves it, it does not enforce authentication ({@code enforce.auth.enabled}
     * off) and a WARN says so: the namespace's ACLs still keep other identities out of it, but any client may
     * connect. Bounded by {@code timeout} and {@link #PROBE_TIMEOUT} for the connection; never throws; a probe that got no answer is tried again by the next
     * coordinator.
     */
    void warnIfAuthenticationNotRequired(Duration timeout, Supplier<ZKClientConfig> newConfig) {
        if (user == null || CHECKED.contains(connectString)) {
            return;
        }
        ZooKeeper probe = null;
        try {
            CountDownLatch connected = new CountDownLatch(1);
            ZKClientConfig config = newConfig.get();
            try (ClientX509Util x509 = new ClientX509Util()) {
                config.setProperty(x509.getSslKeystoreLocationProperty(), "");
                config.setProperty(x509.getSslKeystoreTypeProperty(), "");
            }
            probe = ZooKeeperCoordinator.withThreadName("coord-zookeeper-auth-probe", () -> new ZooKeeper(connectString,
                    ZooKeeperCoordinator.millis(timeout), event -> {
                        if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                            connected.countDown();
                        }
                    }, config));
            if (!connected.await(Math.min(timeout.toMillis(), PROBE_TIMEOUT.toMillis()), TimeUnit.MILLISECONDS)) {
                if (tls != null && tls.hasClientCertificate()) {
                    // the coordinator's own handle just connected with its certificate: a server that does not let
                    // one in without a certificate requires one, so nobody connects unauthenticated
                    CHECKED.add(connectString);
                }
                log.debug("an unauthenticated client did not connect to ZooKeeper at {} within {} ms", connectString,
                        Math.min(timeout.toMillis(), PROBE_TIMEOUT.toMillis()));
                return;
            }
            probe.exists("/", false);
            CHECKED.add(connectString);
            log.warn("ZooKeeper at {} serves clients without credentials (enforce.auth.enabled is off): digest user '{}' "
                    + "is used for the namespace's ACLs, but the server does not require anyone to authenticate", connectString, user);
        } catch (KeeperException e) {
            if (isRefusal(e.code())) {
                CHECKED.add(connectString);
                log.debug("ZooKeeper at {} refused an unauthenticated client ({}): authentication is required", connectString, e.code());
            } else {
                log.debug("could not check whether ZooKeeper at {} requires authentication: {}", connectString, e.code());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.debug("could not check whether ZooKeeper at {} requires authentication", connectString, e);
        } finally {
            if (probe != null) {
                try {
                    probe.close(ZooKeeperCoordinator.millis(timeout));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Deletes the combined PEM key store, if one was made. */
    @Override
    public void close() {
        delete(keyStore, keyStoreDir);
    }

    private static void delete(Path file, Path dir) {
        try {
            if (file != null) {
                Files.deleteIfExists(file);
            }
            if (dir != null) {
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            log.warn("could not delete coord's temporary ZooKeeper key store {}: {}", dir, e.toString());
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /** ZooKeeper's digest id of {@code user:password}: base64(SHA-1), as its DigestAuthenticationProvider computes it. */
    static String digest(byte[] idPassword) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(idPassword));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-1 in this JVM", e);
        }
    }

    private static byte[] utf8(String user, char[] password) {
        ByteBuffer b = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        byte[] u = (user + ":").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[u.length + b.remaining()];
        System.arraycopy(u, 0, out, 0, u.length);
        b.get(out, u.length, b.remaining());
        Arrays.fill(b.array(), (byte) 0);
        return out;
    }

    private static String chainText(Throwable e) {
        StringBuilder sb = new StringBuilder();
        List<Throwable> seen = new ArrayList<>();
        for (Throwable t = e; t != null && !seen.contains(t); t = t.getCause()) {
            seen.add(t);
            sb.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }

    private static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // probe socket: nothing to do
            }
        }
    }

    /** Only for {@link #probePlain}: whether a port speaks TLS, no data exchanged, nothing trusted afterwards. */
    private static final class TrustAnything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
