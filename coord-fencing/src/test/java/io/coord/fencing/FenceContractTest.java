package io.coord.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The rules every {@link Fence} must pass, run against a real store by each subclass. A write's
 * value is {@code "v<token>"}, so the value read back from the store (directly, not through the
 * fence) says which write was applied last.
 */
abstract class FenceContractTest {
    private static final AtomicInteger RESOURCES = new AtomicInteger();
    private static final int THREADS = 8;
    private static final int WRITES_PER_THREAD = 25;

    /** Writes {@code value} with {@code token} through the fence under test. */
    @FunctionalInterface
    interface TextWrite {
        FenceResult write(String resource, long token, String value);
    }

    /** One store under test: the fence's write with a text value, and a direct read of the protected value. */
    static final class Sink {
        private final Fence<?> fence;
        private final TextWrite write;
        private final Function<String, Optional<String>> read;

        Sink(Fence<?> fence, TextWrite write, Function<String, Optional<String>> read) {
            this.fence = fence;
            this.write = write;
            this.read = read;
        }

        /** A fence whose write is a byte value, read back from the store by {@code read} (null: absent). */
        static Sink ofBytes(Fence<byte[]> fence, Function<String, byte[]> read) {
            return new Sink(fence, (r, t, v) -> fence.write(r, t, v.getBytes(StandardCharsets.UTF_8)),
                    r -> Optional.ofNullable(read.apply(r)).map(b -> new String(b, StandardCharsets.UTF_8)));
        }

        Fence<?> fence() {
            return fence;
        }

        FenceResult write(String resource, long token, String value) {
            return write.write(resource, token, value);
        }

        /** The value last applied, read from the store itself (not through the fence). */
        Optional<String> value(String resource) {
            return read.apply(resource);
        }
    }

    abstract Sink sink();

    /** Closes the non-null {@code resources} in order (clients before their server); for {@code @AfterAll}. */
    static void closeAll(AutoCloseable... resources) throws Exception {
        for (AutoCloseable r : resources) {
            if (r != null) {
                r.close();
            }
        }
    }

    private String resource;

    @BeforeEach
    void name(TestInfo info) {
        resource = "orders/" + getClass().getSimpleName() + "-" + info.getTestMethod().orElseThrow().getName()
                + "-" + RESOURCES.incrementAndGet() + "-ünï {x}";
    }

    @Test
    void acceptsIncreasingTokens() {
        assertThat(sink().write(resource, 1, "v1")).isEqualTo(FenceResult.accepted(resource, 1));
        assertThat(sink().write(resource, 5, "v5")).isEqualTo(FenceResult.accepted(resource, 5));
        assertThat(sink().value(resource)).contains("v5");
        assertThat(sink().fence().highestToken(resource)).isEqualTo(OptionalLong.of(5));
    }

    @Test
    void acceptsAnEqualTokenTheSameHolderWritingTwice() {
        assertThat(sink().write(resource, 7, "first").accepted()).isTrue();
        FenceResult again = sink().write(resource, 7, "second");
        assertThat(again.accepted()).isTrue();
        assertThat(again.highestSeen()).isEqualTo(7);
        assertThat(sink().value(resource)).contains("second");
    }

    @Test
    void rejectsALowerTokenReportingTheHighestAndLeavesTheValueUnchanged() {
        assertThat(sink().write(resource, 10, "v10").accepted()).isTrue();
        FenceResult stale = sink().write(resource, 9, "v9");
        assertThat(stale).isEqualTo(FenceResult.stale(resource, 9, 10));
        assertThat(stale.isStale()).isTrue();
        assertThat(sink().value(resource)).as("the refused write applied nothing").contains("v10");
        assertThat(sink().fence().highestToken(resource)).isEqualTo(OptionalLong.of(10));
        assertThat(sink().write(resource, 11, "v11").accepted()).isTrue();
        assertThat(sink().value(resource)).contains("v11");
    }

    @Test
    void resourcesAreIndependentAndTheLargestTokenIsAccepted() {
        assertThat(sink().write(resource, Long.MAX_VALUE, "max").accepted()).isTrue();
        assertThat(sink().write(resource, Long.MAX_VALUE - 1, "below").highestSeen()).isEqualTo(Long.MAX_VALUE);
        String other = resource + "-other";
        assertThat(sink().fence().highestToken(other)).isEmpty();
        assertThat(sink().write(other, 1, "v1").accepted()).isTrue();
        assertThat(sink().value(other)).contains("v1");
        assertThat(sink().value(resource)).contains("max");
    }

    @Test
    void badInputIsRefusedSayingWhatIsAllowed() {
        assertThatThrownBy(() -> sink().write(resource, 0, "zero"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be > 0").hasMessageContaining("got 0");
        assertThatThrownBy(() -> sink().write(resource, -3, "negative"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -3");
        assertThatThrownBy(() -> sink().write("  ", 1, "blank"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be blank");
        assertThatThrownBy(() -> sink().write("x".repeat(257), 1, "long"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 256");
        assertThat(sink().fence().highestToken(resource)).isEmpty();
        assertThat(sink().value(resource)).isEmpty();
    }

    /**
     * Threads write distinct tokens in random order. Checked: a write accepted after another
     * accepted write had completed carries a token at least as high; a refused write names a higher
     * token; an observer reading the value from the store never sees the token go down; at the end
     * the recorded token and the value are the maximum's.
     */
    @Test
    void concurrentWritersNeverApplyALowerTokenAfterAHigherOne() throws Exception {
        List<Long> tokens = new ArrayList<>();
        for (long t = 1; t <= (long) THREADS * WRITES_PER_THREAD; t++) {
            tokens.add(t);
        }
        Collections.shuffle(tokens, new Random(42));
        long max = tokens.size();
        AtomicLong highestAcceptedAndDone = new AtomicLong();
        AtomicInteger accepted = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Long> observed = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        try {
            Future<?> observer = pool.submit(() -> {
                long last = 0;
                while (writing.get()) {
                    Optional<String> v = sink().value(resource);
                    if (v.isPresent()) {
                        long t = Long.parseLong(v.get().substring(1));
                        assertThat(t).as("value observed after v" + last).isGreaterThanOrEqualTo(last);
                        last = t;
                        observed.add(t);
                    }
                }
                return null;
            });
            List<Future<?>> writers = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                List<Long> mine = tokens.subList(i * WRITES_PER_THREAD, (i + 1) * WRITES_PER_THREAD);
                writers.add(pool.submit(() -> {
                    for (long t : mine) {
                        long before = highestAcceptedAndDone.get();
                        FenceResult r = sink().write(resource, t, "v" + t);
                        assertThat(r.token()).isEqualTo(t);
                        if (r.accepted()) {
                            assertThat(t).as("accepted after token " + before + " was accepted").isGreaterThanOrEqualTo(before);
                            highestAcceptedAndDone.accumulateAndGet(t, Math::max);
                            accepted.incrementAndGet();
                        } else {
                            assertThat(r.highestSeen()).isGreaterThan(t);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : writers) {
                w.get(120, TimeUnit.SECONDS);
            }
            writing.set(false);
            observer.get(30, TimeUnit.SECONDS);
        } finally {
            writing.set(false);
            pool.shutdownNow();
        }
        assertThat(sink().fence().highestToken(resource)).isEqualTo(OptionalLong.of(max));
        assertThat(sink().value(resource)).contains("v" + max);
        assertThat(highestAcceptedAndDone.get()).isEqualTo(max);
        assertThat(accepted.get()).isBetween(1, tokens.size() - 1);
        assertThat(observed).isNotEmpty();
    }
}
