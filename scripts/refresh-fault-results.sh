#!/usr/bin/env bash
# Copies the fault table that the last test run generated (target/fault-results.md, written by the
# fault scenarios of every `scripts/test-all.sh` run) over the committed docs/fault-results.md.
# Tests never write tracked files; run this when you decide the committed copy should change.
set -euo pipefail
cd "$(dirname "$0")/.."
src=target/fault-results.md
if [[ ! -s $src ]]; then
  echo "refresh-fault-results: $src is missing; run ./scripts/test-all.sh first" >&2
  exit 1
fi
cp "$src" docs/fault-results.md
echo "refresh-fault-results: docs/fault-results.md now holds the table of $(sed -n 's/^last written \(.*\)\.$/\1/p' "$src")"
