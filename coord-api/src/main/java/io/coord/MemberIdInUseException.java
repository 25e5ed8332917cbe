package io.coord;

/**
 * A member id asked for by {@link Session#join(String, String, String)} is held by another live session of the
 * group. It becomes free when that session leaves the group or ends (at most its TTL after it stopped renewing).
 */
public class MemberIdInUseException extends CoordException {

    private static final long serialVersionUID = 1L;

    /** The session holding the id. */
    private final String holderSessionId;

    /**
     * @param group           the group's name
     * @param memberId        the member id asked for
     * @param holderSessionId the session that holds it
     */
    public MemberIdInUseException(String group, String memberId, String holderSessionId) {
        super("member id '" + memberId + "' of group '" + group + "' is held by session " + holderSessionId
                + "; it is free once that session leaves or ends (within its TTL): retry then, or join with another id");
        this.holderSessionId = holderSessionId;
    }

    /**
     * The session that holds the member id.
     *
     * @return its {@link Session#id()}
     */
    public String holderSessionId() {
        return holderSessionId;
    }
}
