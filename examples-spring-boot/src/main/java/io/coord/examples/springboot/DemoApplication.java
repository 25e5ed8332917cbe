package io.coord.examples.springboot;

import net.javacrumbs.shedlock.spring.annotation.EnableSchedulerLock;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.leader.Candidate;
import org.springframework.integration.leader.DefaultCandidate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * The application each instance runs. Everything coord-specific comes from coord-spring-boot-starter: the
 * coordinator and session ({@code coord.uri}), the ShedLock {@code LockProvider} behind {@code @SchedulerLock}, the
 * Spring Integration {@code LockRegistry}, the leader initiator ({@code coord.leader.election} and the
 * {@link Candidate} below), the {@code coord} health indicator and the coord meters.
 */
@SpringBootApplication
@EnableScheduling
@EnableSchedulerLock(defaultLockAtMostFor = "PT10S")
class DemoApplication {

    /** This instance's candidacy in the election {@code coord.leader.election}; its id is the instance's name. */
    @Bean
    Candidate candidate(@Value("${demo.instance}") String instance) {
        return new DefaultCandidate(instance, "demo-leader");
    }
}
