package io.coord.fencing;

import io.coord.BackendUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A {@link Fence} in a SQL database (java.sql only), whose write is the caller's own SQL: the
 * fence row and the caller's statements commit or roll back together, in one transaction.
 *
 * <p>Schema ({@link #ddl()}; {@link #createTableIfMissing()} runs it):
 * <pre>{@code
 * CREATE TABLE IF NOT EXISTS coord_fence (
 *     resource TEXT   PRIMARY KEY,
 *     token    BIGINT NOT NULL CHECK (token > 0)
 * )
 * }</pre>
 *
 * <p>The guard, run inside the caller's transaction by {@link #advance}:
 * <pre>{@code
 * INSERT INTO coord_fence AS f (resource, token) VALUES (?, ?)
 * ON CONFLICT (resource) DO UPDATE SET token = EXCLUDED.token WHERE f.token <= EXCLUDED.token
 * RETURNING token
 * }</pre>
 * A row back means accepted; none means stale, and the highest token is then read in the same
 * transaction. The SQL is PostgreSQL's (tested on PostgreSQL 15).
 *
 * <p>Guarantee: the statement locks the resource's fence row until the transaction ends, so
 * writers of one resource are serialized; under READ COMMITTED (PostgreSQL's default) the check
 * sees the latest committed token. The write is accepted only if its token is at least that token,
 * and then nothing the transaction did is visible unless it commits with the new token. Under
 * REPEATABLE READ or SERIALIZABLE a concurrent writer makes the statement fail with SQLState 40001;
 * retry the transaction. A stale {@code advance} also holds the row lock until the transaction
 * ends: roll back promptly.
 *
 * <p>Two ways to use it: {@link #advance(Connection, String, long)} in a transaction you run
 * (auto-commit off), then your statements only if accepted, then your commit; or
 * {@link #write(String, long, SqlWork)}, which runs that whole transaction on a connection of the
 * {@link DataSource}. Thread-safe (it keeps no connection).
 */
public final class JdbcFence implements Fence<JdbcFence.SqlWork> {
    /** The table used when none is named. */
    public static final String DEFAULT_TABLE = "coord_fence";
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

    /** The caller's statements of one fenced write, run on the fence's connection inside its transaction. */
    @FunctionalInterface
    public interface SqlWork {
        /**
         * Runs the caller's statements on {@code connection}, after the fence accepted the token and before the
         * commit; do not commit, roll back or close it.
         *
         * @param connection the fence's connection, in its open transaction (auto-commit off)
         * @throws SQLException to roll the whole write back, the token included
         */
        void run(Connection connection) throws SQLException;
    }

    private final DataSource dataSource;
    private final String table;
    private final String guardSql;
    private final String readSql;

    private JdbcFence(DataSource dataSource, String table) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(table, "table");
        if (!TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("fence table must be an unquoted SQL identifier, optionally schema-qualified"
                    + " ([A-Za-z_][A-Za-z0-9_]*, at most 63 characters, e.g. coord_fence or app.fence), got \"" + table + "\"");
        }
        this.table = table;
        this.guardSql = "INSERT INTO " + table + " AS f (resource, token) VALUES (?, ?)"
                + " ON CONFLICT (resource) DO UPDATE SET token = EXCLUDED.token WHERE f.token <= EXCLUDED.token"
                + " RETURNING token";
        this.readSql = "SELECT token FROM " + table + " WHERE resource = ?";
    }

    /**
     * A fence in table {@value #DEFAULT_TABLE} of {@code dataSource}'s database.
     *
     * @param dataSource where {@link #write(String, long, SqlWork)} and {@link #highestToken(String)} take connections
     * @return a fence; creating it opens no connection
     * @throws NullPointerException if {@code dataSource} is null
     */
    public static JdbcFence of(DataSource dataSource) {
        return new JdbcFence(dataSource, DEFAULT_TABLE);
    }

    /**
     * A fence in {@code table} of {@code dataSource}'s database.
     *
     * @param dataSource where {@link #write(String, long, SqlWork)} and {@link #highestToken(String)} take connections
     * @param table      an unquoted SQL identifier ({@code [A-Za-z_][A-Za-z0-9_]*}, at most 63 characters),
     *                   optionally {@code schema.table}
     * @return a fence; creating it opens no connection
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code table} is not such an identifier
     */
    public static JdbcFence of(DataSource dataSource, String table) {
        return new JdbcFence(dataSource, table);
    }

    /**
     * The fence table's DDL, for your own schema migrations.
     *
     * @return one PostgreSQL statement, idempotent ({@code CREATE TABLE IF NOT EXISTS})
     */
    public String ddl() {
        return "CREATE TABLE IF NOT EXISTS " + table + " (resource TEXT PRIMARY KEY, token BIGINT NOT NULL CHECK (token > 0))";
    }

    /**
     * Runs {@link #ddl()} on a connection of the data source, in auto-commit mode (its own transaction);
     * does nothing if the table exists.
     *
     * @throws BackendUnavailableException if the database refuses it (the SQLException is the cause)
     */
    public void createTableIfMissing() {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(true);
            s.execute(ddl());
            c.setAutoCommit(auto);
        } catch (SQLException e) {
            throw new BackendUnavailableException("jdbc: cannot create the fence table " + table + ": " + e.getMessage(), e);
        }
    }

    /**
     * The guard alone, inside the caller's transaction on {@code connection}: records {@code token}
     * for {@code resource} if it is at least the highest recorded (see the class comment). Run your
     * own statements only if the result is accepted; your commit makes the token and your
     * statements visible together, your rollback undoes both.
     *
     * @param connection a connection with auto-commit off, in the transaction that will carry your statements
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @param token      the writer's fencing token, {@code > 0}
     * @return accepted (the row now holds {@code token}, locked until the transaction ends), or stale with the
     *     highest token recorded
     * @throws IllegalArgumentException if {@code resource} is blank or too long, or {@code token <= 0}
     * @throws IllegalStateException if {@code connection} is in auto-commit mode (the token would
     *     commit on its own, apart from your statements)
     * @throws SQLException as the driver reports it; the transaction is then the caller's to roll back
     */
    public FenceResult advance(Connection connection, String resource, long token) throws SQLException {
        Tokens.resource(resource);
        Tokens.token(token);
        if (connection.getAutoCommit()) {
            throw new IllegalStateException("the connection is in auto-commit mode: the fence would commit on its own,"
                    + " apart from your statements; call setAutoCommit(false) and commit after your statements");
        }
        try (PreparedStatement guard = connection.prepareStatement(guardSql)) {
            guard.setString(1, resource);
            guard.setLong(2, token);
            try (ResultSet rs = guard.executeQuery()) {
                if (rs.next()) {
                    return FenceResult.accepted(resource, token);
                }
            }
        }
        long highest = read(connection, resource).orElseThrow(() -> new IllegalStateException(
                "the fence row of " + resource + " refused token " + token + " but cannot be read back"));
        return FenceResult.stale(resource, token, highest);
    }

    /**
     * One transaction on a connection of the data source: {@link #advance}, then {@code work} if
     * accepted, then commit; rolled back if stale or if anything throws (an SQLException comes back
     * as {@link BackendUnavailableException} and nothing was applied).
     */
    @Override
    public FenceResult write(String resource, long token, SqlWork work) {
        Tokens.resource(resource);
        Tokens.token(token);
        Objects.requireNonNull(work, "work");
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                FenceResult r = advance(c, resource, token);
                if (r.accepted()) {
                    work.run(c);
                    c.commit();
                } else {
                    c.rollback();
                }
                return r;
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(c, e);
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new BackendUnavailableException("jdbc: the fenced write of " + resource + " failed and was rolled back: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public OptionalLong highestToken(String resource) {
        Tokens.resource(resource);
        try (Connection c = dataSource.getConnection()) {
            return read(c, resource);
        } catch (SQLException e) {
            throw new BackendUnavailableException("jdbc: cannot read the fence of " + resource + ": " + e.getMessage(), e);
        }
    }

    /**
     * The highest token recorded for {@code resource} as {@code connection}'s transaction sees it (a plain read:
     * it takes no row lock).
     *
     * @param connection any connection to the fence's database, in the caller's transaction or auto-commit
     * @param resource the fenced resource: not blank, at most 256 UTF-8 bytes
     * @return the highest token, or empty if no write was ever committed for {@code resource} (as seen)
     * @throws IllegalArgumentException if {@code resource} is blank or longer than 256 UTF-8 bytes
     * @throws SQLException as the driver reports it
     */
    public OptionalLong highestToken(Connection connection, String resource) throws SQLException {
        return read(connection, Tokens.resource(resource));
    }

    private OptionalLong read(Connection c, String resource) throws SQLException {
        try (PreparedStatement read = c.prepareStatement(readSql)) {
            read.setString(1, resource);
            try (ResultSet rs = read.executeQuery()) {
                return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
            }
        }
    }

    private static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }
}
