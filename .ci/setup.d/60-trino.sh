#!/usr/bin/env bash
# Trino 476 for the tests: the server tarball (io.trino:trino-server:476, ~821 MB) and the CLI
# (io.trino:trino-cli:476:executable), from Maven Central through Maven, unpacked once per machine into
# ${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}/trino-server-476 (CLI at bin/trino-cli inside it).
# 476 is the newest trino-server on Maven Central and what the stacks pin; it needs Java 24+, which the
# machine image has as Temurin 25 (/usr/lib/jvm/temurin-25-jdk-amd64; Debian 12 only packages Java 17).
# Idempotent: skips everything when the install was completed; a lock keeps two concurrent runs apart.
set -euo pipefail
VERSION=476
CACHE=${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}
TRINO_HOME=${LAKEHOUSE_TRINO_HOME:-$CACHE/trino-server-$VERSION}
mkdir -p "$CACHE"
exec 9>"$CACHE/.trino-$VERSION.lock"
flock 9
if [ -f "$TRINO_HOME/.complete" ]; then
  echo "trino: $TRINO_HOME is complete ($(ls "$TRINO_HOME/lib" | wc -l) jars, CLI $TRINO_HOME/bin/trino-cli)"
  exit 0
fi
test -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java || echo "trino: warning: /usr/lib/jvm/temurin-25-jdk-amd64 is missing; Trino $VERSION needs Java 24+ to run" >&2
command -v mvn >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends maven >/dev/null; }
work=$(mktemp -d "$CACHE/.trino-download.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Maven 3.8 prints bare colour resets even in batch/quiet mode; keep the CI log clean (pipefail keeps the status).
mvnq() { mvn -q -B -ntp "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }
# dependency:copy writes the file where we ask and nothing else we keep; the local repository copy is
# deleted afterwards so the 821 MB are not stored twice.
mvnq dependency:copy -Dartifact=io.trino:trino-server:$VERSION:tar.gz -DoutputDirectory="$work"
mvnq dependency:copy -Dartifact=io.trino:trino-cli:$VERSION:jar:executable -DoutputDirectory="$work"
rm -rf "$HOME/.m2/repository/io/trino/trino-server/$VERSION"
mkdir -p "$work/unpacked"
tar -xzf "$work/trino-server-$VERSION.tar.gz" -C "$work/unpacked" --strip-components=1
test -x "$work/unpacked/bin/launcher"
install -m 0755 "$work/trino-cli-$VERSION-executable.jar" "$work/unpacked/bin/trino-cli"
touch "$work/unpacked/.complete"
rm -rf "$TRINO_HOME"
mv "$work/unpacked" "$TRINO_HOME"
echo "trino: installed $VERSION in $TRINO_HOME ($(ls "$TRINO_HOME/lib" | wc -l) jars, $(du -sh "$TRINO_HOME" | cut -f1)), CLI $TRINO_HOME/bin/trino-cli"
