package io.coord.spring.boot;

import io.coord.Coordinator;
import io.coord.Session;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code coord} health indicator, when Spring Boot's health module ({@code spring-boot-health}, brought by
 * the actuator) is on the class path and {@code management.health.coord.enabled} is not false.
 */
@AutoConfiguration(after = CoordAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean({Coordinator.class, Session.class})
@ConditionalOnEnabledHealthIndicator("coord")
final class CoordHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "coordHealthIndicator")
    CoordHealthIndicator coordHealthIndicator(Coordinator coordinator, Session session) {
        return new CoordHealthIndicator(coordinator, session);
    }
}
