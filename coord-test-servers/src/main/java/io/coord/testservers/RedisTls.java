package io.coord.testservers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS for the kit's Redis launchers: the server listens on a TLS port only ({@code --port 0 --tls-port P}), with the
 * {@link TestCertificates#server()} certificate, trusts clients signed by the test CA and requires them to present a
 * certificate ({@code --tls-auth-clients yes}); cluster bus and replication links use TLS too when the launcher asks
 * ({@link #clusterArgs()}, {@link #replicationArgs()}). The kit's own RESP connections ({@link RespConnection}) trust
 * the test CA, verify the server's host name, and present {@link #adminClient()}; coordinators get
 * {@link #coordClient()} through {@link #coordParameters()}. Holds paths only, never key text. Immutable.
 */
public final class RedisTls {

    private final TestCertificates certificates;
    private final TestCertificates.Pair admin;
    private final TestCertificates.Pair coord;
    private final SSLSocketFactory sockets;

    private RedisTls(TestCertificates certificates) {
        this.certificates = Objects.requireNonNull(certificates, "certificates");
        this.admin = certificates.client("coord-kit-admin");
        this.coord = certificates.client("coord-client");
        this.sockets = socketFactory(certificates.caCertificate(), admin);
    }

    /**
     * TLS with the CA and server certificate of {@code certificates} (made by the caller, under its temp dir).
     *
     * @param certificates the test CA and certificates; client certificates for the kit and for coordinators are made from them now
     * @return the TLS setting
     * @throws NullPointerException if {@code certificates} is null
     */
    public static RedisTls of(TestCertificates certificates) {
        return new RedisTls(certificates);
    }

    /**
     * The certificates behind this setting.
     *
     * @return the certificates given to {@link #of}
     */
    public TestCertificates certificates() {
        return certificates;
    }

    /**
     * The client certificate the kit's RESP connections present.
     *
     * @return the kit's client certificate and key (PEM paths)
     */
    public TestCertificates.Pair adminClient() {
        return admin;
    }

    /**
     * The client certificate {@link #coordParameters()} names, for coordinators.
     *
     * @return the coordinators' client certificate and key (PEM paths)
     */
    public TestCertificates.Pair coordClient() {
        return coord;
    }

    /**
     * {@code caFile=…&certFile=…&keyFile=…}: the coord URI parameters trusting the test CA and presenting {@link #coordClient()}.
     *
     * @return the query parameters, without the leading {@code ?}; file paths only, no key text
     */
    public String coordParameters() {
        return "caFile=" + certificates.caCertificate() + "&certFile=" + coord.certificate() + "&keyFile=" + coord.key();
    }

    /** The redis-server arguments serving TLS only on {@code port} (the plain port is off) and requiring client certificates. */
    List<String> serverArgs(int port) {
        TestCertificates.Pair server = certificates.server();
        return List.of("--port", "0", "--tls-port", Integer.toString(port),
                "--tls-cert-file", server.certificate().toString(),
                "--tls-key-file", server.key().toString(),
                "--tls-ca-cert-file", certificates.caCertificate().toString(),
                "--tls-auth-clients", "yes");
    }

    /** The arguments putting the cluster bus (and replication inside a cluster) on TLS. */
    static List<String> clusterArgs() {
        return List.of("--tls-cluster", "yes", "--tls-replication", "yes");
    }

    /** The arguments making a replica connect to its primary over TLS (presenting the server certificate). */
    static List<String> replicationArgs() {
        return List.of("--tls-replication", "yes");
    }

    /** Sockets that trust the test CA and present {@link #adminClient()}. */
    SSLSocketFactory socketFactory() {
        return sockets;
    }

    private static SSLSocketFactory socketFactory(Path ca, TestCertificates.Pair client) {
        try {
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            try (InputStream in = Files.newInputStream(ca)) {
                for (Certificate c : x509.generateCertificates(in)) {
                    trust.setCertificateEntry("ca-" + i++, c);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);

            List<Certificate> chain = new ArrayList<>();
            try (InputStream in = Files.newInputStream(client.certificate())) {
                chain.addAll(x509.generateCertificates(in));
            }
            String pem = Files.readString(client.key(), StandardCharsets.US_ASCII);
            String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
            char[] none = new char[0];
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", key, none, chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, none);

            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the test certificates", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a TLS context from the test certificates (" + e.getClass().getSimpleName() + ")", null);
        }
    }

    @Override
    public String toString() {
        return "RedisTls[ca " + certificates.caCertificate() + "]";
    }
}
