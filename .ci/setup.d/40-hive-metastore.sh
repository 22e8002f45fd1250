#!/usr/bin/env bash
# Hive Metastore 4.0.0 (standalone) for the tests, from Maven Central: the metastore server and its
# dependencies and Hadoop 3.3.6 (what Hive 4.0.0 is built against: common, HDFS client, MapReduce core), copied
# flat into one lib dir: the stand-in for what the apache/hive:4.0.0 image brings. What the image lacks (the
# PostgreSQL JDBC driver, hadoop-aws and the AWS SDK modules S3A needs) is NOT here: the harness
# (harness/hive-metastore.ts) stages the program's pinned METASTORE_JARS (stacks/foundation/metastore-jars.json,
# mirrored by 45-artifacts.sh) into the artifact cache on radosgw and fetches them back with the pods' script,
# so the metastore the tests run starts from exactly the cached set the product's init container copies.
# Idempotent: skips the download when the lib dir was completed for this exact dependency list.
# 4.0.0, not 4.0.1+: 4.0.1 removed the get_table Thrift call Spark's Hive client uses (HIVE-26537).
set -euo pipefail
HMS_HOME=${LAKEHOUSE_HMS_HOME:-${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}/hive-metastore-4.0.0-base}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ex() { for ga in "$@"; do printf '<exclusion><groupId>%s</groupId><artifactId>%s</artifactId></exclusion>' "${ga%%:*}" "${ga##*:}"; done; }
# Log4j 1 bindings would fight Hive's log4j2 binding; jdk.tools does not exist on Java 9+;
# nothing of the AWS SDK may come in transitively (the pinned set must prove itself alone).
# hadoop-client-api (shaded, 3.3.5, via ORC) would duplicate hadoop-common's classes at another version.
common_ex=$(ex jdk.tools:jdk.tools org.slf4j:slf4j-log4j12 org.slf4j:slf4j-reload4j ch.qos.reload4j:reload4j log4j:log4j \
  org.apache.hadoop:hadoop-client-api 'com.amazonaws:*' software.amazon.ion:ion-java org.apache.hadoop:hadoop-aws \
  org.postgresql:postgresql)
dep() { printf '<dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version><exclusions>%s%s</exclusions></dependency>\n' "$1" "$2" "$3" "$common_ex" "${4:-}"; }
{
  echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
  echo '<groupId>lakehouse.test</groupId><artifactId>hms-classpath</artifactId><version>1</version><packaging>pom</packaging><dependencies>'
  dep org.apache.hive hive-standalone-metastore-server 4.0.0
  dep org.apache.hadoop hadoop-common 3.3.6
  dep org.apache.hadoop hadoop-hdfs-client 3.3.6
  # Only the jar: Warehouse.mkdirs catches hdfs's SnapshotException, whatever the file system.
  dep org.apache.hadoop hadoop-hdfs 3.3.6 "$(ex '*:*')"
  dep org.apache.hadoop hadoop-mapreduce-client-core 3.3.6
  echo '</dependencies></project>'
} >"$work/pom.xml"
sum=$(sha256sum "$work/pom.xml" | cut -c1-16)
if [ -f "$HMS_HOME/lib/.complete-$sum" ] && [ -d "$HMS_HOME/scripts" ]; then
  echo "hive-metastore: $HMS_HOME/lib is complete ($(ls "$HMS_HOME/lib" | wc -l) jars)"
  exit 0
fi
# Maven 3.8 prints bare colour resets even in batch/quiet mode; keep the CI log clean (exit status survives: pipefail).
mvnq() { mvn -q -B -ntp "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }
command -v mvn >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends maven >/dev/null; }
rm -rf "$HMS_HOME/lib.tmp"
mkdir -p "$HMS_HOME"
(cd "$work" && mvnq dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$HMS_HOME/lib.tmp")
# The schema SQL (and schematool's upgrade order files) ship only in the metastore's binary tarball, which
# Maven Central carries as the `bin` classifier of the server artifact; take its scripts/ and conf/ only.
(cd "$work" && mvnq dependency:copy -Dartifact=org.apache.hive:hive-standalone-metastore-server:4.0.0:tar.gz:bin \
  -DoutputDirectory="$work")
rm -rf "$HMS_HOME/scripts" "$HMS_HOME/conf"
tar -xzf "$work/hive-standalone-metastore-server-4.0.0-bin.tar.gz" -C "$HMS_HOME" --strip-components=1 \
  apache-hive-metastore-4.0.0-bin/scripts apache-hive-metastore-4.0.0-bin/conf
test -f "$HMS_HOME/scripts/metastore/upgrade/postgres/hive-schema-4.0.0.postgres.sql"
rm -rf "$HMS_HOME/lib"
mv "$HMS_HOME/lib.tmp" "$HMS_HOME/lib"
touch "$HMS_HOME/lib/.complete-$sum"
echo "hive-metastore: $(ls "$HMS_HOME/lib" | wc -l) jars in $HMS_HOME/lib, schema scripts in $HMS_HOME/scripts"
