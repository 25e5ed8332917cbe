package io.coord;

/** A registered listener or observation; closing it (idempotent) guarantees no call starts after close returns. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
