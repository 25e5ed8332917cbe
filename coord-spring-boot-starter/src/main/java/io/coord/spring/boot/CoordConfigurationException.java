package io.coord.spring.boot;

/**
 * A {@code coord.*} setting that is missing, contradictory or refused by the backend; the message names the property
 * and what is allowed, never a password. {@link CoordFailureAnalyzer} turns it into Spring Boot's "APPLICATION FAILED
 * TO START" report.
 */
final class CoordConfigurationException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    CoordConfigurationException(String message) {
        super(message);
    }

    CoordConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
