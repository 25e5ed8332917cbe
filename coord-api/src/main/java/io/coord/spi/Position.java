package io.coord.spi;

import java.util.List;

/**
 * What one read of a queue told an entry: whether it still exists, its token, and the entries
 * standing ahead of it, nearest first (at most the lookahead the grant rule asked for).
 *
 * @param present  false once the entry is gone from the server (its session died, or it was removed)
 * @param token    the entry's fencing token (0 if not present)
 * @param ahead    entries ahead of this one, nearest first, at most the requested lookahead
 * @param revision the backend's version of the read (etcd: header revision; others may use 0), which
 *                 {@link QueueEntry#whenGone} uses to know which departures it must not miss
 */
public record Position(boolean present, long token, List<Ahead> ahead, long revision) {

    /**
     * Copies {@code ahead} into an unmodifiable list.
     *
     * @param present  whether the entry still exists
     * @param token    the entry's fencing token (0 if not present)
     * @param ahead    entries ahead of this one, nearest first
     * @param revision the backend's version of the read, or 0
     */
    public Position {
        ahead = List.copyOf(ahead);
    }

    /**
     * The position of an entry that no longer exists.
     *
     * @param revision the backend's version of the read, or 0 (see {@link #revision()})
     * @return a position not present, with token 0 and nothing ahead
     */
    public static Position gone(long revision) {
        return new Position(false, 0, List.of(), revision);
    }

    /**
     * An entry ahead of this one.
     *
     * @param id    the backend's identity of the entry (etcd key, ZooKeeper node name, Redis member)
     * @param token that entry's token, or 0 where the backend cannot read it without a round trip per
     *              entry (ZooKeeper); a grant rule that needs it must say so
     * @param tag   what the entry was enqueued with in the queues of {@link io.coord.Primitive#SEMAPHORE semaphores}
     *              (its number of permits) and {@link io.coord.Primitive#READ_WRITE_LOCK read-write locks}
     *              ({@link GrantRule#READ} or {@link GrantRule#WRITE}): {@link SessionBase#newEntry}'s value,
     *              which backends report for these two; {@code ""} elsewhere
     */
    public record Ahead(String id, long token, String tag) {

        /**
         * An entry ahead without a tag (locks, fair locks, elections).
         *
         * @param id    the backend's identity of the entry
         * @param token that entry's token, or 0 (see above)
         */
        public Ahead(String id, long token) {
            this(id, token, "");
        }
    }
}
