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
    /** Shortest session TTL a caller may ask for: 100 ms. */
    public static final Duration MIN_TTL = Duration.ofMillis(100);
    /** Longest session TTL a caller may ask for: 1 hour. */
    public static final Duration MAX_TTL = Duration.ofHours(1);
    /** Longest timeout of a timed acquisition or campaign: 24 hours (the methods without a timeout wait without limit). */
    public static final Duration MAX_TIMEOUT = Duration.ofHours(24);
    private static final java.util.regex.Pattern NAMESPACE = java.util.regex.Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

    private Arguments() {
    }

    /**
     * A lock or election name: not null, not blank, at most 256 UTF-8 bytes.
     *
     * @param what what is named, for the message, e.g. {@code "fair lock"}
     * @param name the name to check
     * @return {@code name}, unchanged
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code name} is blank or longer than {@link #MAX_NAME_BYTES}
     */
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

    /**
     * A session TTL between {@link #MIN_TTL} and {@link #MAX_TTL}.
     *
     * @param ttl the TTL to check
     * @return {@code ttl}, unchanged
     * @throws NullPointerException     if {@code ttl} is null
     * @throws IllegalArgumentException if {@code ttl} is outside the range (both ends allowed)
     */
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

    /**
     * A wait timeout between zero (try once) and {@link #MAX_TIMEOUT}.
     *
     * @param timeout the timeout to check
     * @return {@code timeout}, unchanged
     * @throws NullPointerException     if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is negative or longer than {@link #MAX_TIMEOUT}
     */
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

    /**
     * An election value: not null, at most 4096 UTF-8 bytes (empty allowed).
     *
     * @param value the value to check
     * @return {@code value}, unchanged
     * @throws NullPointerException     if {@code value} is null
     * @throws IllegalArgumentException if {@code value} is longer than {@link #MAX_VALUE_BYTES}
     */
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
     * A group member's metadata: not null, at most 4096 UTF-8 bytes (empty allowed).
     *
     * @param metadata the metadata to check
     * @return {@code metadata}, unchanged
     * @throws NullPointerException     if {@code metadata} is null
     * @throws IllegalArgumentException if it is longer than {@link #MAX_VALUE_BYTES}
     */
    public static String metadata(String metadata) {
        if (metadata == null) {
            throw new NullPointerException("member metadata must not be null (use \"\" for none)");
        }
        int bytes = metadata.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("member metadata is " + bytes + " UTF-8 bytes long; at most "
                    + MAX_VALUE_BYTES + " are allowed");
        }
        return metadata;
    }

    /**
     * A semaphore's number of permits: between 1 and {@link io.coord.semaphore.Semaphore#MAX_PERMITS}.
     *
     * @param permits the number to check
     * @return {@code permits}, unchanged
     * @throws IllegalArgumentException if {@code permits} is out of range
     */
    public static int permits(int permits) {
        if (permits < 1 || permits > io.coord.semaphore.Semaphore.MAX_PERMITS) {
            throw new IllegalArgumentException("a semaphore has between 1 and " + io.coord.semaphore.Semaphore.MAX_PERMITS
                    + " permits (got " + permits + ")");
        }
        return permits;
    }

    /**
     * A namespace, the same rule on every backend (builders and URIs): up to 128 characters of
     * letters, digits, '.', '_', '-', in segments separated by '/', none of them "." or "..".
     *
     * @param namespace the namespace to check
     * @return {@code namespace}, unchanged
     * @throws IllegalArgumentException if {@code namespace} is null or breaks the rule
     */
    public static String namespace(String namespace) {
        if (namespace == null || namespace.length() > 128 || !NAMESPACE.matcher(namespace).matches()
                || ("/" + namespace + "/").contains("/./") || ("/" + namespace + "/").contains("/../")) {
            throw new IllegalArgumentException("bad namespace '" + namespace + "'; allowed: up to 128 characters of letters,"
                    + " digits, '.', '_', '-', in segments separated by '/', none of them '.' or '..'");
        }
        return namespace;
    }

    /**
     * A configuration duration (a builder's timeout or interval) within {@code [min, max]}.
     *
     * @param what what the duration bounds, for the message, e.g. {@code "connect timeout"}
     * @param d    the duration to check
     * @param min  the shortest allowed, inclusive
     * @param max  the longest allowed, inclusive
     * @return {@code d}, unchanged
     * @throws NullPointerException     if {@code d} is null
     * @throws IllegalArgumentException if {@code d} is outside {@code [min, max]}
     */
    public static Duration duration(String what, Duration d, Duration min, Duration max) {
        notNull(what, d);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new IllegalArgumentException(what + " " + describe(d) + " is out of range: allowed "
                    + describe(min) + " to " + describe(max));
        }
        return d;
    }

    /**
     * A listener or callback: not null.
     *
     * @param <T>   the value's type
     * @param what  what the value is, for the message, e.g. {@code "session listener"}
     * @param value the value to check
     * @return {@code value}, unchanged
     * @throws NullPointerException if {@code value} is null
     */
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
