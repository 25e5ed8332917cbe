package io.coord.spring.boot;

import org.springframework.boot.actuate.endpoint.SanitizableData;
import org.springframework.boot.actuate.endpoint.SanitizingFunction;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Keeps coord's credentials out of the actuator's {@code /actuator/configprops} and {@code /actuator/env} even where
 * they are set to show values ({@code management.endpoint.*.show-values=always}): {@code coord.password} is masked,
 * and {@code coord.uri} is shown with its user info replaced by {@code ***}. (By default Boot masks every value.) Keys match
 * relaxed, as Boot binds them: {@code COORD_PASSWORD} and {@code COORD_URI} from the environment are covered too.
 * Configured when the actuator ({@code spring-boot-actuator}) is on the class path.
 */
@AutoConfiguration
@ConditionalOnClass(SanitizingFunction.class)
final class CoordSanitizingAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "coordSanitizingFunction")
    SanitizingFunction coordSanitizingFunction() {
        return CoordSanitizingAutoConfiguration::sanitize;
    }

    static SanitizableData sanitize(SanitizableData data) {
        // Relaxed like Boot's binding: COORD_PASSWORD (environment), coord.password and coord-password all match.
        String key = data.getLowerCaseKey().replace('_', '.').replace("-", "");
        if (data.getValue() == null) {
            return data;
        }
        if (key.equals("coord.password")) {
            return data.withSanitizedValue();
        }
        if (key.equals("coord.uri")) {
            return data.withValue(CoordUris.redacted(String.valueOf(data.getValue())));
        }
        return data;
    }
}
