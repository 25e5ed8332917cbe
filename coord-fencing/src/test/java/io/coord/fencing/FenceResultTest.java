package io.coord.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FenceResultTest {

    @Test
    void anAcceptedResultRecordsItsOwnTokenAndAStaleOneAHigherToken() {
        assertThat(FenceResult.accepted("r", 3)).isEqualTo(new FenceResult(true, "r", 3, 3));
        assertThat(FenceResult.stale("r", 3, 4).isStale()).isTrue();
        assertThatThrownBy(() -> new FenceResult(true, "r", 3, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("accepted: equal");
        assertThatThrownBy(() -> FenceResult.stale("r", 3, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stale: greater");
    }

    @Test
    void tokensAreStoredAsNineteenDigitsWhoseByteOrderIsNumericOrder() {
        assertThat(new String(Tokens.encode(1), StandardCharsets.US_ASCII)).isEqualTo("0000000000000000001");
        assertThat(Tokens.decode(Tokens.encode(Long.MAX_VALUE), "k")).isEqualTo(Long.MAX_VALUE);
        assertThat(Arrays.compare(Tokens.encode(99), Tokens.encode(100))).isNegative();
        assertThatThrownBy(() -> Tokens.decode("12".getBytes(StandardCharsets.US_ASCII), "key k"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("key k holds \"12\"");
    }
}
