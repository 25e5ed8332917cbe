package io.coord.examples.workerids;

/**
 * Snowflake-style ids: 41 bits of milliseconds since {@link #EPOCH_MILLIS}, 10 bits of worker id, 12 bits of
 * sequence (4 096 ids per millisecond and worker), in a positive {@code long}.
 *
 * <p>Why ids never repeat: two generators never share a worker id while both issue ids (the worker id is the
 * slot of a semaphore permit, and a worker issues ids only while {@link io.coord.semaphore.Permit#isHeld()}), and
 * one generator never issues the same (millisecond, sequence) twice: it never goes back in time and waits for the
 * next millisecond when a millisecond's sequence is used up. A newcomer that gets a dead worker's slot gets it
 * only after the dead worker's lease ended, so its first id is later than the dead worker's last one, provided the
 * two machines' clocks differ by less than the TTL (here: one machine, one clock).
 */
final class SnowflakeIds {

    /** 2026-01-01T00:00:00Z: ids stay positive for 69 years after it. */
    static final long EPOCH_MILLIS = 1_767_225_600_000L;
    static final int WORKER_BITS = 10;
    static final int SEQUENCE_BITS = 12;
    /** Worker ids are {@code [0, MAX_WORKERS)}: the largest semaphore coord allows has exactly as many permits. */
    static final int MAX_WORKERS = 1 << WORKER_BITS;
    private static final long SEQUENCE_MASK = (1L << SEQUENCE_BITS) - 1;

    private final long worker;
    private long lastMillis = -1;
    private long sequence;

    SnowflakeIds(int worker) {
        if (worker < 0 || worker >= MAX_WORKERS) {
            throw new IllegalArgumentException("worker id must be in [0, " + MAX_WORKERS + "), got " + worker);
        }
        this.worker = worker;
    }

    /** The next id of this worker: strictly greater than the previous one. */
    synchronized long next() {
        long now = System.currentTimeMillis();
        while (now < lastMillis) {                        // the clock went back: wait until it is past the last id
            Thread.onSpinWait();
            now = System.currentTimeMillis();
        }
        if (now == lastMillis) {
            sequence = (sequence + 1) & SEQUENCE_MASK;
            if (sequence == 0) {                          // 4 096 ids in this millisecond: wait for the next one
                while (now <= lastMillis) {
                    Thread.onSpinWait();
                    now = System.currentTimeMillis();
                }
            }
        } else {
            sequence = 0;
        }
        lastMillis = now;
        return ((now - EPOCH_MILLIS) << (WORKER_BITS + SEQUENCE_BITS)) | (worker << SEQUENCE_BITS) | sequence;
    }

    /** The worker id inside {@code id}. */
    static int workerOf(long id) {
        return (int) ((id >>> SEQUENCE_BITS) & (MAX_WORKERS - 1));
    }
}
