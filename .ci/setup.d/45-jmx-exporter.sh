#!/usr/bin/env bash
# The Prometheus JMX exporter Java agent the metastore pods load (JMX_EXPORTER_JAR in
# stacks/platform/artifacts.ts: same coordinates, same sha256; the lock test compares them and names this
# script when they drift), so the real-engine test scrapes the metastore's metrics through the product's
# exporter rules. Idempotent: nothing is fetched when the verified jar is already cached.
set -euo pipefail
CACHE=${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}
VERSION=1.0.1
SHA256=7d61f737fd661610ccc14aea79764faa1ea94a340cbc8f0029b3d2edea3d80c1
JAR="$CACHE/jmx-exporter/jmx_prometheus_javaagent-$VERSION.jar"
if [ -f "$JAR" ] && echo "$SHA256  $JAR" | sha256sum -c --quiet - 2>/dev/null; then
  echo "jmx-exporter: $JAR"
  exit 0
fi
mkdir -p "$(dirname "$JAR")"
tmp="$JAR.tmp"
curl -fsSL --retry 3 --max-time 300 -o "$tmp" \
  "https://repo1.maven.org/maven2/io/prometheus/jmx/jmx_prometheus_javaagent/$VERSION/jmx_prometheus_javaagent-$VERSION.jar"
echo "$SHA256  $tmp" | sha256sum -c --quiet - || { rm -f "$tmp"; echo "jmx-exporter: sha256 mismatch" >&2; exit 1; }
mv "$tmp" "$JAR"
echo "jmx-exporter: $JAR"
