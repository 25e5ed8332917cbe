package io.coord.fencing;

import static org.assertj.core.api.Assertions.assertThat;

import io.coord.testservers.PostgresProcess;
import io.coord.testservers.TestServers;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@link JdbcFence#advance} inside a Spring-managed transaction (spring-jdbc's
 * {@link DataSourceTransactionManager}, the connection from {@link DataSourceUtils}): the fence and the
 * caller's own statement commit or roll back with Spring's transaction, on a real PostgreSQL.
 */
class JdbcFenceSpringTransactionTest {
    private static PostgresProcess postgres;
    private static PGSimpleDataSource dataSource;
    private static JdbcFence fence;
    private static TransactionTemplate transactions;

    @BeforeAll
    static void start() throws SQLException {
        postgres = TestServers.postgres();
        dataSource = new PGSimpleDataSource();
        dataSource.setUrl(postgres.jdbcUrl());
        fence = JdbcFence.of(dataSource);
        fence.createTableIfMissing();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE protected_value (resource TEXT PRIMARY KEY, value TEXT NOT NULL)");
        }
        transactions = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    @AfterAll
    static void stop() throws Exception {
        FenceContractTest.closeAll(postgres);
    }

    /** One Spring transaction: advance the fence, and write only if it accepted; roll back on request. */
    private static FenceResult inTransaction(String resource, long token, String value, boolean rollback) {
        return transactions.execute(status -> {
            Connection c = DataSourceUtils.getConnection(dataSource); // Spring's transactional connection
            try {
                FenceResult r = fence.advance(c, resource, token);
                if (r.accepted()) {
                    JdbcFenceTest.upsert(c, resource, value);
                }
                if (rollback) {
                    status.setRollbackOnly();
                }
                return r;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static Optional<String> value(String resource) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return JdbcFenceTest.read(c, resource);
        }
    }

    @Test
    void theFenceAndTheCallersStatementCommitWithSpringsTransaction() throws SQLException {
        assertThat(inTransaction("spring-commit", 5, "v5", false).accepted()).isTrue();
        assertThat(fence.highestToken("spring-commit")).isEqualTo(OptionalLong.of(5));
        assertThat(value("spring-commit")).contains("v5");
        FenceResult stale = inTransaction("spring-commit", 4, "v4", false);
        assertThat(stale).isEqualTo(FenceResult.stale("spring-commit", 4, 5));
        assertThat(value("spring-commit")).as("the stale holder wrote nothing").contains("v5");
    }

    @Test
    void aSpringRollbackUndoesTheFenceAndTheCallersStatementTogether() throws SQLException {
        assertThat(inTransaction("spring-rollback", 9, "v9", true).accepted()).as("accepted inside the transaction").isTrue();
        assertThat(fence.highestToken("spring-rollback")).as("the token rolled back with Spring's transaction").isEmpty();
        assertThat(value("spring-rollback")).as("and the caller's statement with it").isEmpty();
        assertThat(inTransaction("spring-rollback", 2, "v2", false).accepted()).as("9 was never recorded").isTrue();
        assertThat(value("spring-rollback")).contains("v2");
    }
}
