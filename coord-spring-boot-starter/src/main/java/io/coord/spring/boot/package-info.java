/**
 * Spring Boot auto-configuration for coord: {@link io.coord.spring.boot.CoordProperties} ({@code coord.*}),
 * {@link io.coord.spring.boot.CoordAutoConfiguration} (the coordinator, the default session, graceful shutdown) and
 * {@link io.coord.spring.boot.CoordHealthIndicator}.
 */
package io.coord.spring.boot;
