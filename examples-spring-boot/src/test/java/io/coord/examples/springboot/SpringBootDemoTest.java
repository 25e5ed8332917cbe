package io.coord.examples.springboot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** Runs the demo as {@code scripts/example.sh spring-boot} does (no argument: embedded ZooKeeper) and checks its invariants. */
class SpringBootDemoTest {

    @Test
    void runsOnTheEmbeddedZooKeeperAndEveryInvariantHolds() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SpringBootDemo.Summary s;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            s = SpringBootDemo.run(new String[0], out);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertThat(s.broken()).isEmpty();
        assertThat(s.exitCode()).isZero();
        assertThat(s.reportRuns()).isGreaterThanOrEqualTo(5);
        assertThat(s.reportOverlaps()).isZero();
        assertThat(s.ledgerRuns()).isGreaterThanOrEqualTo(6);
        assertThat(s.ledgerOverlaps()).isZero();
        assertThat(s.leaderWorkRuns()).isPositive();
        assertThat(s.leaders()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(s.leaders().get(s.leaders().size() - 1)).isNotEqualTo(s.leaders().get(0));
        assertThat(s.healthJson()).contains("\"status\":\"UP\"").contains("\"sessionState\":\"ACTIVE\"");
        assertThat(s.coordMeters()).isNotEmpty().allMatch(n -> n.startsWith("coord."));
        assertThat(printed).contains("\"backend\":\"zookeeper\"").contains("every invariant held");
    }

    @Test
    void moreThanOneArgumentIsAUsageError() {
        assertThatThrownBy(() -> SpringBootDemo.run(new String[] {"a", "b"}, System.out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("usage:");
    }
}
