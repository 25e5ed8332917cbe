package io.coord.spi;

import io.coord.CoordStats;
import io.coord.Primitive;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The counters behind {@link CoordStats}; backends call {@link #roundTrip} for each request they send.
 * What is held is counted by the SPI itself ({@link SessionBase} adopting and forgetting grants).
 */
public final class StatsRecorder implements CoordStats {

    private final Map<Primitive, LongAdder> roundTrips = new EnumMap<>(Primitive.class);
    private final Map<Primitive, LongAdder> wakeups = new EnumMap<>(Primitive.class);
    private final Map<Primitive, AtomicLong> held = new EnumMap<>(Primitive.class);
    private final LongSupplier openSessions;

    /** Creates the counters of every primitive, all zero; {@code openSessions} counts the coordinator's live sessions. */
    StatsRecorder(LongSupplier openSessions) {
        this.openSessions = openSessions;
        for (Primitive p : Primitive.values()) {
            roundTrips.put(p, new LongAdder());
            wakeups.put(p, new LongAdder());
            held.put(p, new AtomicLong());
        }
    }

    /**
     * Counts one request sent on behalf of {@code primitive}; thread-safe, never blocks.
     *
     * @param primitive the primitive the request serves
     */
    public void roundTrip(Primitive primitive) {
        roundTrips.get(primitive).increment();
    }

    /**
     * Counts one wake-up of a waiter of {@code primitive} on a seen departure; thread-safe, never blocks.
     *
     * @param primitive the waiter's primitive
     */
    public void wakeup(Primitive primitive) {
        wakeups.get(primitive).increment();
    }

    @Override
    public long roundTrips(Primitive primitive) {
        return roundTrips.get(primitive).sum();
    }

    @Override
    public long wakeups(Primitive primitive) {
        return wakeups.get(primitive).sum();
    }

    @Override
    public long held(Primitive primitive) {
        if (primitive == Primitive.SESSION) {
            return openSessions.getAsLong();
        }
        return held.get(primitive).get(); // raw, not clamped: a double decrement must show (the kit asserts >= 0)
    }

    /** A grant or leadership of {@code primitive} was adopted (+1) or dropped (-1) by its session. */
    void adjustHeld(Primitive primitive, int delta) {
        held.get(primitive).addAndGet(delta);
    }
}
