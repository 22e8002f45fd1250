#!/usr/bin/env bash
# jq: the runbook's restore procedure (docs/runbooks/foundation.md) builds its Job with jq, and a test runs that
# exact filter. Idempotent.
set -euo pipefail
if ! command -v jq >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends jq >/dev/null
fi
echo "jq: $(jq --version)"
