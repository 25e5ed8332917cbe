#!/usr/bin/env bash
# Runs every test of coord against real servers: installs etcd and redis-server when they are
# missing (as root, from Debian packages; otherwise says what to install), then builds the whole
# reactor and runs the conformance kit on ZooKeeper (in-process), etcd and Redis (started by the
# tests on loopback ports), plus the example, and installs it so that scripts/check-bom.sh can use coord-bom
# as an application would. Then, on the Temurin 25 JDK installed beside Java 17:
# ZooKeeper's kit and fault suite on a single server, every backend's virtual-thread rules
# (tagged virtual-threads, excluded from the Java 17 run), and the integration modules' tests (Micrometer, Spring
# Integration, ShedLock, the Boot starter). Extra arguments go to the first Maven run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-servers.sh
mvn -B -ntp install "$@"
bash scripts/check-bom.sh

jdk25=$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -n 1 || true)
if [ -z "$jdk25" ]; then
  echo "test-all: no Temurin 25 JDK under /usr/lib/jvm (install temurin-25-jdk); the Java 25 run is part of the tests" >&2
  exit 1
fi
echo "test-all: Java 25 run with $jdk25"
java25() { JAVA_HOME="$jdk25" mvn -B -ntp surefire:test -Dcoord.excludedGroups= -Dsurefire.failIfNoSpecifiedTests=false "$@"; }
java25 -pl coord-zookeeper -Dtest='ZooKeeperSingleServerKitTest,ZooKeeperSingleServerFaultTest'
java25 -pl coord-etcd,coord-redis -Dtest='EtcdSingleNodeKitTest,RedisSingleServerKitTest' -Dgroups=virtual-threads
java25 -pl coord-micrometer,coord-spring-integration,coord-shedlock,coord-spring-boot-starter
