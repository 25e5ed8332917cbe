package io.coord.testkit.register;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A shared resource guarded by fencing tokens: the storage side of Kleppmann's fencing argument
 * ("How to do distributed locking", 2016) and of the fenced-lock model Jepsen used for Hazelcast.
 *
 * <h2>Guarantee</h2>
 * {@link #write(long, String, String)} accepts a write if and only if its token is greater than or
 * equal to the highest token this register has seen so far (accepted writes only raise it; a
 * rejected write never changes anything), and it performs the comparison, the update of the
 * maximum and the update of the value as <em>one atomic step</em>. Consequently the tokens of the
 * accepted writes, in acceptance order, never decrease, and a holder whose lock was taken over
 * (paused past its lease, partitioned, crashed and resumed) can never overwrite a value written
 * under a newer token: its write is {@linkplain WriteResult#accepted() rejected as stale}.
 * An equal token is accepted, so one holder may write many times under its grant.
 *
 * <h2>Concurrency</h2>
 * All state is owned by this object and guarded by one private monitor ({@code lock}); every
 * public method takes it for a few field reads/writes and a list append, never for I/O or a
 * callback, so the register is safe to call from any thread, including client-library callback
 * threads. Snapshots returned ({@link #acceptedWrites()}, {@link #rejectedWrites()}) are copies.
 *
 * <h2>Use as a counter</h2>
 * The kit's mutual-exclusion test does a read-modify-write under the lock:
 * <pre>{@code
 * long v = register.value();                    // value of the last accepted write, 0 if none
 * register.write(grant.fencingToken(), me, v + 1);
 * }</pre>
 * and checks at the end that {@link #value()} equals the number of acquisitions and that
 * {@link #rejectedCount()} is 0. The read and the write are two separate atomic steps on purpose:
 * only the lock under test makes the pair exclusive; lost updates show up in the final value.
 *
 * <p>Tokens must be {@code > 0} (the coord contract: a fencing token is a positive long).
 */
public final class FencedRegister {

    /**
     * One accepted write, in acceptance order.
     *
     * @param sequence the write attempt's number (attempts, accepted or not, count from 1)
     * @param writer   who wrote
     * @param token    the write's token
     * @param value    the value written
     * @param atNanos  when it was accepted ({@link System#nanoTime()})
     */
    public record Write(long sequence, String writer, long token, String value, long atNanos) {
        /**
         * Checks that the writer and the value are given.
         *
         * @param sequence the write attempt's number (attempts, accepted or not, count from 1)
         * @param writer who wrote
         * @param token the write's token
         * @param value the value written
         * @param atNanos when it was accepted ({@link System#nanoTime()})
         * @throws NullPointerException if {@code writer} or {@code value} is null
         */
        public Write {
            Objects.requireNonNull(writer, "writer");
            Objects.requireNonNull(value, "value");
        }
    }

    /**
     * One rejected (stale) write: its token was below {@code highestSeen} at that moment.
     *
     * @param sequence    the write attempt's number (attempts, accepted or not, count from 1)
     * @param writer      who tried to write
     * @param token       the stale token
     * @param value       the value it tried to write
     * @param highestSeen the higher token the register had accepted before
     * @param atNanos     when it was rejected ({@link System#nanoTime()})
     */
    public record Rejection(long sequence, String writer, long token, String value, long highestSeen,
                            long atNanos) {
    }

    /**
     * The verdict on one write.
     *
     * @param accepted    true iff the write was applied
     * @param token       the token the write carried
     * @param highestSeen the highest token seen by the register right after this write (for an
     *                    accepted write, {@code token}; for a rejected one, the newer token that
     *                    made it stale)
     */
    public record WriteResult(boolean accepted, long token, long highestSeen) {
        /**
         * True iff the write was rejected because a newer token had already been seen.
         *
         * @return true if {@code !accepted}
         */
        public boolean stale() {
            return !accepted;
        }
    }

    private final Object lock = new Object();
    // All fields below are guarded by lock.
    private long highestToken;           // 0 = no write yet (tokens are > 0)
    private String value;                // null = no accepted write yet
    private long sequence;               // counts every write attempt, accepted or not
    private final List<Write> accepted = new ArrayList<>();
    private final List<Rejection> rejected = new ArrayList<>();

    /** Creates an empty register: no value, highest token 0. */
    public FencedRegister() {
    }

    /**
     * Writes {@code value} if {@code token >= highestToken()}, atomically.
     *
     * @param token  the writer's fencing token, {@code > 0}
     * @param writer who writes (a process id), non-null
     * @param value  the new value, non-null
     * @return whether the write was accepted, and the highest token seen
     * @throws IllegalArgumentException if {@code token <= 0}
     */
    public WriteResult write(long token, String writer, String value) {
        if (token <= 0) {
            throw new IllegalArgumentException("fencing token must be > 0, got " + token);
        }
        Objects.requireNonNull(writer, "writer");
        Objects.requireNonNull(value, "value");
        synchronized (lock) {
            long seq = ++sequence;
            long now = System.nanoTime();
            if (token >= highestToken) {
                highestToken = token;
                this.value = value;
                accepted.add(new Write(seq, writer, token, value, now));
                return new WriteResult(true, token, token);
            }
            rejected.add(new Rejection(seq, writer, token, value, highestToken, now));
            return new WriteResult(false, token, highestToken);
        }
    }

    /**
     * Same as {@link #write(long, String, String)} with the decimal form of {@code value}.
     *
     * @param token the writer's fencing token, {@code > 0}
     * @param writer who writes (a process id), non-null
     * @param value the new value
     * @return whether the write was accepted, and the highest token seen
     * @throws IllegalArgumentException if {@code token <= 0}
     */
    public WriteResult write(long token, String writer, long value) {
        return write(token, writer, Long.toString(value));
    }

    /**
     * The value of the last accepted write as a number, or 0 if nothing was accepted yet.
     *
     * @return the value, or 0
     * @throws IllegalStateException if the last accepted value is not a decimal long
     */
    public long value() {
        String v = textValue();
        if (v == null) {
            return 0;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("last accepted value is not a number: '" + v + "'", e);
        }
    }

    /**
     * The value of the last accepted write, or {@code null} if nothing was accepted yet.
     *
     * @return the value, or null
     */
    public String textValue() {
        synchronized (lock) {
            return value;
        }
    }

    /**
     * The last accepted write (value and token read together), or {@code null} if none.
     *
     * @return the write, or null
     */
    public Write lastWrite() {
        synchronized (lock) {
            return accepted.isEmpty() ? null : accepted.get(accepted.size() - 1);
        }
    }

    /**
     * The highest token accepted so far; 0 if nothing was accepted yet.
     *
     * @return the token, or 0
     */
    public long highestToken() {
        synchronized (lock) {
            return highestToken;
        }
    }

    /**
     * Number of accepted writes.
     *
     * @return the count
     */
    public int acceptedCount() {
        synchronized (lock) {
            return accepted.size();
        }
    }

    /**
     * Number of writes rejected as stale.
     *
     * @return the count
     */
    public int rejectedCount() {
        synchronized (lock) {
            return rejected.size();
        }
    }

    /**
     * A copy of the accepted writes, in acceptance order.
     *
     * @return the writes, immutable
     */
    public List<Write> acceptedWrites() {
        synchronized (lock) {
            return List.copyOf(accepted);
        }
    }

    /**
     * A copy of the rejected writes, in the order they were attempted.
     *
     * @return the rejections, immutable
     */
    public List<Rejection> rejectedWrites() {
        synchronized (lock) {
            return List.copyOf(rejected);
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "FencedRegister{highestToken=" + highestToken + ", value=" + value
                    + ", accepted=" + accepted.size() + ", rejected=" + rejected.size() + '}';
        }
    }
}
