package io.coord.spring.boot;

import io.coord.Coordinator;
import io.coord.Session;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code coord} health indicator, when Spring Boot's health module ({@code spring-boot-health}, brought by
 * the actuator) is on the class path, {@code management.health.coord.enabled} is not false and there is a single
 * (or a {@code @Primary}) {@link Coordinator} and {@link Session} bean (with several, and none primary, the
 * application defines its own indicators).
 */
@AutoConfiguration(after = CoordAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnSingleCandidate(Coordinator.class)
@ConditionalOnEnabledHealthIndicator("coord")
final class CoordHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = {"coordHealthIndicator", "coordHealthContributor"})
    @ConditionalOnSingleCandidate(Session.class)
    CoordHealthIndicator coordHealthIndicator(Coordinator coordinator, Session session) {
        return new CoordHealthIndicator(coordinator, session);
    }
}
