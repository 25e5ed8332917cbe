package io.coord.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of the backend ({@code src/main/resources/io/coord/redis/*.lua}; each file's
 * header says why it is safe). Loaded once per server with {@code SCRIPT LOAD} and called by SHA-1
 * with {@code EVALSHA}; each body starts with {@code prelude.lua} (the counter's floored increment); a {@code NOSCRIPT} answer (server restarted, failover, new cluster node)
 * falls back to one {@code EVAL}, which also caches the script again.
 */
enum RedisScript {
    /** Enqueue a member (idempotent) or re-check its place; returns {status, ticket, head, predecessor}. */
    ENQUEUE("enqueue.lua"),
    /** Remove a member (release, abandon, resign, evict) and notify only the entries it grants. */
    REMOVE("remove.lua"),
    /** Replace the leader's value, guarded by the leader's member. */
    PROCLAIM("proclaim.lua"),
    /** Read head, ticket, value and version. */
    READ("read.lua"),
    /** A granted semaphore entry claims the lowest free slot; returns {slot, token}. */
    CLAIM("claim.lua"),
    /** Read a group's members and revision. */
    MEMBERS("members.lua"),
    /** Join a group (or find this session's earlier join); replaces a holder only if named dead. */
    JOIN("join.lua"),
    /** Replace a member's metadata, guarded by its session and join token. */
    UPDATE("update.lua"),
    /** Remove a member (leave, session end, eviction), guarded by its session (and join token). */
    LEAVE("leave.lua");

    private final String body;

    private static String read(String file) {
        try (InputStream in = RedisScript.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("coord-redis script " + file + " missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
    private final String sha;

    RedisScript(String file) {
        this.body = Prelude.TEXT + read(file);
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(body.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code prelude.lua}, prepended to every script (a holder: enum constants initialise first). */
    private static final class Prelude {
        static final String TEXT = read("prelude.lua");
    }

    public String body() {
        return body;
    }

    /** The SHA-1 Redis knows the script by. */
    public String sha() {
        return sha;
    }
}
