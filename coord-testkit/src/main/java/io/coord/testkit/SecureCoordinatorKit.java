package io.coord.testkit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The whole {@link CoordinatorKit} against a server with TLS and authentication on, plus {@link SecurityRules}:
 * every rule of every primitive passes as a least-privileged, per-namespace identity over TLS, and what must be
 * refused is refused with a typed error that shows no secret.
 */
public abstract class SecureCoordinatorKit extends CoordinatorKit {

    @Override
    protected abstract SecureKitBackend backend();

    @Nested
    @DisplayName("security")
    class Security extends SecurityRules {
        Security() {
            super(SecureCoordinatorKit.this::backend);
        }
    }
}
