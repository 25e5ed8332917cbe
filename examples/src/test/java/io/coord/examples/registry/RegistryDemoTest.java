package io.coord.examples.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Runs the registry example on the embedded ZooKeeper with real instance processes. */
class RegistryDemoTest {

    @Test
    void theClientStopsRoutingToAKilledInstanceOnceTheRegistryReportsItGone() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();

        RegistryDemo.Result result = RegistryDemo.run(RegistryDemo.Config.parse("--ttl", "1500"),
                new PrintStream(printed, true, StandardCharsets.UTF_8));

        String story = printed.toString(StandardCharsets.UTF_8);
        System.out.print(story);                          // kept in the surefire report
        assertEquals(0, result.exitStatus(), story);
        assertTrue(result.requests() > 0, story);
        assertTrue(story.contains("routed to an instance after the registry reported it gone: 0"), story);
        assertTrue(story.contains("registry: LEFT instance-2"), story);
        assertTrue(story.contains("ALERT: instance-2 of user-service has been gone for 1000 ms"), story);
        assertTrue(story.matches("(?s).*instance-4 +[1-9]\\d* +0\\n.*"), story);
        assertTrue(story.contains("OK: every check held"), story);
    }

    @Test
    void badArgumentsAreRefusedSayingWhatIsAllowed() {
        String ttl = assertThrows(IllegalArgumentException.class, () -> RegistryDemo.Config.parse("--ttl", "100")).getMessage();
        assertTrue(ttl.contains("--ttl must be an integer from 500 to 30000, got '100'"), ttl);
        assertThrows(IllegalArgumentException.class, () -> RegistryDemo.Config.parse("--ttl"));
        assertThrows(IllegalArgumentException.class, () -> RegistryDemo.Config.parse("zookeeper://a:1/x", "etcd://b:2/y"));
        assertEquals(2000, RegistryDemo.Config.parse().ttl().toMillis());
    }
}
