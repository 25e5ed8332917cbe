package io.coord.spi;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The parts of a backend URI: {@code scheme://[userinfo@]host[:port][,host[:port]…]/namespace[?key=value&…]}.
 * An empty path means namespace {@value #DEFAULT_NAMESPACE}. The user info (credentials) is kept raw, as written,
 * and never shown: {@link #toString()} and every error message print the URI with it replaced by {@code ***}.
 *
 * @param scheme     the scheme, lower-cased; empty if the URI had none
 * @param userInfo   the raw user info before '@' (percent-encoded, as written), or {@code null}
 * @param endpoints  the servers as {@code host:port}, in the order written, the default port added where none was given
 * @param namespace  the path without its leading and trailing '/', checked by {@link Arguments#namespace(String)}
 * @param parameters the query parameters in the order written, values percent-decoded; a repeated key keeps its last value
 */
public record CoordinatorUri(String scheme, String userInfo, List<String> endpoints, String namespace, Map<String, String> parameters) {

    /** The namespace of a URI with an empty path, and of a builder given none. */
    public static final String DEFAULT_NAMESPACE = "coord";
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+)(:\\d{1,5})?");

    /**
     * Copies {@code endpoints} and {@code parameters} into unmodifiable collections; checks nothing else.
     *
     * @param scheme     the scheme, lower-cased
     * @param userInfo   the raw user info, or {@code null}
     * @param endpoints  the servers as {@code host:port}
     * @param namespace  the namespace
     * @param parameters the query parameters
     */
    public CoordinatorUri {
        endpoints = List.copyOf(endpoints);
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /**
     * Parses {@code uri}; endpoints without a port get {@code defaultPort}. (java.net.URI itself reports no user
     * info for an authority listing several hosts, so the authority is taken apart here.)
     *
     * @param given       the URI; its scheme is not checked here
     * @param defaultPort the port of an endpoint written without one
     * @return the parts of {@code given}
     * @throws IllegalArgumentException if the URI names no server, or has a bad endpoint, namespace or parameter; the
     *                                  message shows the URI {@link #redacted(URI) redacted}
     */
    public static CoordinatorUri parse(URI given, int defaultPort) {
        String scheme = given.getScheme() == null ? "" : given.getScheme().toLowerCase(Locale.ROOT);
        String uri = redacted(given);
        String authority = given.getRawAuthority();
        String userInfo = null;
        if (authority != null && authority.contains("@")) {
            userInfo = authority.substring(0, authority.lastIndexOf('@'));
            authority = authority.substring(authority.lastIndexOf('@') + 1);
        }
        if (authority == null || authority.isBlank()) {
            throw new IllegalArgumentException("URI '" + uri + "' names no server; expected "
                    + scheme + "://host:port[,host:port]/namespace");
        }
        List<String> endpoints = new ArrayList<>();
        for (String part : authority.split(",")) {
            try {
                endpoints.add(hostPort(part.trim(), defaultPort));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage() + " (in URI '" + uri + "')", e);
            }
        }
        String path = given.getRawPath() == null ? "" : given.getRawPath();
        while (path.startsWith("/")) {
            path = path.substring(1);
        }
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String namespace = path.isEmpty() ? DEFAULT_NAMESPACE : path;
        try {
            Arguments.namespace(namespace);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (in URI '" + uri + "')", e);
        }
        Map<String, String> params = new LinkedHashMap<>();
        if (given.getRawQuery() != null && !given.getRawQuery().isEmpty()) {
            for (String kv : given.getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("bad URI parameter '" + kv + "' in '" + uri + "'; expected key=value");
                }
                params.put(kv.substring(0, eq), java.net.URLDecoder.decode(kv.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return new CoordinatorUri(scheme, userInfo, endpoints, namespace, params);
    }

    /**
     * {@code host} or {@code host:port} (IPv6 in brackets), checked, as {@code host:port} with {@code defaultPort} if none was given.
     *
     * @param hp          the endpoint as written, trimmed
     * @param defaultPort the port to add if {@code hp} has none
     * @return {@code hp} with a port
     * @throws IllegalArgumentException if {@code hp} is null, not of that form, or its port is outside 1..65535
     */
    public static String hostPort(String hp, int defaultPort) {
        if (hp == null || !HOST_PORT.matcher(hp).matches()) {
            throw new IllegalArgumentException("bad endpoint '" + hp + "'; expected host or host:port");
        }
        boolean hasPort = hp.lastIndexOf(':') > hp.lastIndexOf(']');
        if (!hasPort) {
            return hp + ":" + defaultPort;
        }
        int port = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad port " + port + " in endpoint '" + hp + "'; allowed 1..65535");
        }
        return hp;
    }

    /**
     * {@code uri} as text with its user info (if any) replaced by {@code ***}: safe for messages and logs.
     *
     * @param uri any URI
     * @return the URI's text, without its user info ({@link #redacted(String)} of its text)
     */
    public static String redacted(URI uri) {
        return redacted(uri.toString());
    }

    /**
     * URI text, well-formed or not, with everything between the scheme and the last {@code @} replaced by
     * {@code ***}: safe for messages and logs even when a password holds characters that break URI parsing
     * ({@code /}, {@code #}, {@code ?}, a space), so that a parser would not see it as user info, or when the
     * {@code //} is missing. Text without {@code @} is returned as it is; an {@code @} elsewhere (a path, a
     * parameter) hides a little more than needed, never less.
     *
     * @param text any text meant as a URI
     * @return the text without anything that may be user info
     */
    public static String redacted(String text) {
        int at = text.lastIndexOf('@');
        if (at < 0) {
            return text;
        }
        int slashes = text.indexOf("://");
        int colon = text.indexOf(':');
        int start = slashes >= 0 && slashes < at ? slashes + 3 : colon >= 0 && colon < at ? colon + 1 : 0;
        return text.substring(0, start) + "***" + text.substring(at);
    }

    /**
     * The user info decoded: {@code [user, password]} ({@code user} null if only a password was given), or empty.
     *
     * @return a new two-element array on each call, or empty if there is no user info; user info without ':' is a password
     */
    public java.util.Optional<String[]> credentials() {
        if (userInfo == null || userInfo.isEmpty()) {
            return java.util.Optional.empty();
        }
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? null : java.net.URLDecoder.decode(userInfo.substring(0, colon), java.nio.charset.StandardCharsets.UTF_8);
        String password = java.net.URLDecoder.decode(colon < 0 ? userInfo : userInfo.substring(colon + 1), java.nio.charset.StandardCharsets.UTF_8);
        return java.util.Optional.of(new String[] {user == null || user.isEmpty() ? null : user, password});
    }

    @Override
    public String toString() {
        return scheme + "://" + (userInfo == null ? "" : "***@") + String.join(",", endpoints) + "/" + namespace
                + (parameters.isEmpty() ? "" : "?" + parameters);
    }

    /**
     * A duration parameter such as {@code connectTimeout=5s} or {@code 500ms}, or {@code fallback}.
     *
     * @param key      the parameter's name
     * @param fallback what to return if the parameter is absent
     * @return the duration: {@code Nms}, {@code Ns}, or a bare {@code N} in milliseconds; not range-checked here
     * @throws IllegalArgumentException if the value is none of these forms
     */
    public Duration durationParameter(String key, Duration fallback) {
        String v = parameters.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            return Duration.ofMillis(Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad duration '" + v + "' for URI parameter '" + key + "'; expected e.g. 500ms or 5s", e);
        }
    }
}
