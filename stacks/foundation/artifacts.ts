/**
 * Jars the `apache/hive` image lacks, pinned by version AND content. The image has no PostgreSQL JDBC driver,
 * no hadoop-aws and no AWS SDK bundle; an init container downloads these from Maven Central and refuses any
 * file whose sha256 differs from the one pinned here (a compromised or truncated download never reaches the
 * classpath). The sums were computed from the files and match Maven Central's published `.sha1`/`.sha256`.
 *
 * Why a verified download instead of a custom image: the homelab has no image build pipeline or registry to
 * keep patched, and the upstream image stays the one Apache publishes. The cost is ~310 MB fetched when a pod
 * starts on a node (cached in the pod's emptyDir across container restarts). To avoid it, build an image
 * `FROM apache/hive:4.0.0` with these jars in /opt/hive/lib, set `lakehouse:images.metastore` to it, and set
 * `HiveMetastoreArgs.fetchJars` to false (docs/runbooks/foundation.md).
 */

export interface PinnedJar {
  /** Maven coordinates `group:artifact:version`. */
  readonly coordinates: string;
  /** File name in /opt/hive/lib. */
  readonly file: string;
  /** Lower-case hex sha256 of the jar. */
  readonly sha256: string;
  /** Why the metastore needs it. */
  readonly why: string;
}

function jar(coordinates: string, sha256: string, why: string): PinnedJar {
  const [, artifact, version] = coordinates.split(":");
  return { coordinates, file: `${artifact}-${version}.jar`, sha256, why };
}

/** Jars for the metastore's classpath. hadoop-aws must match the image's Hadoop (3.3.6 in apache/hive:4.0.0). */
export const METASTORE_JARS: readonly PinnedJar[] = [
  jar(
    "org.postgresql:postgresql:42.7.4",
    "188976721ead8e8627eb6d8389d500dccc0c9bebd885268a3047180274a6031e",
    "JDBC driver for the PostgreSQL metastore database",
  ),
  jar(
    "org.apache.hadoop:hadoop-aws:3.3.6",
    "fba9eb73e6f0f5458355627fe095f5124705d4048551f4d6aa4084777b824c13",
    "S3A filesystem, same version as the image's Hadoop 3.3.6",
  ),
  jar(
    "com.amazonaws:aws-java-sdk-bundle:1.12.367",
    "5e51f896c86c922c254c0184d91a1957929d12c3f1d6fe17aae65909230bc125",
    "AWS SDK v1 that hadoop-aws 3.3.6 was built against",
  ),
];

/** The Prometheus JMX exporter Java agent (metrics on METASTORE_METRICS_PORT). */
export const JMX_EXPORTER_JAR: PinnedJar = jar(
  "io.prometheus.jmx:jmx_prometheus_javaagent:1.0.1",
  "7d61f737fd661610ccc14aea79764faa1ea94a340cbc8f0029b3d2edea3d80c1",
  "exports the metastore's JMX metrics to Prometheus",
);

/** Path of a jar below a Maven repository root. */
export function mavenPath(j: PinnedJar): string {
  const [group, artifact, version] = j.coordinates.split(":");
  return `${group.replace(/\./g, "/")}/${artifact}/${version}/${j.file}`;
}

/**
 * A POSIX sh script (busybox or coreutils) that downloads each jar into `$JARS_DIR` (default /jars) from
 * `$MAVEN_REPO` (default Maven Central; point it at a mirror if the cluster has no internet) and verifies its
 * sha256. A file already present with the right sum is kept (container restarts do not re-download). Exit 1
 * with a message naming the jar, the expected and the seen sum when a download does not verify. Pure.
 */
export function renderFetchJarsScript(jars: readonly PinnedJar[]): string {
  const lines = [
    "#!/bin/sh",
    "# Rendered by lakehouse (stacks/foundation/artifacts.ts): fetch pinned jars and verify their sha256.",
    "set -eu",
    'JARS_DIR="${JARS_DIR:-/jars}"',
    'MAVEN_REPO="${MAVEN_REPO:-https://repo1.maven.org/maven2}"',
    'mkdir -p "$JARS_DIR"',
    "fetch() {",
    '  file="$1"; path="$2"; want="$3"',
    '  if [ -f "$JARS_DIR/$file" ] && [ "$(sha256sum "$JARS_DIR/$file" | cut -d " " -f 1)" = "$want" ]; then',
    '    echo "$file: present, sha256 verified"; return 0',
    "  fi",
    '  rm -f "$JARS_DIR/$file.part"',
    '  if ! curl -fsSL --retry 5 --retry-delay 3 --connect-timeout 20 --max-time 1200 -o "$JARS_DIR/$file.part" "$MAVEN_REPO/$path"; then',
    '    echo "Could not download $file from $MAVEN_REPO/$path; check the cluster can reach it or set MAVEN_REPO to a mirror." >&2',
    "    exit 1",
    "  fi",
    '  seen="$(sha256sum "$JARS_DIR/$file.part" | cut -d " " -f 1)"',
    '  if [ "$seen" != "$want" ]; then',
    '    rm -f "$JARS_DIR/$file.part"',
    '    echo "Refusing $file from $MAVEN_REPO/$path: sha256 is $seen, expected $want (pinned in stacks/foundation/artifacts.ts)." >&2',
    "    exit 1",
    "  fi",
    '  mv "$JARS_DIR/$file.part" "$JARS_DIR/$file"',
    '  echo "$file: downloaded, sha256 verified"',
    "}",
  ];
  for (const j of jars) {
    if (!/^[0-9a-f]{64}$/.test(j.sha256)) {
      throw new Error(
        `The pinned sha256 of ${j.coordinates} is "${j.sha256}"; expected 64 lower-case hex digits.`,
      );
    }
    lines.push(`fetch '${j.file}' '${mavenPath(j)}' '${j.sha256}'`);
  }
  lines.push("");
  return lines.join("\n");
}
