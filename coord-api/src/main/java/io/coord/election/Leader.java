package io.coord.election;

/**
 * Who leads an election: the leader's session id, the value it announced, and its term (a
 * fencing token, strictly increasing across successive leaders).
 *
 * @param sessionId the leader's session, as its {@link io.coord.Session#id()}
 * @param value     the value the leader announced (campaign or latest proclaim); may be empty, never null
 * @param term      the leadership's term, {@code > 0}; equal to that leader's {@link Leadership#term()}
 */
public record Leader(String sessionId, String value, long term) {
}
