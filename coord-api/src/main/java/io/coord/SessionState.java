package io.coord;

/** The states of a {@link Session}. EXPIRED and CLOSED are final. */
public enum SessionState {
    /** Renewals succeed; the session is alive at least until {@link Session#validUntilNanos()}. */
    ACTIVE,
    /** Renewals are failing; still valid until {@link Session#validUntilNanos()}, then EXPIRED. */
    SUSPENDED,
    /** Gone for sure (the server said so, or the local deadline passed): everything held is lost. */
    EXPIRED,
    /** Closed by its owner; the lease was revoked. */
    CLOSED;

    /**
     * Whether this state is final.
     *
     * @return true for EXPIRED and CLOSED
     */
    public boolean isTerminal() {
        return this == EXPIRED || this == CLOSED;
    }
}
