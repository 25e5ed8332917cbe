package io.coord.fencing;

import io.coord.spi.Arguments;
import java.nio.charset.StandardCharsets;

/**
 * The argument rules of every fence, and the one text form of a token in the key-value stores:
 * 19 decimal digits, zero-padded, so that byte order (etcd's value compare, Lua's string compare)
 * is numeric order for every {@code long > 0}.
 */
final class Tokens {
    static final int DIGITS = 19;

    private Tokens() {
    }

    /** The resource name rule of coord's lock and election names (not blank, at most 256 UTF-8 bytes). */
    static String resource(String resource) {
        return Arguments.name("fence resource", resource);
    }

    static long token(long token) {
        if (token <= 0) {
            throw new IllegalArgumentException("fencing token must be > 0 (a LockGrant's fencingToken(), a Leadership's"
                    + " term(), or a positive counter of your own); got " + token);
        }
        return token;
    }

    static byte[] encode(long token) {
        return String.format("%0" + DIGITS + "d", token).getBytes(StandardCharsets.US_ASCII);
    }

    /** Parses {@link #encode}'s form; anything else means the fence key was written by someone else. */
    static long decode(byte[] stored, String where) {
        String s = new String(stored, StandardCharsets.US_ASCII);
        if (s.length() != DIGITS || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalStateException(where + " holds \"" + s + "\", not a fencing token of " + DIGITS
                    + " digits: it was not written by coord-fencing");
        }
        return Long.parseLong(s);
    }
}
