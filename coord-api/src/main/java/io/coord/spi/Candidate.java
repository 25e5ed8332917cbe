package io.coord.spi;

/** A {@link QueueEntry} of an election, carrying the value it announces. */
public interface Candidate extends QueueEntry {

    /**
     * Replaces the announced value, guarded on the server by this entry's identity.
     *
     * @return false if the entry no longer exists (leadership lost)
     */
    boolean proclaim(String value) throws Exception;
}
