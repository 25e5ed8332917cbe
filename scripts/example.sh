#!/usr/bin/env bash
# Runs one of coord's examples by name:  scripts/example.sh NAME [URI]
#
#   crontab      the distributed crontab (examples): six jobs sharded across three workers, fenced writes and
#                watermarks, retries and a paused job, a worker partitioned mid-run whose shards' missed ticks are
#                caught up
#   registry     service discovery (examples): three instances register host:port, a round-robin client fed by the
#                group's watch, one instance killed (SIGKILL), an absence alert, a newcomer gets traffic
#   spring-boot  the Spring Boot application (examples-spring-boot): @SchedulerLock, LockRegistry, leader events,
#                /actuator/health and /actuator/metrics, two instances, a graceful leader shutdown
#   worker-ids   worker-id allocation (examples): worker processes take numbered semaphore permits as Snowflake
#                worker ids, one is killed (SIGKILL), a newcomer gets its slot after its lease; no id repeats
#
# Without URI each runs on an embedded ZooKeeper; with one (e.g. etcd://127.0.0.1:2379/demo) on that backend.
# Builds what the example needs first (mvn install of its module and the modules it depends on, tests skipped).
# Maven options go in MAVEN_OPTS, e.g. MAVEN_OPTS=-Dmaven.repo.local=/path/to/repo scripts/example.sh crontab
# Runs the example in its own JVM (java -cp <the module's class path> MAIN [URI]; $JAVA_HOME/bin/java if set).
# Exits with the example's status (0: it did what it says; 1 if an invariant broke (the Spring Boot one also if its
# time bound passed); 2 for bad arguments or a bad URI); 2 for an unknown or missing NAME, with this list.
set -euo pipefail

usage() {
    cat >&2 <<'USAGE'
usage: scripts/example.sh NAME [URI]
examples:
  crontab      the distributed crontab: sharded jobs, each tick runs once, a crashed worker's ticks are caught up
  registry     service discovery: a killed instance stops getting traffic once the registry reports it gone
  spring-boot  a Spring Boot application: @SchedulerLock job, LockRegistry section, leader events, actuator
  worker-ids   Snowflake worker ids from semaphore slots: a killed worker's slot passes on after its lease
URI: a coord backend, e.g. etcd://127.0.0.1:2379/demo (default: an embedded ZooKeeper)
USAGE
}

case "${1:-}" in
    crontab) module=examples main=io.coord.examples.crontab.CrontabDemo ;;
    registry) module=examples main=io.coord.examples.registry.RegistryDemo ;;
    spring-boot) module=examples-spring-boot main=io.coord.examples.springboot.SpringBootDemo ;;
    worker-ids) module=examples main=io.coord.examples.workerids.WorkerIdsDemo ;;
    *) usage; exit 2 ;;
esac
shift
if [ $# -gt 1 ]; then
    usage
    exit 2
fi

cd "$(dirname "$0")/.."
mvn -B -q -pl "$module" -am install -DskipTests
# The example runs in a JVM of its own, not inside Maven's (exec:java would share Maven's class loader, logging
# and System.exit): the exec plugin (pinned in the root pom) only prints the module's runtime class path, and the
# script then replaces itself with `java -cp <that> MAIN [URI]`, so the example's exit status is the script's.
# (Into a file: Maven's console output may carry colour escapes.)
classpath_file=$(mktemp)
trap 'rm -f "$classpath_file"' EXIT
mvn -B -q -pl "$module" exec:exec -Dexec.executable=echo -Dexec.args=%classpath "-Dexec.outputFile=$classpath_file" >/dev/null
classpath=$(cat "$classpath_file")
rm -f "$classpath_file"
trap - EXIT
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$java" -cp "$classpath" "$main" "$@"
