package io.coord.testservers;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The JVM-wide side of the in-process ZooKeeper launchers' secure mode.
 *
 * <p>ZooKeeper's server reads its client-port TLS settings, its connection factory, enforced authentication and
 * the super user's digest from System properties (a {@code zoo.cfg} key it does not know becomes the System
 * property {@code zookeeper.<key>}), and the client reads TLS settings of the same names. In one JVM this cannot
 * be avoided for an in-process server, so this class keeps it contained:
 * <ul>
 *   <li>{@code zookeeper.DigestAuthenticationProvider.superDigest} is set once, at class initialisation, to the
 *       digest of a random password made for this JVM ({@link #superPassword()}); ZooKeeper reads it once, when its
 *       digest provider is first loaded by a server, and it gives nothing to a client that does not know the password.</li>
 *   <li>The server settings ({@link #serverProperties}) are set while at least one secure server is open and
 *       restored when the last one closes; they are read by ZooKeeper when a server object is made (enforced
 *       auth), when a connection factory is made, and at every TLS connection (key and trust stores). While they
 *       are set, a plain in-process server could not be started correctly (it would enforce authentication), so
 *       starting one is refused; and a secure server with other certificate files is refused too.</li>
 *   <li>Clients are unaffected as long as they set every TLS key in their own {@code ZKClientConfig}, which
 *       coord-zookeeper does; a client without {@code zookeeper.client.secure} ignores the {@code ssl} keys.</li>
 * </ul>
 */
final class ZooKeeperSecureMode {

    /** The super user's name (ZooKeeper's fixed name for the super digest). */
    static final String SUPER_USER = "super";
    private static final String SUPER_DIGEST_PROPERTY = "zookeeper.DigestAuthenticationProvider.superDigest";
    private static final char[] SUPER_PASSWORD;

    static {
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        if (System.getProperty(SUPER_DIGEST_PROPERTY) == null) {
            System.setProperty(SUPER_DIGEST_PROPERTY, SUPER_USER + ":" + digest(SUPER_USER + ":" + password));
            SUPER_PASSWORD = password.toCharArray();
        } else {
            SUPER_PASSWORD = null; // someone else set it: we do not know the password
        }
    }

    private static int secureOpen;
    private static int plainOpen;
    private static Map<String, String> active;
    private static final Map<String, String> saved = new HashMap<>();

    private ZooKeeperSecureMode() {
    }

    /** Forces class initialisation (the super digest) before any in-process server loads ZooKeeper's digest provider. */
    static void init() {
    }

    /** A copy of this JVM's super user password. */
    static char[] superPassword() {
        if (SUPER_PASSWORD == null) {
            throw new IllegalStateException(SUPER_DIGEST_PROPERTY + " was set before the launchers loaded; its password is unknown");
        }
        return SUPER_PASSWORD.clone();
    }

    /** The server-side System properties of secure mode for these certificate files. */
    static Map<String, String> serverProperties(Path keyStoreBundle, Path trustedCa) {
        Map<String, String> p = new HashMap<>();
        p.put("zookeeper.serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory");
        p.put("zookeeper.ssl.keyStore.location", keyStoreBundle.toAbsolutePath().toString());
        p.put("zookeeper.ssl.keyStore.type", "PEM");
        p.put("zookeeper.ssl.trustStore.location", trustedCa.toAbsolutePath().toString());
        p.put("zookeeper.ssl.trustStore.type", "PEM");
        p.put("zookeeper.ssl.clientAuth", "need");
        // client certificates carry no host name (they name a user); server certificates are still verified by clients
        p.put("zookeeper.ssl.clientHostnameVerification", "false");
        p.put("zookeeper.enforce.auth.enabled", "true");
        p.put("zookeeper.enforce.auth.schemes", "digest");
        return p;
    }

    /** Enters secure mode for one more server (setting the properties for the first one). */
    static synchronized void enterSecure(Map<String, String> properties) {
        if (plainOpen > 0) {
            throw new IllegalStateException("cannot start a secure in-process ZooKeeper while " + plainOpen
                    + " plain one(s) are open in this JVM (ZooKeeper's server settings are JVM-wide); close them first");
        }
        if (secureOpen > 0 && !properties.equals(active)) {
            throw new IllegalStateException("a secure in-process ZooKeeper with other certificate files is open in this JVM; close it first");
        }
        if (secureOpen == 0) {
            saved.clear();
            properties.forEach((k, v) -> {
                saved.put(k, System.getProperty(k));
                System.setProperty(k, v);
            });
            active = Map.copyOf(properties);
        }
        secureOpen++;
    }

    /** Leaves secure mode for one server (restoring the properties after the last one). */
    static synchronized void leaveSecure() {
        if (secureOpen == 0) {
            return;
        }
        if (--secureOpen == 0) {
            saved.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
            saved.clear();
            active = null;
        }
    }

    static synchronized void enterPlain() {
        if (secureOpen > 0) {
            throw new IllegalStateException("cannot start a plain in-process ZooKeeper while a secure one is open in this JVM"
                    + " (it would enforce authentication: ZooKeeper's server settings are JVM-wide); close it first");
        }
        plainOpen++;
    }

    static synchronized void leavePlain() {
        if (plainOpen > 0) {
            plainOpen--;
        }
    }

    /** ZooKeeper's digest of {@code user:password}: base64(SHA-1), as its DigestAuthenticationProvider computes it. */
    static String digest(String idPassword) {
        try {
            return Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-1")
                    .digest(idPassword.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
