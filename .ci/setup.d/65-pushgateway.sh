#!/usr/bin/env bash
# The Prometheus Pushgateway the table maintenance reports to (stacks/analytics/pushgateway.ts), for
# test/analytics/maintenance.test.ts: built from its Go module at the version the program's image pins
# (prom/pushgateway:v1.11.5 -> github.com/prometheus/pushgateway@v1.11.5) into the cache's bin dir. Debian 12
# packages 1.5.1 only. Idempotent: rebuilt only when missing or built for another version. ~1-2 min cold on 2
# cores; the wrapper module lives under the cache, nothing third-party is committed.
set -euo pipefail
CACHE=${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}
BIN=$CACHE/bin
VERSION=1.11.5
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
mkdir -p "$BIN/.versions"
command -v go >/dev/null || { echo "65-pushgateway: 'go' is not on PATH; install Go >= 1.26 (e.g. /usr/local/go/bin)" >&2; exit 1; }
if [ -x "$BIN/pushgateway" ] && [ "$(cat "$BIN/.versions/pushgateway" 2>/dev/null)" = "$VERSION" ]; then
  echo "pushgateway: v$VERSION already built"
  exit 0
fi
t0=$(date +%s)
echo "pushgateway: building v$VERSION ($(date -u +%H:%M:%S))"
GOBIN="$BIN/.pushgateway-build" go install -trimpath \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=$VERSION" \
  "github.com/prometheus/pushgateway@v$VERSION"
mv "$BIN/.pushgateway-build/pushgateway" "$BIN/pushgateway"
rmdir "$BIN/.pushgateway-build"
echo "$VERSION" >"$BIN/.versions/pushgateway"
"$BIN/pushgateway" --version 2>&1 | head -1
echo "pushgateway: built in $(($(date +%s) - t0)) s"
