package io.coord.spring.boot;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

import io.coord.spi.Arguments;
import io.coord.spi.CoordinatorUri;

/**
 * Turns {@link CoordProperties} into the one backend URI {@link io.coord.Coordinator#open(URI)} takes: every
 * setting becomes the URI part or parameter coord's backends already define (see {@code CoordinatorBuilder#uri}),
 * so the starter needs no backend module and adds no second way to configure one.
 *
 * <p>Nothing here ever puts the URI's text, or a password, into a message: the text is always shown through
 * {@link CoordinatorUri#redacted(String)} of the raw text (everything between the scheme and the last {@code @}
 * hidden), which holds also for text that does not parse, or parses with the password outside the user info.
 */
final class CoordUris {

    static final String EXAMPLES = "e.g. coord.uri=zookeeper://host:2181/myapp, etcd://host:2379/myapp or redis://host:6379/myapp";
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);
    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);
    private static final Set<String> SCHEMES = Set.of("zookeeper", "etcd", "redis", "rediss");

    private CoordUris() {
    }

    /**
     * The URI to open.
     *
     * @throws IllegalArgumentException naming the {@code coord.*} property that is missing, contradictory or malformed
     */
    static URI from(CoordProperties p) {
        boolean hasUri = p.getUri() != null && !p.getUri().isBlank();
        boolean hasEndpoints = !p.getEndpoints().isEmpty() || (p.getBackend() != null && !p.getBackend().isBlank());
        if (!hasUri && !hasEndpoints) {
            throw new CoordConfigurationException("coord.uri is not set: name the coordination backend (" + EXAMPLES
                    + "), or set coord.backend (zookeeper, etcd, redis or rediss) and coord.endpoints (host:port, ...)");
        }
        if (hasUri && hasEndpoints) {
            throw new CoordConfigurationException("set either coord.uri or coord.backend with coord.endpoints, not both");
        }
        String scheme;
        String userInfo = null;
        String hosts;
        String path = "";
        String query = null;
        if (hasUri) {
            String raw = p.getUri().trim();
            // Redacted from the raw text, never from a parse: a password with '/', '?' or '#' is not user info to a
            // parser, and text without "//" has no authority at all.
            String shown = CoordinatorUri.redacted(raw);
            URI given = parse(raw, "coord.uri");
            if (given.getScheme() == null) {
                throw new CoordConfigurationException("coord.uri '" + shown + "' has no scheme; " + EXAMPLES);
            }
            scheme = given.getScheme();
            String authority = given.getRawAuthority();
            if (authority == null || authority.isBlank()) {
                throw new CoordConfigurationException("coord.uri '" + shown + "' names no server; " + EXAMPLES);
            }
            int lastAt = raw.lastIndexOf('@');
            int authorityEnd = raw.indexOf("://") + 3 + authority.length();
            if (lastAt >= authorityEnd) {
                // The user info would end early and the rest of the password become path, query or fragment.
                throw new CoordConfigurationException("coord.uri '" + shown + "' has an '@' after its server part: "
                        + "percent-encode '/', '?', '#' and '@' in a user name or password (%2F, %3F, %23, %40), or set "
                        + "coord.username and coord.password instead");
            }
            if (given.getRawFragment() != null) {
                throw new CoordConfigurationException("coord.uri '" + shown + "' has a fragment ('#...'); "
                        + "coord URIs take none");
            }
            int at = authority.lastIndexOf('@');
            if (at >= 0) {
                userInfo = authority.substring(0, at);
                authority = authority.substring(at + 1);
            }
            hosts = authority;
            path = given.getRawPath() == null ? "" : given.getRawPath();
            query = given.getRawQuery();
        } else {
            if (p.getBackend() == null || p.getBackend().isBlank()) {
                throw new CoordConfigurationException("coord.endpoints is set but coord.backend is not: set coord.backend to "
                        + "zookeeper, etcd, redis or rediss (or give coord.uri instead)");
            }
            scheme = p.getBackend().trim().toLowerCase(Locale.ROOT);
            if (!SCHEMES.contains(scheme)) {
                throw new CoordConfigurationException("coord.backend '" + p.getBackend() + "' is unknown; allowed: zookeeper, "
                        + "etcd, redis, rediss");
            }
            if (p.getEndpoints().isEmpty()) {
                throw new CoordConfigurationException("coord.backend is set but coord.endpoints is empty: give at least one "
                        + "host:port");
            }
            StringJoiner joined = new StringJoiner(",");
            for (String e : p.getEndpoints()) {
                if (e == null || e.isBlank() || !e.trim().matches("[A-Za-z0-9.\\-\\[\\]:]+")) {
                    throw new CoordConfigurationException("coord.endpoints holds '" + e + "'; expected host or host:port");
                }
                joined.add(e.trim());
            }
            hosts = joined.toString();
        }
        if (p.getNamespace() != null) {
            try {
                path = "/" + Arguments.namespace(p.getNamespace());
            } catch (IllegalArgumentException e) {
                throw new CoordConfigurationException("coord.namespace: " + e.getMessage(), e);
            }
        }
        if (p.getUsername() != null || p.getPassword() != null) {
            if (userInfo != null) {
                throw new CoordConfigurationException("credentials are given both in coord.uri and in coord.username/"
                        + "coord.password; give them in one place");
            }
            if (p.getPassword() == null) {
                throw new CoordConfigurationException("coord.username is set but coord.password is not; set both");
            }
            userInfo = (p.getUsername() == null ? "" : encode(p.getUsername())) + ":" + encode(p.getPassword());
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        putMillis(parameters, "operationTimeout", "coord.operation-timeout", p.getOperationTimeout());
        putMillis(parameters, "connectTimeout", "coord.connect-timeout", p.getConnectTimeout());
        CoordProperties.Tls tls = p.getTls();
        boolean anyFile = tls.getTrustedCertificates() != null || tls.getClientCertificate() != null || tls.getClientKey() != null;
        if (Boolean.FALSE.equals(tls.getEnabled()) && anyFile) {
            throw new CoordConfigurationException("coord.tls.enabled=false contradicts the coord.tls certificate settings; "
                    + "drop one");
        }
        if (tls.getEnabled() != null) {
            parameters.put("tls", tls.getEnabled().toString());
        }
        putPath(parameters, "caFile", tls.getTrustedCertificates());
        if ((tls.getClientCertificate() == null) != (tls.getClientKey() == null)) {
            throw new CoordConfigurationException("coord.tls.client-certificate and coord.tls.client-key go together "
                    + "(a certificate chain and its private key); set both or neither");
        }
        putPath(parameters, "certFile", tls.getClientCertificate());
        putPath(parameters, "keyFile", tls.getClientKey());

        StringBuilder text = new StringBuilder(scheme).append("://");
        if (userInfo != null) {
            text.append(userInfo).append('@');
        }
        text.append(hosts).append(path);
        StringJoiner q = new StringJoiner("&");
        if (query != null && !query.isEmpty()) {
            q.add(query);
        }
        // A repeated key keeps its last value (CoordinatorUri.parse): these come last, so they override the URI's.
        parameters.forEach((k, v) -> q.add(k + "=" + encode(v)));
        if (q.length() > 0) {
            text.append('?').append(q);
        }
        return parse(text.toString(), "the URI made of the coord.* settings");
    }

    /**
     * {@code uri} without anything that may be credentials, for {@link CoordProperties#toString()} and the actuator:
     * {@link CoordinatorUri#redacted(String)} of the raw text (no parsing, so malformed text is safe too), or "null".
     */
    static String redacted(String uri) {
        return uri == null ? "null" : CoordinatorUri.redacted(uri.trim());
    }

    private static URI parse(String text, String what) {
        try {
            return new URI(text);
        } catch (URISyntaxException e) {
            // Never the text itself: it may hold a password.
            throw new CoordConfigurationException(what + " is not a valid URI (" + e.getReason() + " at index "
                    + e.getIndex() + "); " + EXAMPLES, null);
        }
    }

    private static void putMillis(Map<String, String> parameters, String key, String property, Duration d) {
        if (d == null) {
            return;
        }
        if (d.compareTo(MIN_TIMEOUT) < 0 || d.compareTo(MAX_TIMEOUT) > 0 || d.getNano() % 1_000_000 != 0) {
            throw new CoordConfigurationException(property + " is " + d + "; expected a positive whole number of "
                    + "milliseconds between 100ms and 10m");
        }
        parameters.put(key, d.toMillis() + "ms");
    }

    private static void putPath(Map<String, String> parameters, String key, Path path) {
        if (path != null) {
            parameters.put(key, path.toString());
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
