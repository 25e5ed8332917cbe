package io.coord.spring.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code coord.*} settings from which {@link CoordAutoConfiguration} opens the {@link io.coord.Coordinator} and
 * its default {@link io.coord.Session}.
 *
 * <p>The backend is named either by {@link #getUri() coord.uri} or by {@link #getBackend() coord.backend} with
 * {@link #getEndpoints() coord.endpoints}, never both. Every other setting here, when set, is added to that URI as
 * the parameter coord's backends already understand ({@code operationTimeout}, {@code connectTimeout}, {@code tls},
 * {@code caFile}, {@code certFile}, {@code keyFile}, the user info and the path), so it overrides what the URI
 * itself says; the backend then checks the whole and says what is allowed.
 *
 * <p>The password is never shown: {@link #toString()} prints {@code ***} in its place, and neither the starter's
 * error messages nor its health details contain it.
 */
@ConfigurationProperties("coord")
public class CoordProperties {

    /** The session TTL used when {@code coord.session-ttl} is not set. */
    public static final Duration DEFAULT_SESSION_TTL = Duration.ofSeconds(10);

    /**
     * The backend URI, e.g. zookeeper://host:2181/namespace, etcd://host:2379,host:2379/namespace or
     * redis://host:6379/namespace (rediss:// for TLS), with any parameter the backend accepts. Required unless
     * coord.backend and coord.endpoints are set instead.
     */
    private String uri;

    /**
     * The backend's URI scheme (zookeeper, etcd, redis or rediss), used with coord.endpoints instead of coord.uri.
     */
    private String backend;

    /**
     * The servers as host:port (the backend's default port if omitted), used with coord.backend instead of coord.uri.
     */
    private List<String> endpoints = new ArrayList<>();

    /**
     * The namespace isolating this application on the servers: letters, digits, '.', '_', '-', segments separated
     * by '/', at most 128 characters. Overrides the URI's path; "coord" if neither gives one.
     */
    private String namespace;

    /**
     * The time-to-live of the default session, between 100ms and 1h; the server may clamp it (the health details
     * show what it granted). Everything the session holds is lost at most this long after the application dies.
     */
    private Duration sessionTtl = DEFAULT_SESSION_TTL;

    /**
     * The bound of one server operation, 100ms to 10m (whole milliseconds); the backend's default if not set.
     */
    private Duration operationTimeout;

    /**
     * The bound of establishing a connection, 100ms to 10m (whole milliseconds); the backend's default if not set.
     */
    private Duration connectTimeout;

    /**
     * The user name: an etcd RBAC user, a Redis ACL user or a ZooKeeper digest identity. Needs coord.password.
     */
    private String username;

    /**
     * The password of coord.username (or, alone, a Redis legacy AUTH password). Never shown in messages, logs,
     * toString() or health details.
     */
    private String password;

    /** TLS to the servers. */
    private final Tls tls = new Tls();

    /** Leader election through Spring Integration (coord-spring-integration). */
    private final Leader leader = new Leader();

    /**
     * The backend URI.
     *
     * @return {@code coord.uri}, or null if not set
     */
    public String getUri() {
        return uri;
    }

    /**
     * Sets the backend URI.
     *
     * @param uri e.g. {@code etcd://host:2379/namespace}; may hold credentials, which are never shown
     */
    public void setUri(String uri) {
        this.uri = uri;
    }

    /**
     * The backend's URI scheme, used with {@link #getEndpoints()}.
     *
     * @return {@code coord.backend}, or null if not set
     */
    public String getBackend() {
        return backend;
    }

    /**
     * Sets the backend's URI scheme.
     *
     * @param backend {@code zookeeper}, {@code etcd}, {@code redis} or {@code rediss}
     */
    public void setBackend(String backend) {
        this.backend = backend;
    }

    /**
     * The servers, used with {@link #getBackend()}.
     *
     * @return the live list of {@code host:port}, empty if not set
     */
    public List<String> getEndpoints() {
        return endpoints;
    }

    /**
     * Sets the servers.
     *
     * @param endpoints {@code host:port} each; null means none
     */
    public void setEndpoints(List<String> endpoints) {
        this.endpoints = endpoints == null ? new ArrayList<>() : new ArrayList<>(endpoints);
    }

    /**
     * The namespace, overriding the URI's path.
     *
     * @return {@code coord.namespace}, or null if not set
     */
    public String getNamespace() {
        return namespace;
    }

    /**
     * Sets the namespace.
     *
     * @param namespace checked by the backend when the coordinator opens
     */
    public void setNamespace(String namespace) {
        this.namespace = namespace;
    }

    /**
     * The default session's TTL.
     *
     * @return {@code coord.session-ttl}, {@link #DEFAULT_SESSION_TTL} if not set
     */
    public Duration getSessionTtl() {
        return sessionTtl;
    }

    /**
     * Sets the default session's TTL.
     *
     * @param sessionTtl between 100 ms and 1 hour; checked when the session opens
     */
    public void setSessionTtl(Duration sessionTtl) {
        this.sessionTtl = sessionTtl;
    }

    /**
     * The bound of one server operation.
     *
     * @return {@code coord.operation-timeout}, or null for the backend's default
     */
    public Duration getOperationTimeout() {
        return operationTimeout;
    }

    /**
     * Sets the bound of one server operation.
     *
     * @param operationTimeout 100 ms to 10 minutes, in whole milliseconds
     */
    public void setOperationTimeout(Duration operationTimeout) {
        this.operationTimeout = operationTimeout;
    }

    /**
     * The bound of establishing a connection.
     *
     * @return {@code coord.connect-timeout}, or null for the backend's default
     */
    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    /**
     * Sets the bound of establishing a connection.
     *
     * @param connectTimeout 100 ms to 10 minutes, in whole milliseconds
     */
    public void setConnectTimeout(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    /**
     * The user name.
     *
     * @return {@code coord.username}, or null if not set
     */
    public String getUsername() {
        return username;
    }

    /**
     * Sets the user name.
     *
     * @param username the identity to log in as; needs {@link #setPassword(String)}
     */
    public void setUsername(String username) {
        this.username = username;
    }

    /**
     * The password.
     *
     * @return {@code coord.password}, or null if not set
     */
    public String getPassword() {
        return password;
    }

    /**
     * Sets the password.
     *
     * @param password never shown anywhere by the starter
     */
    public void setPassword(String password) {
        this.password = password;
    }

    /**
     * The TLS settings.
     *
     * @return the live {@code coord.tls.*} settings, never null
     */
    public Tls getTls() {
        return tls;
    }

    /**
     * The leader election settings.
     *
     * @return the live {@code coord.leader.*} settings, never null
     */
    public Leader getLeader() {
        return leader;
    }

    /**
     * The settings without the password (shown as {@code ***} when set) and without any credentials in the URI.
     *
     * @return a description safe for logs
     */
    @Override
    public String toString() {
        return "CoordProperties{uri=" + CoordUris.redacted(uri) + ", backend=" + backend + ", endpoints=" + endpoints
                + ", namespace=" + namespace + ", sessionTtl=" + sessionTtl + ", operationTimeout=" + operationTimeout
                + ", connectTimeout=" + connectTimeout + ", username=" + username
                + ", password=" + (password == null ? "null" : "***") + ", tls=" + tls + ", leader=" + leader + "}";
    }

    /**
     * The {@code coord.tls.*} settings: the same TLS options on every backend (server verified, host name checked).
     */
    public static class Tls {

        /**
         * Whether to connect over TLS, verifying the server against the JVM's default trust store unless
         * coord.tls.trusted-certificates names the CAs. Setting a certificate file turns TLS on by itself.
         */
        private Boolean enabled;

        /** A PEM file of the CA certificates to trust instead of the JVM's defaults. */
        private Path trustedCertificates;

        /** A PEM file of the client certificate chain to present (mutual TLS); needs coord.tls.client-key. */
        private Path clientCertificate;

        /** The unencrypted PKCS#8 PEM private key of coord.tls.client-certificate; its content is never shown. */
        private Path clientKey;

        /** Creates empty settings: TLS as the URI says. */
        public Tls() {
        }

        /**
         * Whether TLS is on.
         *
         * @return {@code coord.tls.enabled}, or null to leave it to the URI and the certificate settings
         */
        public Boolean getEnabled() {
            return enabled;
        }

        /**
         * Turns TLS on or off.
         *
         * @param enabled true for TLS; false contradicts any certificate setting (an error at startup)
         */
        public void setEnabled(Boolean enabled) {
            this.enabled = enabled;
        }

        /**
         * The trusted CA certificates file.
         *
         * @return {@code coord.tls.trusted-certificates}, or null
         */
        public Path getTrustedCertificates() {
            return trustedCertificates;
        }

        /**
         * Sets the trusted CA certificates file.
         *
         * @param trustedCertificates a readable PEM file of X.509 certificates
         */
        public void setTrustedCertificates(Path trustedCertificates) {
            this.trustedCertificates = trustedCertificates;
        }

        /**
         * The client certificate chain file.
         *
         * @return {@code coord.tls.client-certificate}, or null
         */
        public Path getClientCertificate() {
            return clientCertificate;
        }

        /**
         * Sets the client certificate chain file.
         *
         * @param clientCertificate a readable PEM file of X.509 certificates
         */
        public void setClientCertificate(Path clientCertificate) {
            this.clientCertificate = clientCertificate;
        }

        /**
         * The client private key file.
         *
         * @return {@code coord.tls.client-key}, or null
         */
        public Path getClientKey() {
            return clientKey;
        }

        /**
         * Sets the client private key file.
         *
         * @param clientKey a readable unencrypted PKCS#8 PEM file
         */
        public void setClientKey(Path clientKey) {
            this.clientKey = clientKey;
        }

        /**
         * The settings (file names only, never a key's content).
         *
         * @return a description safe for logs
         */
        @Override
        public String toString() {
            return "Tls{enabled=" + enabled + ", trustedCertificates=" + trustedCertificates
                    + ", clientCertificate=" + clientCertificate + ", clientKey=" + clientKey + "}";
        }
    }

    /**
     * The {@code coord.leader.*} settings: with coord-spring-integration on the class path and a
     * {@code org.springframework.integration.leader.Candidate} bean, the starter campaigns for that candidate.
     */
    public static class Leader {

        /**
         * The coord election in which the application's Candidate bean campaigns (a CoordLeaderInitiator publishing
         * Spring Integration's OnGrantedEvent and OnRevokedEvent); no initiator if not set. Non-blank, at most 256
         * UTF-8 bytes.
         */
        private String election;

        /** Creates empty settings: no election. */
        public Leader() {
        }

        /**
         * The election's name.
         *
         * @return {@code coord.leader.election}, or null if not set
         */
        public String getElection() {
            return election;
        }

        /**
         * Sets the election's name.
         *
         * @param election non-blank, at most 256 UTF-8 bytes; checked when the initiator is made
         */
        public void setElection(String election) {
            this.election = election;
        }

        /**
         * The settings.
         *
         * @return a description for logs
         */
        @Override
        public String toString() {
            return "Leader{election=" + election + "}";
        }
    }
}
