package io.coord.testservers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.TestAbortedException;

class TestServerPolicyTest {
    private final Map<String, String> env = new HashMap<>();
    private final Map<String, String> props = new HashMap<>();
    private boolean docker;
    private final AtomicInteger dockerProbes = new AtomicInteger();

    @TempDir
    static Path fakeBin;

    /** A PATH holding fake executables named etcd and redis-server, so these tests need no real binary. */
    @BeforeAll
    static void fakeBinaries() throws IOException {
        for (String name : List.of("etcd", "redis-server")) {
            Path f = Files.writeString(fakeBin.resolve(name), "#!/bin/sh\nexit 1\n");
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static String pathWithBinaries() {
        return "/nonexistent:" + fakeBin;
    }

    private TestServerPolicy policy() {
        return new TestServerPolicy(env::get, props::get, () -> {
            dockerProbes.incrementAndGet();
            return docker;
        });
    }

    @Test
    void binaryOnPathIsUsedWithoutProbingDocker() {
        env.put("PATH", pathWithBinaries());
        TestServerPolicy.Decision d = policy().decide(TestServerPolicy.Kind.ETCD);
        assertEquals(ServerSource.BINARY, d.source());
        assertEquals(fakeBin.resolve("etcd"), d.binary().orElseThrow());
        assertEquals(0, dockerProbes.get());
    }

    @Test
    void externalWinsOverEverything() {
        env.put("PATH", pathWithBinaries());
        env.put("COORD_REDIS_URI", "redis://10.0.0.1:6380");
        TestServerPolicy.Decision d = policy().decide(TestServerPolicy.Kind.REDIS);
        assertEquals(ServerSource.EXTERNAL, d.source());
        assertEquals("redis://10.0.0.1:6380", d.external().orElseThrow());
    }

    @Test
    void testcontainersWhenNoBinaryButDocker() {
        env.put("PATH", "/nonexistent");
        docker = true;
        assertEquals(ServerSource.TESTCONTAINERS, policy().decide(TestServerPolicy.Kind.ETCD).source());
    }

    @Test
    void failsWithInstallInstructionsWhenNothingIsAvailable() {
        env.put("PATH", "/nonexistent");
        TestServerUnavailableException e = assertThrows(TestServerUnavailableException.class,
                () -> policy().decide(TestServerPolicy.Kind.ETCD));
        assertTrue(e.getMessage().contains("apt-get install etcd-server"), e.getMessage());
        assertTrue(e.getMessage().contains("scripts/install-test-servers.sh"), e.getMessage());
        assertTrue(e.getMessage().contains("COORD_ETCD_ENDPOINTS"), e.getMessage());
    }

    @Test
    void developerOptOutAbortsOutsideCi() {
        env.put("PATH", pathWithBinaries());
        props.put("coord.skip.redis", "true");
        TestAbortedException e = assertThrows(TestAbortedException.class, () -> policy().decide(TestServerPolicy.Kind.REDIS));
        assertTrue(e.getMessage().contains("-Dcoord.skip.redis=true"), e.getMessage());
        // the other kind is unaffected
        assertEquals(ServerSource.BINARY, policy().decide(TestServerPolicy.Kind.ETCD).source());
    }

    @Test
    void nothingIsSkippedUnderCi() {
        env.put("CI", "true");
        env.put("PATH", "/nonexistent");
        props.put("coord.skip.etcd", "true");
        TestServerPolicy p = policy();
        assertTrue(p.isCi());
        TestServerUnavailableException e = assertThrows(TestServerUnavailableException.class,
                () -> p.decide(TestServerPolicy.Kind.ETCD));
        assertFalse(e.getMessage().contains("coord.skip"), "CI must not suggest skipping: " + e.getMessage());
        env.put("PATH", pathWithBinaries());
        assertEquals(ServerSource.BINARY, policy().decide(TestServerPolicy.Kind.ETCD).source());
    }

    @Test
    void binaryPropertyOverridesPath() {
        env.put("PATH", "/nonexistent");
        props.put("coord.etcd.binary", fakeBin.resolve("etcd").toString());
        assertEquals(fakeBin.resolve("etcd"), policy().decide(TestServerPolicy.Kind.ETCD).binary().orElseThrow());
        props.put("coord.etcd.binary", "/nonexistent/etcd");
        assertThrows(TestServerUnavailableException.class, () -> policy().decide(TestServerPolicy.Kind.ETCD));
    }

    @Test
    void externalServersDoNotSupportFaults() {
        try (EtcdServer external = ExternalEtcd.parse("127.0.0.1:1, http://127.0.0.1:2")) {
            assertEquals(List.of("http://127.0.0.1:1", "http://127.0.0.1:2"), external.endpoints());
            assertEquals("etcd://127.0.0.1:1,127.0.0.1:2/ns", external.coordUri("ns"));
            assertFalse(external.supportsFaults());
            assertTrue(external.members().isEmpty());
            boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
            Class<? extends Throwable> expected = ci ? IllegalStateException.class : TestAbortedException.class;
            assertThrows(expected, () -> external.member(0));
        }
        try (RedisServer external = ExternalRedis.parse("redis://127.0.0.1:6390")) {
            assertEquals("redis://127.0.0.1:6390", external.uri());
            assertFalse(external.supportsFaults());
        }
    }

    @Test
    void externalRedisClusterNeedsNoBinaryButHonoursTheOptOut() {
        env.put("PATH", "/nonexistent");
        try (RedisClusterServer c = TestServers.redisCluster(policy(), "127.0.0.1:7001, redis://127.0.0.1:7002")) {
            assertEquals(ServerSource.EXTERNAL, c.source());
            assertEquals(List.of("redis://127.0.0.1:7001", "redis://127.0.0.1:7002"), c.seedUris());
            assertEquals("redis://127.0.0.1:7001,127.0.0.1:7002/ns", c.coordUri("ns"));
            assertTrue(c.nodes().isEmpty());
        }
        props.put("coord.skip.redis", "true");
        assertThrows(TestAbortedException.class, () -> TestServers.redisCluster(policy(), "127.0.0.1:7001"));
    }

    @Test
    void dockerProbeNeverThrows() {
        // Testcontainers is on the test classpath, but there is no Docker engine here: false, no exception.
        TestServerPolicy.dockerAvailable();
    }
}
