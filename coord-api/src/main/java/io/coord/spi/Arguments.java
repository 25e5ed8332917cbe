package io.coord.spi;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The argument rules of coord's public API, checked at every entry point before anything is sent
 * to a server. Messages say what was wrong and what is allowed.
 */
public final class Arguments {

    /** Longest name of a lock or election, in UTF-8 bytes. */
    public static final int MAX_NAME_BYTES = 256;
    /** Longest election value, in UTF-8 bytes. */
    public static final int MAX_VALUE_BYTES = 4096;
    public static final Duration MIN_TTL = Duration.ofMillis(100);
    public static final Duration MAX_TTL = Duration.ofHours(1);
    public static final Duration MAX_TIMEOUT = Duration.ofHours(24);
    private static final java.util.regex.Pattern NAMESPACE = java.util.regex.Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

    private Arguments() {
    }

    /** A lock or election name: not null, not blank, at most 256 UTF-8 bytes. */
    public static String name(String what, String name) {
        if (name == null) {
            throw new NullPointerException(what + " name must not be null");
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException(what + " name must not be blank (got \"" + name + "\")");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_NAME_BYTES) {
            throw new IllegalArgumentException(what + " name is " + bytes + " UTF-8 bytes long; at most "
                    + MAX_NAME_BYTES + " are allowed");
        }
        return name;
    }

    /** A session TTL between {@link #MIN_TTL} and {@link #MAX_TTL}. */
    public static Duration ttl(Duration ttl) {
        if (ttl == null) {
            throw new NullPointerException("session TTL must not be null");
        }
        if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("session TTL " + describe(ttl) + " is out of range: allowed "
                    + describe(MIN_TTL) + " to " + describe(MAX_TTL));
        }
        return ttl;
    }

    /** A wait timeout between zero (try once) and {@link #MAX_TIMEOUT}. */
    public static Duration timeout(Duration timeout) {
        if (timeout == null) {
            throw new NullPointerException("timeout must not be null");
        }
        if (timeout.isNegative() || timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("timeout " + describe(timeout) + " is out of range: allowed 0 ms (try once) to "
                    + describe(MAX_TIMEOUT) + "; to wait without limit use the method without a timeout");
        }
        return timeout;
    }

    /** An election value: not null, at most 4096 UTF-8 bytes (empty allowed). */
    public static String value(String value) {
        if (value == null) {
            throw new NullPointerException("election value must not be null (use \"\" for none)");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("election value is " + bytes + " UTF-8 bytes long; at most "
                    + MAX_VALUE_BYTES + " are allowed");
        }
        return value;
    }

    /**
     * A namespace, the same rule on every backend (builders and URIs): up to 128 characters of
     * letters, digits, '.', '_', '-', in segments separated by '/', none of them "." or "..".
     */
    public static String namespace(String namespace) {
        if (namespace == null || namespace.length() > 128 || !NAMESPACE.matcher(namespace).matches()
                || ("/" + namespace + "/").contains("/./") || ("/" + namespace + "/").contains("/../")) {
            throw new IllegalArgumentException("bad namespace '" + namespace + "'; allowed: up to 128 characters of letters,"
                    + " digits, '.', '_', '-', in segments separated by '/', none of them '.' or '..'");
        }
        return namespace;
    }

    /** A configuration duration (a builder's timeout or interval) within {@code [min, max]}. */
    public static Duration duration(String what, Duration d, Duration min, Duration max) {
        notNull(what, d);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(what + " " + describe(d) + " is out of range: allowed "
                    + describe(min) + " to " + describe(max));
        }
        return d;
    }

    /** A listener or callback: not null. */
    public static <T> T notNull(String what, T value) {
        if (value == null) {
            throw new NullPointerException(what + " must not be null");
        }
        return value;
    }

    static String describe(Duration d) {
        if (d.isNegative()) {
            return "-" + describe(d.negated());
        }
        if (d.toMillis() < 1000 || d.toMillis() % 1000 != 0) {
            return d.toMillis() + " ms";
        }
        long s = d.getSeconds();
        if (s % 3600 == 0) {
            return (s / 3600) + (s == 3600 ? " hour" : " hours");
        }
        return s + " s";
    }
}
