package io.coord.testkit.history;

/**
 * The operation an {@link Event} is about. The {@link FencedMutexChecker} treats
 * {@link #ACQUIRE} and {@link #CAMPAIGN} as grants (a leader term is a fencing token) and
 * {@link #RELEASE} and {@link #RESIGN} as releases; the other operations are recorded and
 * paired but carry no mutex semantics.
 */
public enum Operation {
    /** Acquiring a lock (a grant: its OK starts a hold, its token is the fencing token). */
    ACQUIRE,
    /** Releasing a lock (its INVOKE ends the hold). */
    RELEASE,
    /** Campaigning in an election (a grant: the leader term is the token). */
    CAMPAIGN,
    /** Resigning a leadership (its INVOKE ends the hold). */
    RESIGN,
    /** A leader publishing a new value. */
    PROCLAIM,
    /** A write to a fenced resource. */
    WRITE,
    /** A read of a resource. */
    READ,
    /** A session renewal. */
    RENEW,
    /** Anything else worth recording. */
    OTHER;

    /**
     * True for the operations whose OK starts a hold ({@code ACQUIRE}, {@code CAMPAIGN}).
     *
     * @return true for {@link #ACQUIRE} and {@link #CAMPAIGN}
     */
    public boolean isGrant() {
        return this == ACQUIRE || this == CAMPAIGN;
    }

    /**
     * True for the operations whose INVOKE ends a hold ({@code RELEASE}, {@code RESIGN}).
     *
     * @return true for {@link #RELEASE} and {@link #RESIGN}
     */
    public boolean isRelease() {
        return this == RELEASE || this == RESIGN;
    }
}
