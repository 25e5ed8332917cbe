#!/usr/bin/env bash
# Runs one of coord's examples by name:  scripts/example.sh NAME [URI]
#
#   crontab      the distributed crontab (examples): three workers, fenced writes, a partitioned leader
#   spring-boot  the Spring Boot application (examples-spring-boot): @SchedulerLock, LockRegistry, leader events,
#                /actuator/health and /actuator/metrics, two instances, a graceful leader shutdown
#
# Without URI each runs on an embedded ZooKeeper; with one (e.g. etcd://127.0.0.1:2379/demo) on that backend.
# Builds what the example needs first (mvn install of its module and the modules it depends on, tests skipped).
# Maven options go in MAVEN_OPTS, e.g. MAVEN_OPTS=-Dmaven.repo.local=/path/to/repo scripts/example.sh crontab
# Exits with the example's status (0: it did what it says); 2 for an unknown or missing NAME, with this list.
set -euo pipefail

usage() {
    cat >&2 <<'USAGE'
usage: scripts/example.sh NAME [URI]
examples:
  crontab      the distributed crontab: three workers share a job, each tick runs once, a stale write is rejected
  spring-boot  a Spring Boot application: @SchedulerLock job, LockRegistry section, leader events, actuator
URI: a coord backend, e.g. etcd://127.0.0.1:2379/demo (default: an embedded ZooKeeper)
USAGE
}

case "${1:-}" in
    crontab) module=examples ;;
    spring-boot) module=examples-spring-boot ;;
    *) usage; exit 2 ;;
esac
shift
if [ $# -gt 1 ]; then
    usage
    exit 2
fi

cd "$(dirname "$0")/.."
mvn -B -q -pl "$module" -am install -DskipTests
if [ $# -eq 1 ]; then
    exec mvn -B -q -pl "$module" exec:java "-Dexec.args=$1"
else
    exec mvn -B -q -pl "$module" exec:java
fi
