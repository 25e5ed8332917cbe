package io.coord.spi;

import io.coord.Coordinator;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one builder shape every backend shares: {@link #endpoints}, {@link #namespace}, {@link #operationTimeout},
 * {@link #connectTimeout}, TLS ({@link #tls}, {@link #trustedCertificates}, {@link #clientCertificate}; see
 * {@link TlsSettings}), and {@link #uri} setting any of them plus the backend's own parameters. A backend's
 * builder extends this with its extras and its {@code build()}; its provider is {@code builder().uri(uri).build()}.
 *
 * <p>Every setter checks its argument at once and says what was wrong and what is allowed; setters apply in
 * call order, so one called after {@code uri(...)} overrides what the URI said. Credentials in a URI are never
 * echoed in a message. Not thread-safe: one thread builds.
 *
 * @param <B> the backend's builder type
 * @param <C> the coordinator it builds
 */
public abstract class CoordinatorBuilder<B extends CoordinatorBuilder<B, C>, C extends Coordinator> {

    private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);
    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    private final String backend;
    private final Set<String> schemes;
    private final int defaultPort;
    private List<String> endpoints = List.of();
    private String namespace = CoordinatorUri.DEFAULT_NAMESPACE;
    private Duration operationTimeout;
    private Duration connectTimeout;
    private TlsSettings tls;

    /**
     * @param backend          the backend's name in messages, e.g. {@code "etcd"}
     * @param schemes          the URI schemes it opens
     * @param defaultPort      the port of an endpoint given without one
     * @param operationTimeout the default bound of one server operation
     * @param connectTimeout   the default bound of establishing a connection
     */
    protected CoordinatorBuilder(String backend, Set<String> schemes, int defaultPort, Duration operationTimeout, Duration connectTimeout) {
        this.backend = backend;
        this.schemes = Set.copyOf(schemes);
        this.defaultPort = defaultPort;
        this.operationTimeout = operationTimeout;
        this.connectTimeout = connectTimeout;
    }

    /** The servers (or cluster seeds) as {@code host:port}, at least one; replaces any given before. */
    public final B endpoints(String... endpoints) {
        Arguments.notNull(backend + " endpoints", endpoints);
        return endpoints(java.util.Arrays.asList(endpoints));
    }

    /** The servers (or cluster seeds) as {@code host:port}, at least one; replaces any given before. */
    public final B endpoints(List<String> endpoints) {
        if (endpoints == null || endpoints.isEmpty() || endpoints.stream().anyMatch(e -> e == null || e.isBlank())) {
            throw new IllegalArgumentException(backend + " endpoints must be a non-empty list of host:port, got " + endpoints);
        }
        List<String> checked = new ArrayList<>();
        for (String e : endpoints) {
            checked.add(checkEndpoint(e.trim()));
        }
        this.endpoints = List.copyOf(checked);
        return self();
    }

    /**
     * The namespace isolating this application on the servers: up to 128 characters of letters, digits,
     * '.', '_', '-', segments separated by '/'; default {@value CoordinatorUri#DEFAULT_NAMESPACE}.
     */
    public final B namespace(String namespace) {
        this.namespace = checkNamespace(Arguments.namespace(namespace));
        return self();
    }

    /** The bound of one server operation (a request and its retries; the cleanup of a failed call): 100 ms to 10 min. */
    public final B operationTimeout(Duration timeout) {
        this.operationTimeout = Arguments.duration("operation timeout", timeout, MIN_TIMEOUT, MAX_TIMEOUT);
        return self();
    }

    /** The bound of establishing a connection to the servers: 100 ms to 10 min. */
    public final B connectTimeout(Duration timeout) {
        this.connectTimeout = Arguments.duration("connect timeout", timeout, MIN_TIMEOUT, MAX_TIMEOUT);
        return self();
    }

    /**
     * Connects over TLS (true), verifying the server against the JVM's default trust store unless
     * {@link #trustedCertificates} names the CAs; false (the default) connects in plain text and forgets any TLS setting.
     */
    public final B tls(boolean enabled) {
        this.tls = enabled ? (tls == null ? TlsSettings.DEFAULT_TRUST : tls) : null;
        return self();
    }

    /** Connects over TLS, trusting the CA certificates in the PEM file {@code caFile} (instead of the JVM's defaults). */
    public final B trustedCertificates(Path caFile) {
        Arguments.notNull("trusted CA certificates file", caFile);
        this.tls = (tls == null ? TlsSettings.DEFAULT_TRUST : tls).trusting(caFile);
        return self();
    }

    /**
     * Connects over TLS presenting the client certificate chain in the PEM file {@code certificateFile} with its
     * unencrypted PKCS#8 PEM private key {@code keyFile} (mutual TLS; the server may map the certificate to a user).
     */
    public final B clientCertificate(Path certificateFile, Path keyFile) {
        Arguments.notNull("client certificate file", certificateFile);
        Arguments.notNull("client private key file", keyFile);
        this.tls = (tls == null ? TlsSettings.DEFAULT_TRUST : tls).presenting(certificateFile, keyFile);
        return self();
    }

    /** Same as {@link #uri(URI)}; a malformed URI is reported without its text (it may hold a password). */
    public final B uri(String uri) {
        Arguments.notNull(backend + " URI", uri);
        try {
            return uri(new URI(uri));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed " + backend + " URI (" + e.getReason() + " at index " + e.getIndex()
                    + "); expected " + example(), null);
        }
    }

    /**
     * Applies {@code scheme://[user:password@]host:port[,host:port…]/namespace[?key=value&…]}: endpoints, namespace,
     * the parameters {@code operationTimeout} and {@code connectTimeout} (e.g. {@code 500ms}, {@code 5s}), the TLS
     * parameters {@code tls=true|false}, {@code caFile=PATH}, and {@code certFile=PATH&keyFile=PATH} (together; any of
     * them turns TLS on) and the backend's own ({@link #parameterNames()}). An unknown parameter is an error naming
     * the allowed ones.
     */
    public final B uri(URI uri) {
        Arguments.notNull(backend + " URI", uri);
        CoordinatorUri parsed = CoordinatorUri.parse(uri, defaultPort);
        if (!schemes.contains(parsed.scheme())) {
            throw new IllegalArgumentException("not a " + backend + " URI: '" + CoordinatorUri.redacted(uri) + "'; expected " + example());
        }
        Set<String> allowed = new TreeSet<>(parameterNames());
        allowed.add("operationTimeout");
        allowed.add("connectTimeout");
        allowed.addAll(TLS_PARAMETERS);
        for (String key : parsed.parameters().keySet()) {
            if (!allowed.contains(key)) { // checked before anything is applied
                throw new IllegalArgumentException("unknown " + backend + " URI parameter '" + key + "' in '"
                        + CoordinatorUri.redacted(uri) + "'; allowed: " + String.join(", ", allowed));
            }
        }
        endpoints(parsed.endpoints());
        namespace(parsed.namespace());
        fromUri(parsed);
        for (String key : parsed.parameters().keySet()) {
            switch (key) {
                case "operationTimeout" -> operationTimeout(parsed.durationParameter(key, operationTimeout));
                case "connectTimeout" -> connectTimeout(parsed.durationParameter(key, connectTimeout));
                case "tls", "caFile", "certFile", "keyFile" -> { } // below, together
                default -> parameter(key, parsed);
            }
        }
        tlsFromUri(parsed.parameters());
        return self();
    }

    private static final Set<String> TLS_PARAMETERS = Set.of("tls", "caFile", "certFile", "keyFile");

    private void tlsFromUri(java.util.Map<String, String> parameters) {
        String enabled = parameters.get("tls");
        if (enabled != null) {
            if (!enabled.equals("true") && !enabled.equals("false")) {
                throw new IllegalArgumentException("URI parameter tls must be true or false, got '" + enabled + "'");
            }
            if (enabled.equals("false") && (parameters.containsKey("caFile") || parameters.containsKey("certFile"))) {
                throw new IllegalArgumentException("URI parameter tls=false contradicts caFile/certFile; drop one");
            }
            tls(Boolean.parseBoolean(enabled));
        }
        if (parameters.containsKey("caFile")) {
            trustedCertificates(Path.of(parameters.get("caFile")));
        }
        if (parameters.containsKey("certFile") != parameters.containsKey("keyFile")) {
            throw new IllegalArgumentException("URI parameters certFile and keyFile go together (a client certificate and its key)");
        }
        if (parameters.containsKey("certFile")) {
            clientCertificate(Path.of(parameters.get("certFile")), Path.of(parameters.get("keyFile")));
        }
    }

    /** Builds the coordinator; what it does before returning (connecting or not) is the backend's to document. */
    public abstract C build();

    // ---- for the backend's builder --------------------------------------------------------

    /** Checks one endpoint as given to {@link #endpoints}; returns it normalised. Default: {@code host[:port]}, the default port added. */
    protected String checkEndpoint(String endpoint) {
        return CoordinatorUri.hostPort(endpoint, defaultPort);
    }

    /** A further check of a valid namespace (e.g. a name the server reserves); returns it. Default: none. */
    protected String checkNamespace(String namespace) {
        return namespace;
    }

    /**
     * The scheme and user info of a URI, beyond endpoints, namespace and parameters. Default: credentials are
     * refused (a backend that supports them overrides this).
     */
    protected void fromUri(CoordinatorUri uri) {
        if (uri.userInfo() != null) {
            throw new IllegalArgumentException(backend + " URIs take no credentials (user info before '@'); configure "
                    + "authentication on the builder");
        }
    }

    /** Applies the backend's own URI parameter {@code key} (one of {@link #parameterNames()}); false if it has none of that name. */
    protected boolean parameter(String key, CoordinatorUri uri) {
        return false;
    }

    /** The names of the backend's own URI parameters, for the error message. */
    protected Set<String> parameterNames() {
        return Set.of();
    }

    protected final List<String> configuredEndpoints() {
        if (endpoints.isEmpty()) {
            throw new IllegalStateException("no " + backend + " endpoint given; call endpoints(\"host:port\", …) or uri(\""
                    + example() + "\")");
        }
        return endpoints;
    }

    protected final String configuredNamespace() {
        return namespace;
    }

    protected final Duration configuredOperationTimeout() {
        return operationTimeout;
    }

    protected final Duration configuredConnectTimeout() {
        return connectTimeout;
    }

    /** The TLS setting, or empty for plain text. */
    protected final Optional<TlsSettings> configuredTls() {
        return Optional.ofNullable(tls);
    }

    private String example() {
        return new TreeSet<>(schemes).first() + "://host:" + defaultPort + "/namespace";
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    @Override
    public String toString() {
        return backend + " coordinator builder " + endpoints + "/" + namespace + (tls == null ? "" : " " + tls);
    }
}
