package io.coord.election;

/**
 * Who leads an election: the leader's session id, the value it announced, and its term (a
 * fencing token, strictly increasing across successive leaders).
 */
public record Leader(String sessionId, String value, long term) {
}
