package io.coord.spring.boot;

import java.time.Duration;

import io.coord.Coordinator;
import io.coord.Session;
import io.coord.SessionState;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The health of one coord {@link Session}, named {@code coord} in {@code /actuator/health}.
 *
 * <table>
 *   <caption>Status by session state</caption>
 *   <tr><th>{@link SessionState}</th><th>status</th><th>why</th></tr>
 *   <tr><td>ACTIVE</td><td>UP</td><td>renewals succeed</td></tr>
 *   <tr><td>SUSPENDED</td><td>UNKNOWN</td><td>renewals are failing but the session is still valid (nothing is lost
 *       until {@code remainingValidity} reaches zero); UNKNOWN does not turn the aggregate health DOWN, so a short
 *       network blip does not take the instance out of service, and the state becomes EXPIRED (DOWN) if it lasts</td></tr>
 *   <tr><td>EXPIRED</td><td>DOWN</td><td>everything the session held is lost; the default session is not reopened,
 *       so the instance should be restarted</td></tr>
 *   <tr><td>CLOSED</td><td>DOWN</td><td>closed by its owner (e.g. in shutdown)</td></tr>
 * </table>
 *
 * <p>Details: {@code backend}, {@code namespace}, {@code session} (the backend's session id), {@code sessionState},
 * {@code grantedTtl} and {@code remainingValidity} (ISO-8601 durations; zero once the session has ended). Never a credential. Each call reads local
 * state only (no server round trip), so it is cheap on any thread.
 */
public final class CoordHealthIndicator implements HealthIndicator {

    private final Coordinator coordinator;
    private final Session session;

    /**
     * A health indicator of {@code session}.
     *
     * @param coordinator the coordinator the session belongs to, for the backend and namespace details
     * @param session     the session whose state is reported
     * @throws NullPointerException if either is null
     */
    public CoordHealthIndicator(Coordinator coordinator, Session session) {
        if (coordinator == null || session == null) {
            throw new NullPointerException("CoordHealthIndicator needs a coordinator and a session, got "
                    + (coordinator == null ? "no coordinator" : "no session"));
        }
        this.coordinator = coordinator;
        this.session = session;
    }

    /**
     * The session's health now.
     *
     * @return UP (ACTIVE), UNKNOWN (SUSPENDED) or DOWN (EXPIRED, CLOSED), with the details listed on the class
     */
    @Override
    public Health health() {
        SessionState state = session.state();
        Health.Builder health;
        switch (state) {
            case ACTIVE:
                health = Health.up();
                break;
            case SUSPENDED:
                health = Health.unknown();
                break;
            default:
                health = Health.down();
                break;
        }
        return health.withDetail("backend", coordinator.backend())
                .withDetail("namespace", coordinator.namespace())
                .withDetail("session", session.id())
                .withDetail("sessionState", state.name())
                .withDetail("grantedTtl", session.grantedTtl().toString())
                // A session that has ended has no validity left, even if its local deadline is still ahead (the server
                // may have said it expired earlier than that).
                .withDetail("remainingValidity", (state.isTerminal() ? Duration.ZERO : session.remainingValidity()).toString())
                .build();
    }
}
