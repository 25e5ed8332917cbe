#!/usr/bin/env bash
# Makes sure the real servers coord's tests need are installed: etcd (Debian package etcd-server),
# etcdctl (etcd-client: the Go client the etcd interop tests queue against), redis-server, and
# PostgreSQL (package postgresql, for coord-fencing's JDBC sink; its binaries live in
# /usr/lib/postgresql/<version>/bin, not on PATH). Idempotent: installs only what is missing, runs
# `apt-get update` at most once, and never starts a service (these Debian packages do not start one;
# the tests start their own
# servers on loopback ports with temporary data directories). ZooKeeper needs nothing: the tests
# run it in-process.
#
# As root with apt-get: installs the missing packages. Otherwise: prints what to install and exits 1.
set -euo pipefail

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
postgres_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [[ -x "$d/initdb" && -x "$d/postgres" ]]; then echo "$d"; fi
  done | sort -V | tail -n 1
}
[[ -n "$(postgres_bin)" ]] || missing+=(postgresql)
# redis-cli (package redis-tools, a dependency of redis-server) builds the test Redis Cluster;
# the kit falls back to plain CLUSTER commands without it, so it is not required on its own.

if ((${#missing[@]} > 0)); then
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "install-test-servers: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d 101 = "do not start services", in case a package on this system would try to.
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      created_policy=1
    fi
    status=0
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
    if ((created_policy)); then rm -f "$policy"; fi
    if ((status != 0)); then
      echo "install-test-servers: apt-get install ${missing[*]} failed (exit $status)" >&2
      exit "$status"
    fi
  else
    echo "install-test-servers: missing test servers: ${missing[*]}" >&2
    echo "  Install them as root (they do not start services):" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "  or point the tests at running servers:" >&2
    echo "    export COORD_ETCD_ENDPOINTS=http://127.0.0.1:2379   COORD_REDIS_URI=redis://127.0.0.1:6379" >&2
    echo "  or, outside CI only, skip them: -Dcoord.skip.etcd=true -Dcoord.skip.redis=true" >&2
    echo "  (PostgreSQL has no external option: the coord-fencing tests start their own from the package's binaries)" >&2
    exit 1
  fi
fi

for bin in etcd etcdctl redis-server; do
  if ! command -v "$bin" >/dev/null 2>&1; then
    echo "install-test-servers: $bin still missing after install" >&2
    exit 1
  fi
done

echo "install-test-servers: $(etcd --version 2>/dev/null | head -n 1) at $(command -v etcd)"
echo "install-test-servers: $(ETCDCTL_API=3 etcdctl version 2>/dev/null | head -n 1) at $(command -v etcdctl)"
echo "install-test-servers: $(redis-server --version) at $(command -v redis-server)"
pg="$(postgres_bin)"
if [[ -z "$pg" ]]; then
  echo "install-test-servers: postgresql still missing after install (no /usr/lib/postgresql/*/bin/initdb)" >&2
  exit 1
fi
echo "install-test-servers: $("$pg/postgres" --version) at $pg"
if command -v redis-cli >/dev/null 2>&1; then
  echo "install-test-servers: $(redis-cli --version) at $(command -v redis-cli)"
fi
