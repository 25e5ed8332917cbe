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
        this(reason, "lock '" + lockName + "' (fencing token " + token + ") was lost before release: " + reason);
    }

    private LockLostException(LossReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /**
     * The loss of something else held like a lock grant: a semaphore permit, a read-write lock's read grant.
     *
     * @param description what was lost, e.g. {@code "permit 2 of semaphore 'workers'"}
     * @param token       its fencing token
     * @param reason      why it was lost
     * @return the exception, saying what was lost, its token and why
     */
    public static LockLostException of(String description, long token, LossReason reason) {
        return new LockLostException(reason, description + " (fencing token " + token + ") was lost before release: " + reason);
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
