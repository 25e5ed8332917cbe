package io.coord.examples.crontab;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A backend URI taken apart just enough to point a client at other servers:
 * {@code scheme://[userinfo@]host[:port][,host[:port]…]/namespace[?query]}. Only the endpoint list
 * is ever replaced; scheme, user info, path and query are kept byte for byte. Endpoints without a
 * port get the scheme's default (zookeeper 2181, etcd 2379, redis and rediss 6379). The backend
 * itself still validates the whole URI when the demo opens it.
 */
record BackendUri(String scheme, String userInfo, List<Endpoint> endpoints, String pathAndQuery) {

    private static final Map<String, Integer> DEFAULT_PORTS = Map.of(
            "zookeeper", 2181, "etcd", 2379, "redis", 6379, "rediss", 6379);

    /** One {@code host:port}; an IPv6 host is kept without its brackets. */
    record Endpoint(String host, int port) {

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    BackendUri {
        endpoints = List.copyOf(endpoints);
    }

    /** Parses {@code uri}; throws IllegalArgumentException saying what is wrong. */
    static BackendUri parse(String uri) {
        int schemeEnd = uri.indexOf("://");
        if (schemeEnd <= 0) {
            throw new IllegalArgumentException("backend URI '" + uri + "' has no scheme; expected e.g. etcd://host:port/namespace");
        }
        String scheme = uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        int authorityStart = schemeEnd + 3;
        int authorityEnd = authorityStart;
        while (authorityEnd < uri.length() && "/?#".indexOf(uri.charAt(authorityEnd)) < 0) {
            authorityEnd++;
        }
        String authority = uri.substring(authorityStart, authorityEnd);
        String userInfo = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
        }
        if (authority.isBlank()) {
            throw new IllegalArgumentException("backend URI '" + uri + "' names no server; expected "
                    + scheme + "://host:port[,host:port]/namespace");
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (String part : authority.split(",", -1)) {
            endpoints.add(endpoint(part.trim(), scheme, uri));
        }
        return new BackendUri(scheme, userInfo, endpoints, uri.substring(authorityEnd));
    }

    private static Endpoint endpoint(String hostPort, String scheme, String uri) {
        String host;
        String port = null;
        if (hostPort.startsWith("[")) {                   // [IPv6] or [IPv6]:port
            int close = hostPort.indexOf(']');
            if (close < 0 || (close + 1 < hostPort.length() && hostPort.charAt(close + 1) != ':')) {
                throw badEndpoint(hostPort, uri);
            }
            host = hostPort.substring(1, close);
            port = close + 1 < hostPort.length() ? hostPort.substring(close + 2) : null;
        } else {
            int colon = hostPort.indexOf(':');
            host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            port = colon < 0 ? null : hostPort.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw badEndpoint(hostPort, uri);
        }
        if (port == null) {
            Integer defaultPort = DEFAULT_PORTS.get(scheme);
            if (defaultPort == null) {
                throw new IllegalArgumentException("no default port for scheme '" + scheme + "': give host:port in '" + uri + "'");
            }
            return new Endpoint(host, defaultPort);
        }
        try {
            int p = Integer.parseInt(port);
            if (p >= 1 && p <= 65535) {
                return new Endpoint(host, p);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw badEndpoint(hostPort, uri);
    }

    private static IllegalArgumentException badEndpoint(String hostPort, String uri) {
        return new IllegalArgumentException("bad endpoint '" + hostPort + "' in backend URI '" + uri
                + "'; expected host or host:port (port 1 to 65535)");
    }

    /** True for a Redis URI that asks for cluster mode ({@code cluster=true} in its query). */
    boolean isRedisCluster() {
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            return false;
        }
        int q = pathAndQuery.indexOf('?');
        if (q < 0) {
            return false;
        }
        int hash = pathAndQuery.indexOf('#', q);
        String query = pathAndQuery.substring(q + 1, hash < 0 ? pathAndQuery.length() : hash);
        for (String kv : query.split("&")) {
            if (kv.equalsIgnoreCase("cluster=true")) {
                return true;
            }
        }
        return false;
    }

    /** The same URI with {@code replacement} as its endpoint list. */
    BackendUri withEndpoints(List<Endpoint> replacement) {
        return new BackendUri(scheme, userInfo, replacement, pathAndQuery);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(scheme).append("://");
        if (userInfo != null) {
            s.append(userInfo).append('@');
        }
        for (int i = 0; i < endpoints.size(); i++) {
            s.append(i == 0 ? "" : ",").append(endpoints.get(i));
        }
        return s.append(pathAndQuery).toString();
    }
}
