#!/usr/bin/env bash
# Installs the test dependencies: runs every .ci/setup.d/*.sh in order. Each script is idempotent and fast
# when its packages are already present. Safe to run on a developer machine (Debian 12, root).
set -euo pipefail
cd "$(dirname "$0")/.."
for s in .ci/setup.d/*.sh; do
  [ -e "$s" ] || continue
  echo "-- $s"
  bash "$s"
done
