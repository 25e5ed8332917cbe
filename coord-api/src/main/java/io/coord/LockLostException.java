package io.coord;

/**
 * The grant was lost before it was released (its session expired or closed, or its entry was
 * deleted): the critical section may have overlapped with another holder's. Only a resource that
 * checks fencing tokens can have rejected the stale writes.
 */
public class LockLostException extends CoordException {
    private static final long serialVersionUID = 1L;
    /** Why the grant was lost. */
    private final LossReason reason;

    /**
     * @param lockName the lock's name
     * @param token    the fencing token of the lost grant
     * @param reason   why it was lost
     */
    public LockLostException(String lockName, long token, LossReason reason) {
        super("lock '" + lockName + "' (fencing token " + token + ") was lost before release: " + reason);
        this.reason = reason;
    }

    /**
     * Why the grant was lost.
     *
     * @return why the grant was lost
     */
    public LossReason reason() {
        return reason;
    }
}
