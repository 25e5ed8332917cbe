package io.coord.testkit.history;

/**
 * The operation an {@link Event} is about. The {@link FencedMutexChecker} treats
 * {@link #ACQUIRE} and {@link #CAMPAIGN} as grants (a leader term is a fencing token) and
 * {@link #RELEASE} and {@link #RESIGN} as releases; the other operations are recorded and
 * paired but carry no mutex semantics.
 */
public enum Operation {
    ACQUIRE, RELEASE, CAMPAIGN, RESIGN, PROCLAIM, WRITE, READ, RENEW, OTHER;

    /** True for the operations whose OK starts a hold ({@code ACQUIRE}, {@code CAMPAIGN}). */
    public boolean isGrant() {
        return this == ACQUIRE || this == CAMPAIGN;
    }

    /** True for the operations whose INVOKE ends a hold ({@code RELEASE}, {@code RESIGN}). */
    public boolean isRelease() {
        return this == RELEASE || this == RESIGN;
    }
}
