package io.coord.testservers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Talks to one etcd endpoint through its HTTP/JSON gateway (etcd 3.4 {@code /v3/...}), without
 * jetcd: health, member status (member id, leader id), and simple key operations for tests and
 * keyspace hygiene checks. Every call is bounded by the timeout it is given; the probes
 * ({@link #isHealthy}, {@link #status}) never throw, they report "unhealthy"/empty instead.
 */
public final class EtcdHttp {
    private static final Pattern MEMBER_ID = Pattern.compile("\"member_id\"\\s*:\\s*\"?(\\d+)");
    private static final Pattern LEADER = Pattern.compile("\"leader\"\\s*:\\s*\"?(\\d+)");
    private static final Pattern RAFT_TERM = Pattern.compile("\"raft_term\"\\s*:\\s*\"?(\\d+)");
    private static final Pattern REVISION = Pattern.compile("\"revision\"\\s*:\\s*\"?(\\d+)");
    private static final Pattern VALUE = Pattern.compile("\"value\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern COUNT = Pattern.compile("\"count\"\\s*:\\s*\"?(\\d+)");

    /**
     * What {@code /v3/maintenance/status} says about one member.
     *
     * @param memberId this member's id (decimal, as etcd prints it)
     * @param leaderId the id of the leader this member knows, "0" when it knows none
     * @param raftTerm the member's raft term
     * @param revision the store revision
     */
    public record Status(String memberId, String leaderId, long raftTerm, long revision) {
        /**
         * True when this member currently is the leader.
         *
         * @return true if this member knows a leader and it is this member
         */
        public boolean isLeader() {
            return !"0".equals(leaderId) && leaderId.equals(memberId);
        }

        /**
         * True when this member knows a leader.
         *
         * @return true if {@code leaderId} is not {@code "0"}
         */
        public boolean hasLeader() {
            return !"0".equals(leaderId);
        }
    }

    private EtcdHttp() {
    }

    /**
     * True when {@code GET /health} answers {@code "health":"true"} within {@code timeout}.
     *
     * @param endpoint a client URL, e.g. {@code http://127.0.0.1:23790}
     * @param timeout bound of the whole request
     * @return true if healthy; false on any other answer, an error or a timeout (never throws)
     */
    public static boolean isHealthy(String endpoint, Duration timeout) {
        try {
            LoopbackHttp.Response r = LoopbackHttp.request("GET", uri(endpoint, "/health"), null, timeout);
            return r.status() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * True when the member's {@code GET /metrics} (plain HTTP: a client URL without TLS, or a metrics URL) reports
     * {@code etcd_server_is_leader 1} within {@code timeout}; false otherwise, never throws.
     *
     * @param endpoint a plain-HTTP client URL or metrics URL of one member
     * @param timeout bound of the whole request
     * @return true if the member reports itself leader
     */
    public static boolean isLeaderByMetrics(String endpoint, Duration timeout) {
        try {
            LoopbackHttp.Response r = LoopbackHttp.request("GET", uri(endpoint, "/metrics"), null, timeout);
            return r.status() == 200 && r.body().lines().anyMatch(l -> l.trim().equals("etcd_server_is_leader 1"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The member's status, or empty when it does not answer within {@code timeout}.
     *
     * @param endpoint a client URL, e.g. {@code http://127.0.0.1:23790}
     * @param timeout bound of the whole request
     * @return the status, or empty on an error, a timeout or an answer without a member id (never throws)
     */
    public static Optional<Status> status(String endpoint, Duration timeout) {
        try {
            LoopbackHttp.Response r = LoopbackHttp.request("POST", uri(endpoint, "/v3/maintenance/status"), "{}", timeout);
            if (r.status() != 200) {
                return Optional.empty();
            }
            String body = r.body();
            Optional<String> member = find(MEMBER_ID, body);
            if (member.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Status(member.get(), find(LEADER, body).orElse("0"),
                    Long.parseLong(find(RAFT_TERM, body).orElse("0")), Long.parseLong(find(REVISION, body).orElse("0"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Puts {@code key = value} (UTF-8); throws {@link UncheckedIOException} on any failure.
     *
     * @param endpoint a client URL, e.g. {@code http://127.0.0.1:23790}
     * @param key the key (UTF-8)
     * @param value the value (UTF-8)
     * @param timeout bound of the whole request
     * @throws UncheckedIOException if the request fails, times out or etcd answers other than HTTP 200
     */
    public static void put(String endpoint, String key, String value, Duration timeout) {
        String body = "{\"key\":\"" + b64(key) + "\",\"value\":\"" + b64(value) + "\"}";
        call(endpoint, "/v3/kv/put", body, timeout);
    }

    /**
     * Reads {@code key} (linearizable); empty when absent; throws {@link UncheckedIOException} on failure.
     *
     * @param endpoint a client URL, e.g. {@code http://127.0.0.1:23790}
     * @param key the key (UTF-8)
     * @param timeout bound of the whole request
     * @return the value decoded as UTF-8, or empty if the key is absent
     * @throws UncheckedIOException if the request fails, times out or etcd answers other than HTTP 200
     */
    public static Optional<String> get(String endpoint, String key, Duration timeout) {
        String resp = call(endpoint, "/v3/kv/range", "{\"key\":\"" + b64(key) + "\"}", timeout);
        return find(VALUE, resp).map(v -> new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
    }

    /**
     * Counts keys starting with {@code prefix} (an empty prefix counts every key).
     *
     * @param endpoint a client URL, e.g. {@code http://127.0.0.1:23790}
     * @param prefix the key prefix (UTF-8), or empty for the whole keyspace
     * @param timeout bound of the whole request
     * @return how many keys the range holds (a count-only read: values are not transferred)
     * @throws UncheckedIOException if the request fails, times out or etcd answers other than HTTP 200
     */
    public static long countPrefix(String endpoint, String prefix, Duration timeout) {
        byte[] start = prefix.isEmpty() ? new byte[] {0} : prefix.getBytes(StandardCharsets.UTF_8);
        String end = prefix.isEmpty() ? b64(new byte[] {0}) : b64(prefixEnd(start));
        String resp = call(endpoint, "/v3/kv/range",
                "{\"key\":\"" + b64(start) + "\",\"range_end\":\"" + end + "\",\"count_only\":true}", timeout);
        return Long.parseLong(find(COUNT, resp).orElse("0"));
    }

    private static String call(String endpoint, String path, String body, Duration timeout) {
        try {
            LoopbackHttp.Response r = LoopbackHttp.request("POST", uri(endpoint, path), body, timeout);
            if (r.status() != 200) {
                throw new IOException("HTTP " + r.status() + " from " + endpoint + path + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException("etcd gateway call " + path + " on " + endpoint + " failed", e);
        }
    }

    private static URI uri(String endpoint, String path) {
        String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
        return URI.create(base + path);
    }

    private static Optional<String> find(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static String b64(String s) {
        return b64(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    /** etcd's "prefix end": the key after every key starting with {@code prefix}. */
    private static byte[] prefixEnd(byte[] prefix) {
        byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                byte[] out = new byte[i + 1];
                System.arraycopy(end, 0, out, 0, i + 1);
                return out;
            }
        }
        return new byte[] {0};
    }
}
