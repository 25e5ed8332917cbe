package io.coord.spi;

import io.coord.CoordStats;
import io.coord.Primitive;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@link CoordStats}; backends call {@link #roundTrip} for each request they send. */
public final class StatsRecorder implements CoordStats {

    private final Map<Primitive, LongAdder> roundTrips = new EnumMap<>(Primitive.class);
    private final Map<Primitive, LongAdder> wakeups = new EnumMap<>(Primitive.class);

    /** Creates the counters of every primitive, all zero. */
    public StatsRecorder() {
        for (Primitive p : Primitive.values()) {
            roundTrips.put(p, new LongAdder());
            wakeups.put(p, new LongAdder());
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
}
