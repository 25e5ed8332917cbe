package io.coord.testservers;

import java.time.Duration;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The only class that references Testcontainers (an optional dependency). It is loaded only after
 * {@link TestServerPolicy#dockerAvailable()} found Testcontainers on the classpath, so a missing
 * optional jar never breaks the kit.
 */
final class Containers {

    /** etcd image matching the version the kit is tested with. */
    static final String ETCD_IMAGE = "gcr.io/etcd-development/etcd:v3.4.23";
    /** Redis image matching the version the kit is tested with. */
    static final String REDIS_IMAGE = "redis:7.0.15";

    /** A started container: where to reach it and how to stop it. */
    record Handle(String host, int port, GenericContainer<?> container) {
        void stop() {
            container.stop();
        }
    }

    private Containers() {
    }

    static boolean isDockerAvailable() {
        return DockerClientFactory.instance().isDockerAvailable();
    }

    /** A single etcd node with the kit's short election timeout (min lease TTL 1 s). */
    static Handle startEtcd() {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(ETCD_IMAGE))
                .withExposedPorts(2379)
                .withCommand("/usr/local/bin/etcd", "--name", "s1", "--data-dir", "/tmp/etcd-data",
                        "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
                        "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
                        "--initial-cluster", "s1=http://127.0.0.1:2380",
                        "--heartbeat-interval", "50", "--election-timeout", "500")
                .waitingFor(Wait.forHttp("/health").forPort(2379).withStartupTimeout(Duration.ofSeconds(60)));
        c.start();
        return new Handle(c.getHost(), c.getMappedPort(2379), c);
    }

    /** A single Redis without persistence. */
    static Handle startRedis() {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(REDIS_IMAGE))
                .withExposedPorts(6379)
                .withCommand("redis-server", "--save", "", "--appendonly", "no")
                .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(60)));
        c.start();
        return new Handle(c.getHost(), c.getMappedPort(6379), c);
    }
}
