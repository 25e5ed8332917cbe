package io.coord.testkit.history;

import static io.coord.testkit.history.EventType.FAIL;
import static io.coord.testkit.history.EventType.INFO;
import static io.coord.testkit.history.EventType.INVOKE;
import static io.coord.testkit.history.EventType.LOST;
import static io.coord.testkit.history.EventType.OK;
import static io.coord.testkit.history.Operation.ACQUIRE;
import static io.coord.testkit.history.Operation.RELEASE;

/** Builds constructed histories with explicit times (milliseconds, for readability) on one key. */
final class Timeline {
    static final long MS = 1_000_000L;
    static final long BASE = 1_000_000_000L; // arbitrary nanoTime origin

    final History history = new History();
    final String key;

    Timeline() {
        this("lock");
    }

    Timeline(String key) {
        this.key = key;
    }

    static long at(long ms) {
        return BASE + ms * MS;
    }

    Timeline invoke(long ms, String p, Operation op) {
        history.recordAt(at(ms), p, INVOKE, op, key, 0, 0, "");
        return this;
    }

    Timeline ok(long ms, String p, Operation op, long token) {
        history.recordAt(at(ms), p, OK, op, key, token, 0, "");
        return this;
    }

    Timeline okUntil(long ms, String p, Operation op, long token, long validUntilMs) {
        history.recordAt(at(ms), p, OK, op, key, token, at(validUntilMs), "");
        return this;
    }

    Timeline fail(long ms, String p, Operation op, String detail) {
        history.recordAt(at(ms), p, FAIL, op, key, 0, 0, detail);
        return this;
    }

    Timeline lost(long ms, String p, long token) {
        history.recordAt(at(ms), p, LOST, ACQUIRE, key, token, 0, "session expired");
        return this;
    }

    Timeline renewed(long ms, String p, long token, long validUntilMs) {
        history.recordAt(at(ms), p, INFO, Operation.RENEW, key, token, at(validUntilMs), "renewed");
        return this;
    }

    /** invoke ACQUIRE at ms, OK with token at ms+1. */
    Timeline acquire(long ms, String p, long token) {
        return invoke(ms, p, ACQUIRE).ok(ms + 1, p, ACQUIRE, token);
    }

    /** invoke RELEASE at ms, OK at ms+1. */
    Timeline release(long ms, String p) {
        return invoke(ms, p, RELEASE).ok(ms + 1, p, RELEASE, 0);
    }

    Verdict check() {
        return FencedMutexChecker.check(history);
    }
}
