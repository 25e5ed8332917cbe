package io.coord.spi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Maps any legal name to one safe key segment for every backend: bytes of
 * {@code [A-Za-z0-9_-]} stay as they are, every other UTF-8 byte becomes {@code %XX}. The result
 * never contains '/', '.', '*', '{', '}', spaces or non-ASCII characters, so it is a valid
 * ZooKeeper node name, cannot escape an etcd prefix, and cannot break a Redis {hashtag}. The
 * mapping is injective: two different names never share a key.
 */
public final class NameEncoding {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private NameEncoding() {
    }

    /**
     * Encodes a name as one key segment.
     *
     * @param name any string, not null
     * @return the segment: {@code [A-Za-z0-9_-]} bytes as they are, every other UTF-8 byte as {@code %XX} (upper-case hex)
     */
    public static String encode(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 8);
        for (byte b : bytes) {
            int c = b & 0xff;
            boolean plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            if (plain) {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }

    /**
     * The inverse of {@link #encode(String)}.
     *
     * @param segment a segment produced by {@link #encode(String)}; for other text the result is unspecified
     * @return the name that was encoded
     */
    public static String decode(String segment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '%' && i + 2 < segment.length()) {
                out.write(Integer.parseInt(segment.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
