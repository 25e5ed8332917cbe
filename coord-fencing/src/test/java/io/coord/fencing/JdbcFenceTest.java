package io.coord.fencing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.coord.BackendUnavailableException;
import io.coord.testservers.PostgresProcess;
import io.coord.testservers.TestServers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** {@link JdbcFence} on a real PostgreSQL started by coord-test-servers; the protected data is a table of the test's. */
class JdbcFenceTest extends FenceContractTest {
    private static final String UPSERT = "INSERT INTO protected_value (resource, value) VALUES (?, ?)"
            + " ON CONFLICT (resource) DO UPDATE SET value = EXCLUDED.value";
    private static PostgresProcess postgres;
    private static PGSimpleDataSource dataSource;
    private static JdbcFence fence;

    @BeforeAll
    static void start() throws SQLException {
        postgres = TestServers.postgres();
        dataSource = new PGSimpleDataSource();
        dataSource.setUrl(postgres.jdbcUrl());
        fence = JdbcFence.of(dataSource);
        fence.createTableIfMissing();
        fence.createTableIfMissing();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE protected_value (resource TEXT PRIMARY KEY, value TEXT NOT NULL)");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        closeAll(postgres);
    }

    @Override
    Sink sink() {
        return new Sink(fence, (r, t, v) -> fence.write(r, t, c -> upsert(c, r, v)), JdbcFenceTest::readValue);
    }

    private static Optional<String> readValue(String resource) {
        try (Connection c = dataSource.getConnection()) {
            return read(c, resource);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theCallersRollbackUndoesTheFenceAndTheCallersOwnStatementTogether() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            assertThat(fence.advance(c, "rollback", 50).accepted()).isTrue();
            upsert(c, "rollback", "v50");
            assertThat(fence.highestToken(c, "rollback")).as("inside the transaction").isEqualTo(OptionalLong.of(50));
            c.rollback();
        }
        assertThat(fence.highestToken("rollback")).as("the token rolled back").isEmpty();
        assertThat(sink().value("rollback")).as("the caller's statement rolled back").isEmpty();
        assertThat(sink().write("rollback", 3, "v3").accepted()).as("50 was never recorded").isTrue();
        assertThat(sink().value("rollback")).contains("v3");
    }

    @Test
    void theCallersCommitPublishesTheFenceAndTheStatementTogether() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            assertThat(fence.advance(c, "commit", 8).accepted()).isTrue();
            upsert(c, "commit", "v8");
            assertThat(fence.highestToken("commit")).as("not visible before the commit").isEmpty();
            assertThat(sink().value("commit")).isEmpty();
            c.commit();
            FenceResult stale = fence.advance(c, "commit", 7);
            assertThat(stale).isEqualTo(FenceResult.stale("commit", 7, 8));
            c.rollback();
        }
        assertThat(fence.highestToken("commit")).isEqualTo(OptionalLong.of(8));
        assertThat(sink().value("commit")).contains("v8");
    }

    @Test
    void aFailingStatementRollsTheFenceBack() {
        assertThatThrownBy(() -> fence.write("failing", 4, c -> {
            upsert(c, "failing", "v4");
            throw new SQLException("the caller's statement failed");
        })).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("rolled back")
                .hasMessageContaining("the caller's statement failed");
        assertThat(fence.highestToken("failing")).isEmpty();
        assertThat(sink().value("failing")).isEmpty();
    }

    @Test
    void anAutoCommitConnectionIsRefusedBeforeAnythingIsWritten() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            assertThat(c.getAutoCommit()).isTrue();
            assertThatThrownBy(() -> fence.advance(c, "auto", 1)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("setAutoCommit(false)");
        }
        assertThat(fence.highestToken("auto")).isEmpty();
    }

    @Test
    void aTableNameMustBeAPlainIdentifier() {
        assertThatThrownBy(() -> JdbcFence.of(dataSource, "fence; DROP TABLE x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unquoted SQL identifier");
        assertThat(JdbcFence.of(dataSource, "public.other_fence").ddl()).startsWith("CREATE TABLE IF NOT EXISTS public.other_fence (");
    }

    static void upsert(Connection c, String resource, String value) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(UPSERT)) {
            s.setString(1, resource);
            s.setString(2, value);
            s.executeUpdate();
        }
    }

    static Optional<String> read(Connection c, String resource) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT value FROM protected_value WHERE resource = ?")) {
            s.setString(1, resource);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }
}
