package io.coord.bench;

/**
 * One lock user with its OWN client connection: acquire, release, close. JDK-only, so that the Redisson
 * runner (a separate JVM with netty 4.1) can reuse the measurement code.
 */
public interface Participant extends AutoCloseable {

    void acquire() throws Exception;

    void release() throws Exception;

    /** Wake-ups this participant's coordinator counted so far (coord only; -1 when not known). */
    default long wakeups() {
        return -1;
    }

    @Override
    void close() throws Exception;

    /** Opens participants on one lock name, each with its own client. */
    interface Factory {
        Participant open(String lockName) throws Exception;
    }
}
