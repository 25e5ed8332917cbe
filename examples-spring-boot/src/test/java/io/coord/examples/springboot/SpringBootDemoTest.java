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
        assertThat(printed).contains("\"backend\":\"zookeeper\"").contains("every invariant held")
                .containsPattern("job .report. run #\\d+ \\(fencing token [1-9]\\d*\\)").contains(", fencing token ");
    }

    @Test
    void moreThanOneArgumentIsAUsageError() {
        assertThatThrownBy(() -> SpringBootDemo.run(new String[] {"a", "b"}, System.out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("usage:");
    }

    @Test
    void aMalformedUriIsExitCode2AndThePasswordIsNotEchoed() {
        String secret = "pw-" + java.util.UUID.randomUUID();
        for (String bad : java.util.List.of("etcd://u:" + secret + " x@h:2379/demo", "etcd://u:" + secret + "%@h/demo",
                "redis:" + secret + "@h:6379/demo", "u:" + secret + "@h")) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            try (PrintStream print = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                assertThat(SpringBootDemo.argumentsStatus(new String[] {bad}, print)).as(bad).isEqualTo(2);
            }
            assertThat(err.toString(StandardCharsets.UTF_8)).as(bad).contains("usage:").contains("***")
                    .doesNotContain(secret);
            assertThatThrownBy(() -> SpringBootDemo.run(new String[] {bad}, System.out)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining(secret);
        }
        assertThat(SpringBootDemo.argumentsStatus(new String[] {"etcd://127.0.0.1:2379/demo"}, System.err)).isZero();
        assertThat(SpringBootDemo.argumentsStatus(new String[0], System.err)).isZero();
        assertThat(SpringBootDemo.argumentsStatus(new String[] {"a", "b"}, System.err)).isEqualTo(2);
    }
}
