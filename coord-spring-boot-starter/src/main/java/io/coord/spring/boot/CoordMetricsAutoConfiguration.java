package io.coord.spring.boot;

import io.coord.Coordinator;
import io.coord.micrometer.CoordMetrics;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;

/**
 * The coord meters ({@code coord.*}, see coord-micrometer's {@link CoordMetrics}) of the coordinator, when
 * {@code coord-micrometer} is on the class path and the context has a {@link MeterRegistry} (Spring Boot binds every
 * {@code MeterBinder} bean to its registries). Ordered after Boot's metrics auto-configuration, which makes the
 * registry.
 */
@AutoConfiguration(after = CoordAutoConfiguration.class,
        afterName = {"org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass({CoordMetrics.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnSingleCandidate(Coordinator.class)
final class CoordMetricsAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    CoordMetrics coordMetrics(Coordinator coordinator) {
        return CoordMetrics.of(coordinator);
    }
}
