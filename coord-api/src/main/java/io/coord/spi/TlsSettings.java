package io.coord.spi;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Optional;

/**
 * How a coordinator connects over TLS, the same on every backend: the server is verified against the PEM CA
 * certificates in {@code trustedCertificates} (or, when absent, the JVM's default trust store), and the client
 * presents {@code clientCertificate} with its private key {@code clientKey} when both are given (mutual TLS).
 * Host names are verified: the server's certificate must name the host (or IP address) of the endpoint.
 *
 * <p>Only paths are held, never key material; {@link #toString()} shows the paths. The files are checked when
 * the setting is made (readable, PEM, a private key in unencrypted PKCS#8 form) so a mistake is reported at the
 * builder, naming the file and what is allowed, never its content.
 *
 * @param trustedCertificates PEM file of the CA certificates to trust, or {@code null} for the JVM's defaults
 * @param clientCertificate   PEM file of the client's certificate chain, or {@code null} for no client certificate
 * @param clientKey           PEM file of the client's private key (PKCS#8, {@code BEGIN PRIVATE KEY}), with {@code clientCertificate}
 */
public record TlsSettings(Path trustedCertificates, Path clientCertificate, Path clientKey) {

    /** TLS with the JVM's default trust store and no client certificate. */
    public static final TlsSettings DEFAULT_TRUST = new TlsSettings(null, null, null);

    /**
     * Checks the files now, naming the file and what is allowed (never its content).
     *
     * @param trustedCertificates PEM file of the CA certificates to trust, or {@code null} for the JVM's defaults
     * @param clientCertificate   PEM file of the client's certificate chain, or {@code null} for no client certificate
     * @param clientKey           PEM file of the client's private key, given exactly when {@code clientCertificate} is
     * @throws IllegalArgumentException if only one of {@code clientCertificate} and {@code clientKey} is given, or a
     *                                  file is missing, unreadable, or holds no certificate or no unencrypted PKCS#8 key
     */
    public TlsSettings {
        if ((clientCertificate == null) != (clientKey == null)) {
            throw new IllegalArgumentException("a client certificate needs its private key and a key its certificate; got certificate "
                    + clientCertificate + " and key " + clientKey);
        }
        if (trustedCertificates != null) {
            checkCertificates("trusted CA certificates", trustedCertificates);
        }
        if (clientCertificate != null) {
            checkCertificates("client certificate", clientCertificate);
            checkPrivateKey(clientKey);
        }
    }

    /**
     * The CA certificates to trust.
     *
     * @return the PEM file, or empty for the JVM's default trust store
     */
    public Optional<Path> trusted() {
        return Optional.ofNullable(trustedCertificates);
    }

    /**
     * Whether the client presents a certificate (mutual TLS).
     *
     * @return true if {@link #clientCertificate()} and {@link #clientKey()} are set
     */
    public boolean hasClientCertificate() {
        return clientCertificate != null;
    }

    /**
     * This setting with the CA certificates of {@code file} trusted instead.
     *
     * @param file PEM file of the CA certificates; checked now
     * @return a new setting (this one is immutable)
     * @throws IllegalArgumentException if {@code file} is unreadable or holds no certificate
     */
    public TlsSettings trusting(Path file) {
        return new TlsSettings(file, clientCertificate, clientKey);
    }

    /**
     * This setting presenting {@code certificate} and {@code key}.
     *
     * @param certificate PEM file of the client's certificate chain; checked now
     * @param key         PEM file of its unencrypted PKCS#8 private key; checked now
     * @return a new setting (this one is immutable)
     * @throws IllegalArgumentException if only one is given, or a file is unreadable or of the wrong form
     */
    public TlsSettings presenting(Path certificate, Path key) {
        return new TlsSettings(trustedCertificates, certificate, key);
    }

    private static void checkCertificates(String what, Path file) {
        readable(what, file);
        try (InputStream in = Files.newInputStream(file)) {
            if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
                throw new IllegalArgumentException(what + " file " + file + " holds no certificate; expected PEM (-----BEGIN CERTIFICATE-----)");
            }
        } catch (CertificateException e) {
            throw new IllegalArgumentException(what + " file " + file + " is not a PEM or DER X.509 certificate file", null);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + what + " file " + file + ": " + e.getMessage(), null);
        }
    }

    private static void checkPrivateKey(Path file) {
        readable("client private key", file);
        String head;
        try {
            head = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read client private key file " + file + ": " + e.getMessage(), null);
        }
        if (!head.contains("-----BEGIN PRIVATE KEY-----")) { // never echo the content: it is the secret
            throw new IllegalArgumentException("client private key file " + file + " is not an unencrypted PKCS#8 PEM key; allowed: "
                    + "-----BEGIN PRIVATE KEY----- (convert with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)");
        }
    }

    private static void readable(String what, Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(what + " file " + file + " does not exist or is not a readable file");
        }
    }
}
