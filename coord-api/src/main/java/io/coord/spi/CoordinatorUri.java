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
 * The parts of a backend URI: {@code scheme://host[:port][,host[:port]…]/namespace[?key=value&…]}.
 * An empty path means namespace {@value #DEFAULT_NAMESPACE}.
 */
public record CoordinatorUri(String scheme, List<String> endpoints, String namespace, Map<String, String> parameters) {

    public static final String DEFAULT_NAMESPACE = "coord";
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+)(:\\d{1,5})?");

    public CoordinatorUri {
        endpoints = List.copyOf(endpoints);
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** Parses {@code uri}; endpoints without a port get {@code defaultPort}. */
    public static CoordinatorUri parse(URI uri, int defaultPort) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isBlank()) {
            throw new IllegalArgumentException("URI '" + uri + "' names no server; expected "
                    + scheme + "://host:port[,host:port]/namespace");
        }
        if (authority.contains("@")) {
            authority = authority.substring(authority.lastIndexOf('@') + 1);
        }
        List<String> endpoints = new ArrayList<>();
        for (String part : authority.split(",")) {
            String hp = part.trim();
            if (!HOST_PORT.matcher(hp).matches()) {
                throw new IllegalArgumentException("bad endpoint '" + hp + "' in URI '" + uri + "'; expected host or host:port");
            }
            boolean hasPort = hp.lastIndexOf(':') > hp.lastIndexOf(']');
            if (hasPort) {
                int port = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("bad port " + port + " in URI '" + uri + "'; allowed 1..65535");
                }
            }
            endpoints.add(hasPort ? hp : hp + ":" + defaultPort);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
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
        if (uri.getRawQuery() != null && !uri.getRawQuery().isEmpty()) {
            for (String kv : uri.getRawQuery().split("&")) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("bad URI parameter '" + kv + "' in '" + uri + "'; expected key=value");
                }
                params.put(kv.substring(0, eq), java.net.URLDecoder.decode(kv.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return new CoordinatorUri(scheme, endpoints, namespace, params);
    }

    /** A duration parameter such as {@code connectTimeout=5s} or {@code 500ms}, or {@code fallback}. */
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
