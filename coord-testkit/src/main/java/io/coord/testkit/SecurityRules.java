package io.coord.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.AuthenticationException;
import io.coord.BackendUnavailableException;
import io.coord.CoordException;
import io.coord.Coordinator;
import io.coord.LossReason;
import io.coord.Session;
import io.coord.SessionState;
import io.coord.lock.LockGrant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Security rules, run against a server with TLS and authentication on ({@link SecureKitBackend}): wrong or missing
 * credentials, an untrusted or expired certificate and plain text to a TLS port fail fast with a typed error that
 * names the backend and endpoint and no secret; an ACL denial mid-session is reported instead of hanging; the
 * server (not only a key prefix) keeps one namespace's identity out of another's data; and no secret appears in a
 * message, a log line, a {@code toString()} or a thread name.
 */
public abstract class SecurityRules extends Scenario {

    private final Supplier<SecureKitBackend> secure;

    /**
     * These rules against the secure backend {@code backend} supplies (see {@link Scenario#Scenario}).
     *
     * @param backend called before each scenario
     */
    protected SecurityRules(Supplier<SecureKitBackend> backend) {
        super(backend::get);
        this.secure = backend;
    }

    @Test
    void aWrongPasswordIsRefused() {
        assertThat(refused(() -> secure.get().openWithWrongPassword(namespace))).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void missingCredentialsAreRefused() {
        assertThat(refused(() -> secure.get().openWithoutCredentials(namespace))).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void aServerCertificateFromAnotherCaIsRefused() {
        CoordException e = refused(() -> secure.get().openTrustingAnotherCa(namespace));
        assertThat(e).isInstanceOf(AuthenticationException.class);
        assertThat(e.getMessage()).as("says the server's certificate was not trusted").containsIgnoringCase("certificate");
    }

    @Test
    void anExpiredClientCertificateIsRefused() {
        CoordException e = refused(() -> secure.get().openWithExpiredClientCertificate(namespace));
        assertThat(e).isInstanceOf(AuthenticationException.class);
        assertThat(e.getMessage()).containsIgnoringCase("certificate");
    }

    @Test
    void plainTextToATlsPortFailsClearly() {
        CoordException e = refused(() -> secure.get().openInPlainText(namespace));
        assertThat(e).isInstanceOfAny(AuthenticationException.class, BackendUnavailableException.class);
        assertThat(e.getMessage()).as("points at TLS").containsIgnoringCase("TLS");
    }

    @Test
    void anotherNamespacesIdentityIsRefusedByTheServer() throws Exception {
        String other = namespace + "-b";
        Coordinator owner = adopt(secure.get().open(other));
        try (Session session = owner.openSession(backend.longTtl())) {
            LockGrant held = session.lock(unique("isolated")).acquire();
            session.fairLock(unique("isolated")).acquire();
            session.election(unique("isolated")).campaign("b");

            Map<String, Boolean> attempts = secure.get().rawAccess(namespace, other);
            assertThat(attempts).as("a raw client tried reads, writes and deletes").hasSizeGreaterThanOrEqualTo(3);
            assertThat(attempts).as("the server allowed none of them").doesNotContainValue(true);
            assertThat(refused(() -> secure.get().openAs(namespace, other)))
                    .as("coord logged in as %s on namespace %s", namespace, other).isInstanceOf(AuthenticationException.class);
            assertThat(held.isHeld()).as("nothing of %s was touched", other).isTrue();
        }
        await().untilAsserted(() -> assertThat(backend.keys(other).stream().filter(k -> !backend.isPermanent(k)))
                .as("namespace %s is clean after its session closed", other).isEmpty());
    }

    @Test
    void anAclDenialMidSessionIsReportedNotHung() throws Exception {
        Session session = session(backend.shortTtl());
        LockGrant grant = session.lock(unique("revoked")).acquire();
        secure.get().revoke(namespace);
        try {
            switch (secure.get().revocation()) {
                case SESSION_LOST -> {
                    assertThat(join(session.whenEnded())).isEqualTo(SessionState.EXPIRED);
                    assertThat(join(grant.whenLost())).isEqualTo(LossReason.SESSION_EXPIRED);
                    assertThat(grant.isHeld()).isFalse();
                }
                case OPERATIONS_REFUSED -> {
                    Throwable failed = outcome(() -> session.lock(unique("after-revoke")).tryAcquire(backend.longTtl()));
                    assertThat(failed).as("an acquisition after the revocation fails instead of waiting")
                            .isInstanceOfAny(AuthenticationException.class, BackendUnavailableException.class);
                    assertThat(session.state()).as("declared: renewal needs no permission").isEqualTo(SessionState.ACTIVE);
                }
            }
        } finally {
            secure.get().restore(namespace);
        }
        session.close();
    }

    @Test
    void noSecretIsEverShown() throws Exception {
        List<String> shown = new ArrayList<>();
        try (CapturedStderr stderr = CapturedStderr.install()) {
            for (Supplier<Coordinator> bad : List.<Supplier<Coordinator>>of(
                    () -> secure.get().openWithWrongPassword(namespace),
                    () -> secure.get().openWithoutCredentials(namespace),
                    () -> secure.get().openTrustingAnotherCa(namespace),
                    () -> secure.get().openWithExpiredClientCertificate(namespace),
                    () -> secure.get().openInPlainText(namespace))) {
                shown.addAll(chain(refused(bad)));
            }
            try (Session session = session()) {
                LockGrant grant = session.lock(unique("shown")).acquire();
                shown.add(coord.toString());
                shown.add(session.toString());
                shown.add(grant.toString());
                Thread.getAllStackTraces().keySet().forEach(t -> shown.add(t.getName()));
                grant.release();
            }
            shown.add(stderr.text());
        }
        for (String secret : fragments(secure.get().secrets())) {
            assertThat(shown).as("no message, log line, toString or thread name shows a secret")
                    .noneMatch(text -> text != null && text.contains(secret));
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /**
     * Opens with {@code open}, then a session and a lock attempt, on a thread of its own, and returns the typed error
     * it failed with; fails the test if it succeeded, hung past {@link #patience()}, or failed untyped. The error's
     * messages are checked for secrets.
     */
    private CoordException refused(Supplier<Coordinator> open) {
        Throwable failure = outcome(() -> {
            Coordinator c = adopt(open.get());
            try (Session s = c.openSession(backend.longTtl())) {
                s.lock(unique("probe")).tryAcquire(Duration.ZERO);
            }
            return Optional.empty();
        });
        assertThat(failure).as("refused with a coord error").isInstanceOf(CoordException.class);
        for (String secret : fragments(secure.get().secrets())) {
            assertThat(chain(failure)).as("the error shows no secret").noneMatch(m -> m != null && m.contains(secret));
        }
        return (CoordException) failure;
    }

    /** Runs {@code call} on its own thread and returns what it threw, failing the test if it returned or hung. */
    private Throwable outcome(java.util.concurrent.Callable<?> call) {
        CompletableFuture<Object> f = CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, r -> new Thread(r, "kit-security-probe").start());
        await().until(f::isDone);
        assertThat(f).as("the call was refused, not served").isCompletedExceptionally();
        Throwable t = f.handle((v, e) -> e).join();
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static List<String> chain(Throwable t) {
        List<String> texts = new ArrayList<>();
        for (Throwable c = t; c != null; c = c.getCause()) {
            texts.add(c.toString());
            for (Throwable s : c.getSuppressed()) {
                texts.add(s.toString());
            }
        }
        return texts;
    }

    /** The secrets, with each private key also as its 64-character base64 lines (a leak of the body alone counts). */
    private static List<String> fragments(List<String> secrets) {
        List<String> out = new ArrayList<>();
        for (String s : secrets) {
            out.add(s);
            if (s.contains("PRIVATE KEY")) {
                s.lines().filter(l -> !l.startsWith("-----") && l.length() >= 32).forEach(out::add);
            }
        }
        assertThat(out).as("the backend declares its secrets").isNotEmpty();
        return out;
    }
}
