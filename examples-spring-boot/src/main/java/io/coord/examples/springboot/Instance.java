package io.coord.examples.springboot;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One running instance of {@link DemoApplication}: its own Spring context, its own Tomcat on a random loopback port,
 * its own coordinator and session on the shared backend.
 */
final class Instance implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final String name;
    private final ConfigurableApplicationContext context;
    private final int port;

    private Instance(String name, ConfigurableApplicationContext context, int port) {
        this.name = name;
        this.context = context;
        this.port = port;
    }

    /** Starts instance {@code name} on {@code uri}; returns once its context has started (session ACTIVE, web server up). */
    static Instance start(String name, String uri, DemoState state) {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(DemoApplication.class)
                .initializers(ctx -> ctx.getBeanFactory().registerSingleton("demoState", state))
                .properties(
                        "demo.instance=" + name,
                        "coord.uri=" + uri,
                        "coord.session-ttl=3s",
                        "coord.leader.election=demo-leader",
                        "server.port=0",
                        "server.address=127.0.0.1",
                        "management.endpoints.web.exposure.include=health,metrics",
                        "management.endpoint.health.show-details=always",
                        "spring.application.name=coord-demo-" + name,
                        "spring.main.banner-mode=off",
                        "logging.level.root=WARN",
                        "logging.level.io.coord.spring.boot=INFO")
                .run();
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        return new Instance(name, context, port);
    }

    /** GET {@code path} on this instance's web server; the body, whatever the status. */
    String get(String path) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    int port() {
        return port;
    }

    /** Closes the context: Spring's graceful shutdown, in which the starter closes the session before beans are destroyed. */
    @Override
    public void close() {
        if (context.isActive()) {
            context.close();
        }
    }
}
