#!/usr/bin/env bash
# A local mirror of every artifact the platform pins (stacks/foundation/metastore-jars.json,
# stacks/compute/spark-jars.json, stacks/foundation/python-wheels.json), in the layouts the artifact cache's
# staging script reads: $MIRROR/maven2/<Maven repository path> and $MIRROR/pypi/<files.pythonhosted.org path>.
# The tests stage the in-cluster cache from it (MAVEN_SOURCE=file://$MIRROR/maven2, PYPI_SOURCE=file://$MIRROR/pypi),
# exactly as an air-gapped homelab points lakehouse:artifacts.source at its mirror, and the Hive Metastore
# harness starts from the jars it fetched back out of the cache.
# Jars come through Maven (its own checksums), wheels through pip download; every file is checked against the
# pinned sha256 before it enters the mirror. Idempotent: a file already there with the right sha256 stays.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}
MIRROR=${LAKEHOUSE_ARTIFACT_MIRROR:-$CACHE/artifact-mirror}
PY="${PYTHON:-python3}"

# One "source path sha256 coordinates" line per artifact, from the same JSON files the program pins.
mapfile -t list < <("$PY" -c '
import json
for f in ("stacks/foundation/metastore-jars.json", "stacks/compute/spark-jars.json"):
    for j in json.load(open(f)):
        print("maven", j["file"], j["sha256"], j["coordinate"])
w = json.load(open("stacks/foundation/python-wheels.json"))
for x in w["wheels"]:
    print("pypi", x["path"], x["sha256"], x["name"] + "==" + x["version"])
')
need=()
for line in "${list[@]}"; do
  read -r src rel sha coord <<<"$line"
  dir=maven2; [ "$src" = pypi ] && dir=pypi
  f="$MIRROR/$dir/$rel"
  if [ -f "$f" ] && [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sha" ]; then continue; fi
  need+=("$line")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "artifacts: $MIRROR holds all ${#list[@]} pinned artifacts (sha256 checked)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for line in "${need[@]}"; do
  read -r src rel sha coord <<<"$line"
  file=${rel##*/}
  if [ "$src" = maven ]; then
    command -v mvn >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends maven >/dev/null; }
    # Maven 3.8 prints bare colour resets even in quiet batch mode; keep the CI log clean.
    mvn -q -B -ntp dependency:copy -Dartifact="$coord" -DoutputDirectory="$work" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
    dest="$MIRROR/maven2/$rel"
  else
    "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
      --platform manylinux1_x86_64 --python-version 3.11 --implementation cp --abi cp311 -d "$work" "$coord"
    dest="$MIRROR/pypi/$rel"
  fi
  got=$(sha256sum "$work/$file" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    echo "artifacts: $coord ($file) downloaded with sha256 $got, expected $sha; not mirrored." >&2
    exit 1
  fi
  mkdir -p "$(dirname "$dest")"
  mv "$work/$file" "$dest"
done
echo "artifacts: mirrored ${#need[@]} of ${#list[@]} pinned artifacts into $MIRROR (sha256 checked)"
