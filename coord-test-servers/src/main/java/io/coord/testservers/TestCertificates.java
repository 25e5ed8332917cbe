package io.coord.testservers;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certificates for TLS tests, made at test time under a directory the test owns (nothing secret is committed):
 * a CA, a server certificate for {@code 127.0.0.1} and {@code localhost} valid for a day, client certificates
 * with a chosen common name (etcd maps the CN to a user), an expired client certificate, and a second CA that
 * signed none of them (trusting only it must fail). Keys are EC P-256 in unencrypted PKCS#8 PEM, files readable
 * by their owner only; every file is PEM, with the {@code *.bundle.pem} files holding a key and its certificate
 * together (ZooKeeper's PEM key store). Thread-safe.
 */
public final class TestCertificates {

    private static final Duration VALIDITY = Duration.ofDays(1);
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;
    private final KeyPair caKey;
    private final X500Name caName;
    private final List<String> privateKeys = new ArrayList<>();

    /**
     * One key and certificate, as files.
     *
     * @param certificate the certificate chain, PEM
     * @param key         the private key, unencrypted PKCS#8 PEM, readable by its owner only
     * @param bundle      the key and the certificate chain in one PEM file (ZooKeeper's PEM key store)
     */
    public record Pair(Path certificate, Path key, Path bundle) {
    }

    private TestCertificates(Path dir, KeyPair caKey, X500Name caName) {
        this.dir = dir;
        this.caKey = caKey;
        this.caName = caName;
    }

    /**
     * Makes a new CA (and a second, unrelated one) in {@code dir}, created if absent.
     *
     * @param dir the directory the files are written to (the test's own temporary directory)
     * @return the certificates, the CA and server certificate already written
     * @throws java.io.UncheckedIOException if the files cannot be written
     */
    public static TestCertificates create(Path dir) {
        try {
            Files.createDirectories(dir);
            KeyPair ca = newKey();
            X500Name name = new X500Name("CN=coord test CA " + SERIAL.incrementAndGet());
            TestCertificates certs = new TestCertificates(dir, ca, name);
            certs.write("ca.pem", pem("CERTIFICATE", certs.sign(name, ca, name, ca, Instant.now(), true, List.of(), null)));
            KeyPair other = newKey();
            X500Name otherName = new X500Name("CN=coord unrelated CA " + SERIAL.incrementAndGet());
            certs.write("other-ca.pem", pem("CERTIFICATE", certs.sign(otherName, other, otherName, other, Instant.now(), true, List.of(), null)));
            certs.server = certs.issue("server", "127.0.0.1", Instant.now(), KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth);
            return certs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Pair server;

    /**
     * The CA's certificate (PEM): trust it to verify the servers, and servers trust it to verify clients.
     *
     * @return the path of {@code ca.pem}
     */
    public Path caCertificate() {
        return dir.resolve("ca.pem");
    }

    /**
     * A CA certificate that signed nothing here: a client trusting only it must refuse every server.
     *
     * @return the path of {@code other-ca.pem}
     */
    public Path unrelatedCaCertificate() {
        return dir.resolve("other-ca.pem");
    }

    /**
     * The servers' certificate (also usable as a client certificate between cluster members): {@code 127.0.0.1}, {@code localhost}.
     *
     * @return the server certificate's files, made by {@link #create}
     */
    public Pair server() {
        return server;
    }

    /**
     * A new client certificate with common name {@code commonName}, valid for a day.
     *
     * @param commonName the certificate's subject common name (etcd's user name for certificate logins)
     * @return the new files (each call makes a new key)
     */
    public Pair client(String commonName) {
        return issue(commonName, null, Instant.now(), KeyPurposeId.id_kp_clientAuth);
    }

    /**
     * A client certificate with common name {@code commonName} whose validity ended yesterday.
     *
     * @param commonName the certificate's subject common name (etcd's user name for certificate logins)
     * @return the new files (each call makes a new key)
     */
    public Pair expiredClient(String commonName) {
        return issue(commonName, null, Instant.now().minus(VALIDITY.multipliedBy(2)), KeyPurposeId.id_kp_clientAuth);
    }

    /**
     * The PEM text of every private key made so far: none may appear in a message or a log line.
     *
     * @return the PEM texts, for asserting that logs and messages never contain one
     */
    public synchronized List<String> privateKeyTexts() {
        return List.copyOf(privateKeys);
    }

    private synchronized Pair issue(String commonName, String ip, Instant notBefore, KeyPurposeId... purposes) {
        KeyPair key = newKey();
        List<GeneralName> names = new ArrayList<>();
        if (ip != null) {
            names.add(new GeneralName(GeneralName.iPAddress, ip));
            names.add(new GeneralName(GeneralName.dNSName, "localhost"));
        }
        String file = commonName.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + SERIAL.incrementAndGet();
        String cert = pem("CERTIFICATE", sign(new X500Name("CN=" + commonName), key, caName, caKey, notBefore, false, names, purposes));
        String keyPem = pem("PRIVATE KEY", key.getPrivate().getEncoded());
        privateKeys.add(keyPem);
        Path c = write(file + ".crt.pem", cert);
        Path k = write(file + ".key.pem", keyPem);
        Path b = write(file + ".bundle.pem", keyPem + cert);
        return new Pair(c, k, b);
    }

    private byte[] sign(X500Name subject, KeyPair subjectKey, X500Name issuer, KeyPair issuerKey, Instant notBefore,
                        boolean ca, List<GeneralName> names, KeyPurposeId[] purposes) {
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                    Date.from(notBefore.minus(Duration.ofMinutes(5))), Date.from(notBefore.plus(VALIDITY)), subject, subjectKey.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
            }
            if (!names.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate());
            X509CertificateHolder holder = b.build(signer);
            return holder.getEncoded();
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a test certificate for " + subject, e);
        }
    }

    private static KeyPair newKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no EC P-256 key generator in this JVM", e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private Path write(String name, String text) {
        Path p = dir.resolve(name);
        try {
            Files.writeString(p, text, StandardCharsets.US_ASCII);
            try {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // the temp dir is the test's own
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
