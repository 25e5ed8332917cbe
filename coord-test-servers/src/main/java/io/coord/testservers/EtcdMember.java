package io.coord.testservers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One etcd member process started by the kit on fixed loopback ports with its own data directory.
 * Guarantees: {@link #kill()} (SIGKILL) and {@link #stop()} return after the process exited;
 * {@link #pause()} / {@link #resume()} use SIGSTOP / SIGCONT; {@link #restart()} starts the same
 * command line on the same ports and data directory (so the member keeps its id and data) and
 * returns once the process runs (use {@link #awaitHealthy(Duration)} to wait for it to serve).
 * A TLS member ({@link #isTls()}) serves clients on {@code https://} and answers the health probe on a plain
 * {@code http://} metrics URL ({@code --listen-metrics-urls}), so probes need no client certificate.
 */
public final class EtcdMember {
    private final String name;
    private final int clientPort;
    private final int peerPort;
    private final Path dataDir;
    private final ChildProcess process;
    private final boolean tls;
    private final int metricsPort;

    EtcdMember(String name, int clientPort, int peerPort, Path dataDir, ChildProcess process) {
        this(name, clientPort, peerPort, dataDir, process, false, 0);
    }

    EtcdMember(String name, int clientPort, int peerPort, Path dataDir, ChildProcess process, boolean tls, int metricsPort) {
        this.name = name;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.dataDir = dataDir;
        this.process = process;
        this.tls = tls;
        this.metricsPort = metricsPort;
    }

    /**
     * True when the member serves clients (and peers) over TLS with client certificates required.
     *
     * @return true for a member of a TLS cluster, fixed for its life
     */
    public boolean isTls() {
        return tls;
    }

    /**
     * The plain-HTTP URL answering {@code /health} and {@code /metrics}: the metrics URL of a TLS member, else
     * {@link #endpoint()}.
     *
     * @return a plain-HTTP URL on 127.0.0.1
     */
    public String probeEndpoint() {
        return metricsPort > 0 ? "http://127.0.0.1:" + metricsPort : endpoint();
    }

    /**
     * The member name ({@code --name}).
     *
     * @return the name, e.g. {@code m0}; stable across restarts
     */
    public String name() {
        return name;
    }

    /**
     * Client URL {@code http://127.0.0.1:<clientPort>}, or {@code https://} for a TLS member.
     *
     * @return the client URL; stable across restarts
     */
    public String endpoint() {
        return (tls ? "https" : "http") + "://127.0.0.1:" + clientPort;
    }

    /**
     * Client port.
     *
     * @return the loopback port clients connect to; stable across restarts
     */
    public int clientPort() {
        return clientPort;
    }

    /**
     * Peer port.
     *
     * @return the loopback port the other members connect to; stable across restarts
     */
    public int peerPort() {
        return peerPort;
    }

    /**
     * The member's data directory (kept across restarts).
     *
     * @return the directory (deleted with the cluster's temporary directory)
     */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * The member's stdout/stderr log.
     *
     * @return the log file, appended across restarts
     */
    public Path logFile() {
        return process.logFile();
    }

    /**
     * The underlying process (pid, log tail).
     *
     * @return the process; prefer this member's own fault methods to signal it
     */
    public ChildProcess process() {
        return process;
    }

    /** SIGKILL; returns after exit. */
    public void kill() {
        process.kill();
    }

    /** SIGTERM then SIGKILL after 5 s; returns after exit. */
    public void stop() {
        process.stop(Duration.ofSeconds(5));
    }

    /** SIGSTOP: the member stops answering anything until {@link #resume()}. */
    public void pause() {
        process.pause();
    }

    /** SIGCONT. */
    public void resume() {
        process.resume();
    }

    /** Kills the process if alive and starts it again on the same ports and data directory. */
    public void restart() {
        process.restart();
    }

    /**
     * True while the process exists (paused counts as alive).
     *
     * @return true unless killed, stopped or exited
     */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * True while paused.
     *
     * @return true between {@link #pause()} and {@link #resume()} (or a kill)
     */
    public boolean isPaused() {
        return process.isPaused();
    }

    /**
     * True when {@code /health} answers healthy within {@code timeout}.
     *
     * @param timeout the probe's bound
     * @return true if healthy; false on any failure (never throws)
     */
    public boolean isHealthy(Duration timeout) {
        return EtcdHttp.isHealthy(probeEndpoint(), timeout);
    }

    /**
     * Polls {@code /health} until healthy, at most {@code timeout}.
     *
     * @param timeout how long to poll (every 50 ms)
     * @throws IllegalStateException (with the log path and tail) when the member is not healthy in time
     */
    public void awaitHealthy(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd member " + name + " exited (code " + process.exitCode()
                        + "); log " + logFile() + ":\n" + process.logTail(30));
            }
            if (isHealthy(Duration.ofMillis(500))) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException("etcd member " + name + " not healthy within " + timeout + "; log "
                + logFile() + ":\n" + process.logTail(30));
    }

    /**
     * True when this member's metrics say it is the raft leader ({@code etcd_server_is_leader 1}); false if it does not answer.
     *
     * @param timeout the probe's bound
     * @return true if this member is the leader
     */
    public boolean isLeaderByMetrics(Duration timeout) {
        return EtcdHttp.isLeaderByMetrics(probeEndpoint(), timeout);
    }

    List<String> command() {
        return process.command();
    }

    @Override
    public String toString() {
        return "EtcdMember[" + name + ", " + endpoint() + ", peer " + peerPort + (tls ? ", metrics " + metricsPort : "") + "]";
    }
}
