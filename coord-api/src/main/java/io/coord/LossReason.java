package io.coord;

/** Why a grant or a leadership was lost (as opposed to released by its owner). */
public enum LossReason {
    /** The session expired: the server dropped it, or its local validity deadline passed. */
    SESSION_EXPIRED,
    /** The session was closed while this was held. */
    SESSION_CLOSED,
    /** The backend entry backing this grant disappeared while the session lived (deleted by someone else). */
    ENTRY_DELETED
}
