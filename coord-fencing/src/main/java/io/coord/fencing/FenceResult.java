package io.coord.fencing;

/**
 * The outcome of one {@link Fence#write}: accepted (applied, {@code highestSeen == token}) or stale
 * (nothing applied, {@code highestSeen > token}: a newer holder has written).
 *
 * @param accepted whether the write was applied and its token recorded
 * @param resource the fenced resource
 * @param token the token the write carried
 * @param highestSeen the highest token recorded for the resource after this write
 */
public record FenceResult(boolean accepted, String resource, long token, long highestSeen) {

    /**
     * Checks that an accepted result records its own token and a stale one a higher token.
     *
     * @param accepted    whether the write was applied and its token recorded
     * @param resource    the fenced resource
     * @param token       the token the write carried
     * @param highestSeen the highest token recorded for the resource after this write
     * @throws IllegalArgumentException if {@code accepted} and {@code highestSeen != token}, or stale and
     *                                  {@code highestSeen <= token}
     */
    public FenceResult {
        if (accepted ? highestSeen != token : highestSeen <= token) {
            throw new IllegalArgumentException((accepted ? "an accepted" : "a stale") + " write of token " + token
                    + " cannot leave highest " + highestSeen + " (accepted: equal; stale: greater)");
        }
    }

    /**
     * The write with {@code token} was applied, and {@code token} is now the highest recorded.
     *
     * @param resource the fenced resource
     * @param token    the token the write carried
     * @return an accepted result with {@code highestSeen == token}
     */
    public static FenceResult accepted(String resource, long token) {
        return new FenceResult(true, resource, token, token);
    }

    /**
     * The write with {@code token} was refused, nothing applied: {@code highestSeen > token} was recorded before.
     *
     * @param resource    the fenced resource
     * @param token       the token the write carried
     * @param highestSeen the higher token recorded before
     * @return a stale result
     * @throws IllegalArgumentException if {@code highestSeen <= token}
     */
    public static FenceResult stale(String resource, long token, long highestSeen) {
        return new FenceResult(false, resource, token, highestSeen);
    }

    /**
     * Whether the write was refused (the opposite of {@link #accepted()}).
     *
     * @return true if nothing was applied because a higher token had been recorded
     */
    public boolean isStale() {
        return !accepted;
    }
}
