package io.coord.fencing;

import io.coord.spi.NameEncoding;
import java.nio.charset.StandardCharsets;

/**
 * Where each key-value fence keeps a resource's token and value ({@code P} = the prefix or root
 * given to the fence, {@code r} = the resource name, {@code enc(r)} = {@link NameEncoding}):
 *
 * <pre>
 * store      token (19 digits, see Tokens)   value (the caller's bytes)   default P
 * Redis      P{r}:token                      P{r}:value                   coord:fence:
 * etcd       P token/r                       P value/r                    coord/fence/
 * ZooKeeper  P/enc(r)                        P/enc(r)/value               /coord/fence
 * </pre>
 *
 * Redis: both keys carry the hash tag {@code {r}}, so they share a Cluster slot (the tag ends at
 * the first '}', which is the same place in both keys). Different resources never share a key in
 * any store, and a token key is never a value key.
 */
final class FenceKeys {
    static final String REDIS_PREFIX = "coord:fence:";
    static final String ETCD_PREFIX = "coord/fence/";
    static final String ZOOKEEPER_ROOT = "/coord/fence";

    private FenceKeys() {
    }

    static byte[] redisToken(String prefix, String resource) {
        return utf8(prefix + "{" + resource + "}:token");
    }

    static byte[] redisValue(String prefix, String resource) {
        return utf8(prefix + "{" + resource + "}:value");
    }

    static byte[] etcdToken(String prefix, String resource) {
        return utf8(prefix + "token/" + resource);
    }

    static byte[] etcdValue(String prefix, String resource) {
        return utf8(prefix + "value/" + resource);
    }

    static String zkToken(String root, String resource) {
        return root + "/" + NameEncoding.encode(resource);
    }

    static String zkValue(String root, String resource) {
        return zkToken(root, resource) + "/value";
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
