package io.coord.testkit;

import io.coord.Coordinator;
import java.util.List;
import java.util.Map;

/**
 * A {@link KitBackend} whose server runs with TLS and authentication on, and whose namespaces are isolated by the
 * server (per-namespace credentials and server-side ACLs). {@link #open} logs in as the namespace's own identity
 * over TLS; the kit's keyspace reads ({@link #keys}, {@link #entries}) go through an authenticated admin
 * connection. The methods below let {@link SecurityRules} try what must be refused.
 */
public interface SecureKitBackend extends KitBackend {

    /** What the server does to a live session whose identity loses its permissions ({@link #revoke}). */
    enum Revocation {
        /** The session cannot renew: it is reported SUSPENDED then EXPIRED, and its grants are lost. */
        SESSION_LOST,
        /** Renewal needs no permission, so the session stays ACTIVE, but every operation on the namespace fails at once. */
        OPERATIONS_REFUSED
    }

    /**
     * A coordinator (not yet used) on {@code namespace} with the namespace's user but a wrong password.
     *
     * @param namespace the coord namespace
     * @return a coordinator not yet used, which the caller closes
     */
    Coordinator openWithWrongPassword(String namespace);

    /**
     * A coordinator on {@code namespace} presenting no credentials at all (TLS still on where the server needs it).
     *
     * @param namespace the coord namespace
     * @return a coordinator not yet used, which the caller closes
     */
    Coordinator openWithoutCredentials(String namespace);

    /**
     * A coordinator on {@code namespace} with the right credentials that trusts only a CA which did not sign the server's certificate.
     *
     * @param namespace the coord namespace
     * @return a coordinator not yet used, which the caller closes
     */
    Coordinator openTrustingAnotherCa(String namespace);

    /**
     * A coordinator on {@code namespace} with the right credentials presenting a client certificate that has expired.
     *
     * @param namespace the coord namespace
     * @return a coordinator not yet used, which the caller closes
     */
    Coordinator openWithExpiredClientCertificate(String namespace);

    /**
     * A coordinator on {@code namespace} with the right credentials speaking plain text to the server's TLS port.
     *
     * @param namespace the coord namespace
     * @return a coordinator not yet used, which the caller closes
     */
    Coordinator openInPlainText(String namespace);

    /**
     * A coordinator logged in as {@code asNamespace}'s identity but working on namespace {@code onNamespace}.
     *
     * @param asNamespace the namespace whose identity logs in
     * @param onNamespace the namespace the coordinator works on
     * @return a coordinator not yet used, which the caller closes
     */
    Coordinator openAs(String asNamespace, String onNamespace);

    /**
     * Takes every permission away from {@code namespace}'s identity, on the server, while its sessions live.
     *
     * @param namespace the namespace whose identity loses its permissions
     */
    void revoke(String namespace);

    /**
     * Gives {@code namespace}'s identity its permissions back (after {@link #revoke}), so that cleanup can run.
     *
     * @param namespace the namespace whose identity gets its permissions back
     */
    void restore(String namespace);

    /**
     * What this backend declares {@link #revoke} does to a live session.
     *
     * @return the declared effect, checked by {@link SecurityRules}
     */
    Revocation revocation();

    /**
     * With a raw client of the backend (not coord) logged in as {@code asNamespace}'s identity, tries to read, to
     * write and to delete the keys or nodes that namespace {@code onNamespace} holds now; returns each attempt,
     * described (e.g. {@code "GET coord:b:…"}), mapped to whether the server allowed it. At least one attempt of
     * each kind.
     *
     * @param asNamespace the namespace whose identity the raw client logs in as
     * @param onNamespace the namespace whose keys or nodes are tried
     * @return each attempt's description mapped to true if the server allowed it
     */
    Map<String, Boolean> rawAccess(String asNamespace, String onNamespace);

    /**
     * Every secret the backend's configuration holds: passwords and private-key PEM texts. None may ever be shown.
     *
     * @return the secrets' texts, for asserting that no message, log line or {@code toString} contains one
     */
    List<String> secrets();
}
