package io.coord.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS on the shared builder: what the setters and URI parameters set, and how a bad file is refused (never shown). */
class TlsSettingsTest {

    @TempDir
    static Path dir;
    static Path cert;
    static Path key;
    static String keyText;

    /** A self-signed certificate and its PKCS#8 key, made with the JDK's keytool (nothing committed). */
    @BeforeAll
    static void makeCertificate() throws Exception {
        Path store = dir.resolve("t.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-alias", "t",
                "-keyalg", "EC", "-dname", "CN=tls-settings-test", "-validity", "1").inheritIO().start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool made the test certificate");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        cert = write("cert.pem", pem("CERTIFICATE", ks.getCertificate("t").getEncoded()));
        keyText = pem("PRIVATE KEY", ks.getKey("t", "changeit".toCharArray()).getEncoded());
        key = write("key.pem", keyText);
    }

    @Test
    void settersAndUriParametersTurnTlsOn() {
        var b = new CoordinatorBuilderTest.ProbeBuilder();
        assertEquals(Optional.empty(), b.configuredTls(), "plain text by default");
        assertEquals(Optional.of(TlsSettings.DEFAULT_TRUST), b.uri("probe://a/ns?tls=true").configuredTls());
        assertEquals(Optional.empty(), b.tls(false).configuredTls());

        TlsSettings viaUri = new CoordinatorBuilderTest.ProbeBuilder()
                .uri("probe://a/ns?caFile=" + cert + "&certFile=" + cert + "&keyFile=" + key).configuredTls().orElseThrow();
        assertEquals(new TlsSettings(cert, cert, key), viaUri);
        TlsSettings viaSetters = new CoordinatorBuilderTest.ProbeBuilder().clientCertificate(cert, key).trustedCertificates(cert)
                .configuredTls().orElseThrow();
        assertEquals(viaUri, viaSetters);
        assertTrue(new CoordinatorBuilderTest.ProbeBuilder().trustedCertificates(cert).toString().contains(cert.toString()));
    }

    @Test
    void refusesBadFilesNamingTheFileNeverItsContent() throws IOException {
        var b = new CoordinatorBuilderTest.ProbeBuilder();
        assertMessage(() -> b.trustedCertificates(dir.resolve("absent.pem")), "does not exist or is not a readable file");
        assertMessage(() -> b.trustedCertificates(key), "is not a PEM or DER X.509 certificate file");
        Path wrongKind = write("rsa.pem", keyText.replace("PRIVATE KEY", "EC PRIVATE KEY"));
        String m = assertMessage(() -> b.clientCertificate(cert, wrongKind), "not an unencrypted PKCS#8 PEM key");
        String body = keyText.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        assertFalse(m.contains(body), "the key's content is never shown");
        assertMessage(() -> b.uri("probe://a/ns?certFile=" + cert), "certFile and keyFile go together");
        assertMessage(() -> b.uri("probe://a/ns?tls=yes"), "tls must be true or false");
        assertMessage(() -> b.uri("probe://a/ns?tls=false&caFile=" + cert), "contradicts");
        assertMessage(() -> new TlsSettings(null, cert, null), "needs its private key");
    }

    private static String assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        String message = assertThrows(IllegalArgumentException.class, call).getMessage();
        assertTrue(message.contains(expected), message);
        return message;
    }

    private static Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.US_ASCII);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
