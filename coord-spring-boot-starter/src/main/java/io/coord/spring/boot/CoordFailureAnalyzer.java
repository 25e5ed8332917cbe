package io.coord.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a {@link CoordConfigurationException} as Spring Boot's start-up failure analysis: the description is the
 * exception's message (which property, what is wrong, what is allowed), the action says where the settings are
 * documented. Registered in {@code META-INF/spring.factories}.
 */
final class CoordFailureAnalyzer extends AbstractFailureAnalyzer<CoordConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, CoordConfigurationException cause) {
        return new FailureAnalysis("coord could not be configured: " + cause.getMessage(),
                "Fix the coord.* properties (e.g. coord.uri=zookeeper://host:2181/myapp, coord.session-ttl=10s); every "
                        + "property, its default and what is allowed is listed in coord-spring-boot-starter's README and in "
                        + "your IDE's completion.", cause);
    }
}
