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

    public StatsRecorder() {
        for (Primitive p : Primitive.values()) {
            roundTrips.put(p, new LongAdder());
            wakeups.put(p, new LongAdder());
        }
    }

    public void roundTrip(Primitive primitive) {
        roundTrips.get(primitive).increment();
    }

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
