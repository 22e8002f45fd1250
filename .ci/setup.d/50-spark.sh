#!/usr/bin/env bash
# PySpark for the sample job's real test (stacks/compute/jobs/lakehouse_ingest.py): a venv with pyspark 3.5.8
# (the 3.5 line the pinned apache/spark image runs; it bundles Hadoop 3.3.4 and the Hive 2.3.9 client) and
# pyiceberg/pyarrow at the foundation's pins (the test reads the table back through pyiceberg too), plus the
# jars of SPARK_JARS (Iceberg's Spark runtime, hadoop-aws and the AWS SDK modules S3A needs, not the SDK bundle)
# from Maven Central, each checked against the sha256 in stacks/compute/spark-jars.json (the file
# stacks/compute/sparkConf.ts exports as SPARK_JARS and the artifact cache stages).
# Idempotent: the venv is kept while its packages are at their pins, a jar while its sha256 matches.
# Cold: ~430 MB venv (pyspark alone is ~320 MB) + 53 MB of jars.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}
VENV=${LAKEHOUSE_SPARK_VENV:-$CACHE/spark-venv}
JARS=${LAKEHOUSE_SPARK_JARS:-$CACHE/spark-jars}
PY="${PYTHON:-python3}"
pkgs=("pyspark==3.5.8" "pyiceberg[hive]==0.11.0" "pyarrow==21.0.0")

venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<'PYCHECK' 2>/dev/null
import importlib.metadata as m
for name, ver in {"pyspark": "3.5.8", "pyiceberg": "0.11.0", "pyarrow": "21.0.0", "thrift": None}.items():
    got = m.version(name)
    if ver and got != ver:
        raise SystemExit(1)
PYCHECK
}
if venv_ok; then
  echo "spark: $VENV already has pyspark 3.5.8, pyiceberg 0.11.0, pyarrow 21.0.0"
else
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${pkgs[@]}"
  venv_ok || { echo "spark: $VENV does not have the pinned packages after pip install" >&2; exit 1; }
fi

# PySpark 3.5 runs on Java 8/11/17 (not 21+): Debian 12's OpenJDK 17.
if ! [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
fi

# The jar list, one "coordinate file sha256" per line, from the same JSON SPARK_JARS is built from.
mapfile -t jars < <("$PY" -c '
import json, sys
for j in json.load(open("stacks/compute/spark-jars.json")):
    print(j["coordinate"], j["file"].rsplit("/", 1)[1], j["sha256"])
')
mkdir -p "$JARS"
# Hashing the jars takes a few seconds on a busy 2-core machine: a jar whose sha256 was checked is recorded in
# .verified with its size and mtime, and re-hashed only when either changed.
stamp() { printf '%s %s %s\n' "$1" "$2" "$(stat -c '%s %Y' "$JARS/$1")"; }
need=()
for line in "${jars[@]}"; do
  read -r coord file sha <<<"$line"
  if [ -f "$JARS/$file" ]; then
    if grep -qxF "$(stamp "$file" "$sha")" "$JARS/.verified" 2>/dev/null; then continue; fi
    if [ "$(sha256sum "$JARS/$file" | cut -d' ' -f1)" = "$sha" ]; then
      stamp "$file" "$sha" >>"$JARS/.verified"
      continue
    fi
  fi
  need+=("$line")
done
if [ ${#need[@]} -gt 0 ]; then
  command -v mvn >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends maven >/dev/null; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  for line in "${need[@]}"; do
    read -r coord file sha <<<"$line"
    # Maven 3.8 prints bare colour resets even in quiet batch mode; keep the CI log clean.
    mvn -q -B -ntp dependency:copy -Dartifact="$coord" -DoutputDirectory="$work" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
    got=$(sha256sum "$work/$file" | cut -d' ' -f1)
    if [ "$got" != "$sha" ]; then
      echo "spark: $coord downloaded with sha256 $got, expected $sha (stacks/compute/spark-jars.json); not installed." >&2
      exit 1
    fi
    mv "$work/$file" "$JARS/$file"
    stamp "$file" "$sha" >>"$JARS/.verified"
  done
fi
echo "spark: pyspark $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("pyspark"))') in $VENV; ${#jars[@]} jars in $JARS (sha256 checked)"
