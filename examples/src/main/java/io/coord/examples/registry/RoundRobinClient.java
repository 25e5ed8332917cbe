package io.coord.examples.registry;

import io.coord.Subscription;
import io.coord.group.GroupEvent;
import io.coord.group.GroupView;
import io.coord.group.Member;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client of {@code user-service} that knows the instances only from the registry: a watch of the group keeps its
 * list of endpoints, and each request goes to the next endpoint of that list (round robin). A request that fails
 * (an instance that died but is still registered) is retried on the next one.
 *
 * <p>Threads: the watch updates {@code endpoints} (and records departures) on the coordinator's event thread; the
 * caller's thread sends requests. The departure time of a member is recorded after the list without it is in
 * place, and a request's choice time is taken before the list is read, so "chosen after the registry reported the
 * member gone" is a fact about the client, which {@link #routedAfterGone()} reports.
 */
final class RoundRobinClient implements AutoCloseable {

    /** One request's choice of instance. */
    record Route(String memberId, long chosenAtNanos, boolean ok) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
    private final Subscription watch;
    private volatile List<Member> endpoints = List.of();
    /** Member id → when the registry reported it gone (removed when it joins again). */
    private final Map<String, Long> goneAt = new ConcurrentHashMap<>();
    private final List<Route> routes = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger next = new AtomicInteger();

    RoundRobinClient(GroupView registry, java.util.function.Consumer<GroupEvent> onChange) {
        this.watch = registry.watch(e -> {
            endpoints = e.snapshot().members();
            e.member().ifPresent(m -> {
                if (e.type() == GroupEvent.Type.LEFT) {
                    goneAt.put(m.id(), System.nanoTime());
                } else if (e.type() == GroupEvent.Type.JOINED) {
                    goneAt.remove(m.id());
                }
            });
            onChange.accept(e);
        });
    }

    /** Sends one request, trying each known endpoint at most once; false if none answered. */
    boolean send() throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            long chosenAt = System.nanoTime();
            List<Member> known = endpoints;
            if (known.isEmpty() || attempt >= known.size()) {
                return false;
            }
            Member target = known.get(Math.floorMod(next.getAndIncrement(), known.size()));
            Long gone = goneAt.get(target.id());
            if (gone != null && chosenAt > gone) {
                violations.add(target.id() + " chosen " + (chosenAt - gone) / 1_000_000 + " ms after the registry reported it gone");
            }
            boolean ok = call(target);
            routes.add(new Route(target.id(), chosenAt, ok));
            if (ok) {
                return true;
            }
        }
    }

    private boolean call(Member target) throws InterruptedException {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + target.metadata() + "/user"))
                    .timeout(Duration.ofMillis(500)).build();
            return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Requests per member id: answered and failed. */
    Map<String, int[]> tally() {
        Map<String, int[]> t = new java.util.TreeMap<>();
        synchronized (routes) {
            for (Route r : routes) {
                t.computeIfAbsent(r.memberId(), k -> new int[2])[r.ok() ? 0 : 1]++;
            }
        }
        return t;
    }

    /** Answered requests of one member id. */
    int answeredBy(String memberId) {
        int[] t = tally().get(memberId);
        return t == null ? 0 : t[0];
    }

    /** Every request routed to a member after the registry had reported it gone (must be none). */
    List<String> routedAfterGone() {
        return List.copyOf(violations);
    }

    @Override
    public void close() {
        watch.close();
    }
}
