#!/usr/bin/env bash
# Runs every test of coord against real servers: installs etcd and redis-server when they are
# missing (as root, from Debian packages; otherwise says what to install), then builds the whole
# reactor and runs the conformance kit on ZooKeeper (in-process), etcd and Redis (started by the
# tests on loopback ports), plus the example. Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-servers.sh
exec mvn -B -ntp verify "$@"
