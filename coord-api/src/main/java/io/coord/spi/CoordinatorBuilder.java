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

    /**
     * The servers (or cluster seeds) as {@code host:port}, at least one; replaces any given before.
     *
     * @param endpoints each checked by {@link #checkEndpoint(String)} (by default {@code host} or {@code host:port},
     *                  the backend's default port added)
     * @return this builder
     * @throws NullPointerException     if the array is null
     * @throws IllegalArgumentException if none is given, or one is null, blank or malformed
     */
    public final B endpoints(String... endpoints) {
        Arguments.notNull(backend + " endpoints", endpoints);
        return endpoints(java.util.Arrays.asList(endpoints));
    }

    /**
     * The servers (or cluster seeds) as {@code host:port}, at least one; replaces any given before.
     *
     * @param endpoints each checked by {@link #checkEndpoint(String)}; the list is copied
     * @return this builder
     * @throws IllegalArgumentException if the list is null or empty, or an endpoint is null, blank or malformed
     */
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
     *
     * @param namespace checked by {@link Arguments#namespace(String)}, then by {@link #checkNamespace(String)}
     * @return this builder
     * @throws IllegalArgumentException if {@code namespace} is null or breaks either rule
     */
    public final B namespace(String namespace) {
        this.namespace = checkNamespace(Arguments.namespace(namespace));
        return self();
    }

    /**
     * The bound of one server operation (a request and its retries; the cleanup of a failed call): 100 ms to 10 min.
     *
     * @param timeout between 100 ms and 10 minutes
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is out of range
     */
    public final B operationTimeout(Duration timeout) {
        this.operationTimeout = Arguments.duration("operation timeout", timeout, MIN_TIMEOUT, MAX_TIMEOUT);
        return self();
    }

    /**
     * The bound of establishing a connection to the servers: 100 ms to 10 min.
     *
     * @param timeout between 100 ms and 10 minutes
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is out of range
     */
    public final B connectTimeout(Duration timeout) {
        this.connectTimeout = Arguments.duration("connect timeout", timeout, MIN_TIMEOUT, MAX_TIMEOUT);
        return self();
    }

    /**
     * Connects over TLS (true), verifying the server against the JVM's default trust store unless
     * {@link #trustedCertificates} names the CAs; false (the default) connects in plain text and forgets any TLS setting.
     *
     * @param enabled true for TLS (keeping any TLS setting made before), false for plain text
     * @return this builder
     */
    public final B tls(boolean enabled) {
        this.tls = enabled ? (tls == null ? TlsSettings.DEFAULT_TRUST : tls) : null;
        return self();
    }

    /**
     * Connects over TLS, trusting the CA certificates in the PEM file {@code caFile} (instead of the JVM's defaults).
     *
     * @param caFile checked now: a readable file of X.509 certificates (see {@link TlsSettings})
     * @return this builder
     * @throws NullPointerException     if {@code caFile} is null
     * @throws IllegalArgumentException if the file is missing, unreadable or holds no certificate
     */
    public final B trustedCertificates(Path caFile) {
        Arguments.notNull("trusted CA certificates file", caFile);
        this.tls = (tls == null ? TlsSettings.DEFAULT_TRUST : tls).trusting(caFile);
        return self();
    }

    /**
     * Connects over TLS presenting the client certificate chain in the PEM file {@code certificateFile} with its
     * unencrypted PKCS#8 PEM private key {@code keyFile} (mutual TLS; the server may map the certificate to a user).
     *
     * @param certificateFile checked now: a readable file of X.509 certificates
     * @param keyFile         checked now: a readable file holding {@code -----BEGIN PRIVATE KEY-----}; its content is never shown
     * @return this builder
     * @throws NullPointerException     if either file is null
     * @throws IllegalArgumentException if a file is missing, unreadable or of the wrong form
     */
    public final B clientCertificate(Path certificateFile, Path keyFile) {
        Arguments.notNull("client certificate file", certificateFile);
        Arguments.notNull("client private key file", keyFile);
        this.tls = (tls == null ? TlsSettings.DEFAULT_TRUST : tls).presenting(certificateFile, keyFile);
        return self();
    }

    /**
     * Same as {@link #uri(URI)}; a malformed URI is reported without its text (it may hold a password).
     *
     * @param uri the URI as text
     * @return this builder
     * @throws NullPointerException     if {@code uri} is null
     * @throws IllegalArgumentException if {@code uri} is malformed, or {@link #uri(URI)} rejects it
     */
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
     *
     * <p>Unknown parameters are refused before anything is applied; a bad value is found while applying, so the
     * settings applied before it (endpoints, namespace, earlier parameters) stay in effect.
     *
     * @param uri a URI of one of this backend's schemes
     * @return this builder
     * @throws NullPointerException     if {@code uri} is null
     * @throws IllegalArgumentException if the URI is of another scheme, malformed, names an unknown parameter or
     *                                  holds a bad value; no message shows the URI's credentials
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
                // The URI is not shown: an unknown parameter may be a secret put in the wrong place (?password=…).
                throw new IllegalArgumentException("unknown " + backend + " URI parameter '" + key + "'; allowed: "
                        + String.join(", ", allowed) + " (credentials go in the user info: " + new TreeSet<>(schemes).first() + "://user:password@host:"
                        + defaultPort + "/namespace)");
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

    /**
     * Builds the coordinator; what it does before returning (connecting or not) is the backend's to document.
     *
     * @return a new coordinator, owned by the caller, who must close it
     * @throws IllegalStateException if no endpoint was given (see {@link #configuredEndpoints()})
     */
    public abstract C build();

    // ---- for the backend's builder --------------------------------------------------------

    /**
     * Checks one endpoint as given to {@link #endpoints}; returns it normalised. Default: {@code host[:port]}, the default
     * port added.
     *
     * @param endpoint one endpoint, trimmed and not blank
     * @return the endpoint as the backend will use it
     * @throws IllegalArgumentException if the endpoint is malformed
     */
    protected String checkEndpoint(String endpoint) {
        return CoordinatorUri.hostPort(endpoint, defaultPort);
    }

    /**
     * A further check of a valid namespace (e.g. a name the server reserves); returns it. Default: none.
     *
     * @param namespace a namespace that {@link Arguments#namespace(String)} accepted
     * @return the namespace to use
     * @throws IllegalArgumentException if the backend refuses it
     */
    protected String checkNamespace(String namespace) {
        return namespace;
    }

    /**
     * The scheme and user info of a URI, beyond endpoints, namespace and parameters. Default: credentials are
     * refused (a backend that supports them overrides this). Called by {@link #uri(URI)} after the endpoints and the
     * namespace are applied, before any parameter.
     *
     * @param uri the parsed URI, of one of this builder's schemes
     * @throws IllegalArgumentException if the URI holds what the backend refuses (by default: any user info)
     */
    protected void fromUri(CoordinatorUri uri) {
        if (uri.userInfo() != null) {
            throw new IllegalArgumentException(backend + " URIs take no credentials (user info before '@'); configure "
                    + "authentication on the builder");
        }
    }

    /**
     * Applies the backend's own URI parameter {@code key} (one of {@link #parameterNames()}); false if it has none of that name.
     *
     * @param key the parameter's name, one of {@link #parameterNames()}
     * @param uri the parsed URI, whose {@link CoordinatorUri#parameters()} hold the value
     * @return whether the parameter was applied ({@link #uri(URI)} ignores it: unknown names were refused before)
     * @throws IllegalArgumentException if the value is bad
     */
    protected boolean parameter(String key, CoordinatorUri uri) {
        return false;
    }

    /**
     * The names of the backend's own URI parameters: with the common ones, the only keys {@link #uri(URI)} accepts,
     * and the ones its error message lists.
     *
     * @return the names, without the common ones; by default none
     */
    protected Set<String> parameterNames() {
        return Set.of();
    }

    /**
     * The endpoints given, checked and normalised.
     *
     * @return an unmodifiable, non-empty list of endpoints
     * @throws IllegalStateException if none was given, with a message saying how to give them
     */
    protected final List<String> configuredEndpoints() {
        if (endpoints.isEmpty()) {
            throw new IllegalStateException("no " + backend + " endpoint given; call endpoints(\"host:port\", …) or uri(\""
                    + example() + "\")");
        }
        return endpoints;
    }

    /**
     * The namespace given, checked.
     *
     * @return the namespace, {@value CoordinatorUri#DEFAULT_NAMESPACE} if none was given
     */
    protected final String configuredNamespace() {
        return namespace;
    }

    /**
     * The bound of one server operation.
     *
     * @return the timeout set, or the backend's default given to the constructor
     */
    protected final Duration configuredOperationTimeout() {
        return operationTimeout;
    }

    /**
     * The bound of establishing a connection.
     *
     * @return the timeout set, or the backend's default given to the constructor
     */
    protected final Duration configuredConnectTimeout() {
        return connectTimeout;
    }

    /**
     * The TLS setting, or empty for plain text.
     *
     * @return the setting, its files checked when it was made; empty for plain text
     */
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
