package io.coord.testservers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test certificates are what TLS tests rely on: chained to the CA, naming loopback, expired where asked, keys private. */
class TestCertificatesTest {

    @TempDir
    Path dir;

    @Test
    void serverAndClientCertificatesChainToTheCaAndTheUnrelatedCaSignedNothing() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        X509Certificate ca = read(certs.caCertificate());
        X509Certificate server = read(certs.server().certificate());
        X509Certificate client = read(certs.client("coord-app").certificate());
        X509Certificate unrelated = read(certs.unrelatedCaCertificate());

        server.verify(ca.getPublicKey());
        client.verify(ca.getPublicKey());
        server.checkValidity();
        client.checkValidity();
        assertThatThrownBy(() -> server.verify(unrelated.getPublicKey())).isInstanceOf(SignatureException.class);
        assertThat(server.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1)))).contains("127.0.0.1", "localhost");
        assertThat(client.getSubjectX500Principal().getName()).isEqualTo("CN=coord-app");
        assertThat(ca.getBasicConstraints()).as("the CA may sign").isGreaterThanOrEqualTo(0);
        assertThat(server.getBasicConstraints()).as("a leaf may not").isEqualTo(-1);
    }

    @Test
    void anExpiredClientCertificateIsExpiredAndKeysMatchTheirCertificatesAndAreOwnerOnly() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        TestCertificates.Pair expired = certs.expiredClient("late");
        assertThatThrownBy(() -> read(expired.certificate()).checkValidity()).isInstanceOf(CertificateExpiredException.class);

        TestCertificates.Pair pair = certs.client("signer");
        String pem = Files.readString(pair.key());
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der)));
        s.update(new byte[] {1, 2, 3});
        byte[] signature = s.sign();
        s.initVerify(read(pair.certificate()).getPublicKey());
        s.update(new byte[] {1, 2, 3});
        assertThat(s.verify(signature)).as("the key belongs to its certificate").isTrue();

        assertThat(Files.readString(pair.bundle())).contains("BEGIN PRIVATE KEY", "BEGIN CERTIFICATE");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pair.key()))).isEqualTo("rw-------");
        assertThat(certs.privateKeyTexts()).contains(pem).hasSize(3); // server, expired client, client
    }

    private static X509Certificate read(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            List<?> all = List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            return (X509Certificate) all.get(0);
        }
    }
}
