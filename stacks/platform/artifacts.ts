/**
 * Every file the platform's pods need beyond their images, pinned by version AND content (sha256), and the one
 * script that moves them: from the public source (Maven Central, PyPI, or the mirror `lakehouse:artifacts.source`
 * names) into the in-cluster artifact cache once, and from the cache into each pod at start.
 *
 * - The Hive Metastore image (`apache/hive:4.0.0`) has no PostgreSQL JDBC driver and no S3A on its classpath:
 *   METASTORE_JARS (stacks/foundation/metastore-jars.json), plus the JMX exporter agent.
 * - The Spark image has no Iceberg and no S3A: SPARK_JARS (stacks/compute/spark-jars.json).
 * - The verification Jobs' `python:3.11` image has no pyiceberg or pyarrow: PYTHON_WHEELS
 *   (stacks/foundation/python-wheels.json).
 *
 * Where the bytes come from (docs/program.md, "The artifact cache"): the foundation's staging Job
 * (artifactCache.ts) fetches each pinned artifact from the source, refuses it unless its sha256 matches, and
 * stores it in the artifact bucket; a pod's init container reads it from there through the in-cluster RGW
 * endpoint and checks the sha256 again. No pod of the platform reaches the public internet at start.
 *
 * Why not the AWS SDK bundle: S3A needs the SDK's core, S3, KMS and STS modules (5 MB), not the 281-300 MB
 * bundle of every AWS service; the metastore and the PySpark sample job run on exactly these (tests on the real
 * radosgw: harness/hive-metastore.ts, test/compute-engines/; figures in docs/performance.md).
 */
import metastoreJars from "../foundation/metastore-jars.json";
import pythonWheels from "../foundation/python-wheels.json";
import sparkJars from "../compute/spark-jars.json";

/** Where an artifact comes from: a Maven repository or a PyPI file host (`lakehouse:artifacts.source`). */
type ArtifactSource = "maven" | "pypi";

export interface PinnedArtifact {
  readonly source: ArtifactSource;
  /** Maven coordinates `group:artifact:version`, or `name==version` for a wheel. */
  readonly coordinates: string;
  /** File name in the pod's folder (what the classpath or pip sees). */
  readonly file: string;
  /** Path below the source's base URL (Maven repository layout; PyPI's `packages/...` file path). */
  readonly path: string;
  /** Lower-case hex sha256 of the file. */
  readonly sha256: string;
  /** Size in bytes (figures, the cache's size, the emptyDir limits). */
  readonly bytes: number;
  /** Why the platform needs it. */
  readonly why: string;
}

/** A jar (kept as its own name: the metastore and Spark code speak of jars). */
export type PinnedJar = PinnedArtifact;

function fileOf(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

function mavenArtifact(j: {
  coordinate: string;
  file: string;
  sha256: string;
  bytes: number;
  why?: string;
}): PinnedArtifact {
  return Object.freeze({
    source: "maven" as const,
    coordinates: j.coordinate,
    file: fileOf(j.file),
    path: j.file,
    sha256: j.sha256,
    bytes: j.bytes,
    why: j.why ?? "",
  });
}

const metastoreList = metastoreJars.map((j) => ({ role: j.role, artifact: mavenArtifact(j) }));

/**
 * Jars for the metastore's classpath (mounted into /opt/hive/lib). hadoop-aws must match the image's Hadoop
 * (3.3.6 in apache/hive:4.0.0) and the SDK modules the version hadoop-aws 3.3.6 was built against (1.12.367).
 */
export const METASTORE_JARS: readonly PinnedJar[] = Object.freeze(
  metastoreList.filter((j) => j.role === "classpath").map((j) => j.artifact),
);

/** The Prometheus JMX exporter Java agent (metrics on METASTORE_METRICS_PORT). */
export const JMX_EXPORTER_JAR: PinnedJar = metastoreList.find((j) => j.role === "javaagent")!.artifact;

/** The Spark pods' jars (spark-jars.json, the list SPARK_JARS in stacks/compute/sparkConf.ts is built from). */
export const SPARK_ARTIFACTS: readonly PinnedJar[] = Object.freeze(
  sparkJars.map((j) => mavenArtifact({ ...j, why: "Spark conf (renderSparkConf)" })),
);

/** The Python packages the verification Jobs install (pip pins), and the wheels they resolve to. */
export const PYTHON_REQUIREMENTS: readonly string[] = Object.freeze([...pythonWheels.requirements]);

/** Every wheel of PYTHON_REQUIREMENTS for CPython 3.11 on linux x86_64; `forArrow` = needed only for pyarrow. */
export const PYTHON_WHEELS: readonly (PinnedArtifact & { readonly forArrow: boolean })[] = Object.freeze(
  pythonWheels.wheels.map((w) =>
    Object.freeze({
      source: "pypi" as const,
      coordinates: `${w.name}==${w.version}`,
      file: fileOf(w.path),
      path: w.path,
      sha256: w.sha256,
      bytes: w.bytes,
      why: `wheel for ${w.for} (verification Jobs)`,
      forArrow: w.for === "pyarrow",
    }),
  ),
);

/** The key of an artifact in the cache bucket: `<source>/<path>`, the source's own layout. */
export function cacheKey(a: PinnedArtifact): string {
  return `${a.source}/${a.path}`;
}

/**
 * Every artifact the staging Job puts into the cache: the union of the lists above, each key once, in a stable
 * order (metastore, Spark, Python). Other phases' artifacts belong here too: the cache is filled in the
 * foundation phase, before any workload that reads it.
 */
export function platformArtifacts(): PinnedArtifact[] {
  const seen = new Set<string>();
  const out: PinnedArtifact[] = [];
  for (const a of [...METASTORE_JARS, JMX_EXPORTER_JAR, ...SPARK_ARTIFACTS, ...PYTHON_WHEELS]) {
    const key = cacheKey(a);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(a);
  }
  return out;
}

/** Total bytes of a set of artifacts (what one pod reads from the cache on a cold start). */
export function totalBytes(list: readonly PinnedArtifact[]): number {
  return list.reduce((s, a) => s + a.bytes, 0);
}

/** Default public sources (`lakehouse:artifacts.source`). */
const DEFAULT_SOURCES: Readonly<Record<ArtifactSource, string>> = Object.freeze({
  maven: "https://repo1.maven.org/maven2",
  pypi: "https://files.pythonhosted.org",
});

const SHA256 = /^[0-9a-f]{64}$/;

/** `stage ...`: keep a verified cached copy, else fetch from the source, verify, store (see renderArtifactScript). */
const STAGE_FUNCTION: readonly string[] = [
  "stage() {",
  '  src="$1"; key="$2"; file="$3"; want="$4"; what="$5"; part="$TMPD/$file.part"',
  "  n=$((n + 1))",
  '  if cached "$key" "$part"; then',
  '    seen=$(sum "$part")',
  '    if [ "$seen" = "$want" ]; then',
  '      kept=$((kept + 1)); cache_bytes=$((cache_bytes + $(size "$part"))); rm -f "$part"',
  '      say "$file: cached, sha256 verified"; return 0',
  "    fi",
  "    restaged=$((restaged + 1))",
  '    say "$file: refusing the cached copy s3://$CACHE_BUCKET/$key: sha256 is $seen, expected $want; staging it again"',
  "  fi",
  '  case "$src" in maven) base="$MAVEN_SOURCE" ;; *) base="$PYPI_SOURCE" ;; esac',
  '  url="${base%/}/${key#*/}"',
  '  if ! curl -fsS -L --connect-timeout 10 --max-time 1200 --retry 2 --retry-delay 3 -o "$part" "$url" 2>"$TMPD/.curl-err"; then',
  '    rm -f "$part"',
  '    die "could not fetch $file ($what) from $url ($(cerr)); let the staging Job reach the source, or point lakehouse:artifacts.source at a mirror that holds it."',
  "  fi",
  '  seen=$(sum "$part")',
  '  if [ "$seen" != "$want" ]; then',
  '    rm -f "$part"',
  '    die "refusing $file ($what) from $url: sha256 is $seen, expected $want (pinned in stacks/foundation/artifacts.ts)."',
  "  fi",
  '  bytes=$(size "$part")',
  '  code=$(s3 PUT "$key" /dev/null -T "$part" -H "x-amz-content-sha256: $want" -H "x-amz-meta-sha256: $want" -H "content-type: application/octet-stream")',
  '  rm -f "$part"',
  '  [ "$code" = 200 ] || die "could not store $file in s3://$CACHE_BUCKET/$key at $CACHE_ENDPOINT (HTTP $code $(cerr)); check the bucket and its keys."',
  "  staged=$((staged + 1)); src_bytes=$((src_bytes + bytes))",
  '  say "$file: staged from $url, sha256 verified ($bytes bytes)"',
  "}",
];

/** In stage mode: make sure the bucket exists (RGW answers 404 to a listing of a missing bucket). */
const CREATE_BUCKET: readonly string[] = [
  'if [ "$MODE" = stage ]; then',
  '  code=$(s3 GET "?max-keys=0" /dev/null -H "x-amz-content-sha256: $EMPTY")',
  '  if [ "$code" = 404 ]; then',
  '    code=$(s3 PUT "" /dev/null -H "x-amz-content-sha256: $EMPTY")',
  '    [ "$code" = 200 ] || die "could not create the bucket $WHERE (HTTP $code); create it, or check its keys."',
  '    say "created the bucket $WHERE"',
  '  elif [ "$code" != 200 ]; then',
  '    die "could not read the bucket $WHERE (HTTP $code $(cerr)); check the endpoint and the keys of the bucket."',
  "  fi",
  "fi",
];
/** Characters a key, file or coordinate may hold in the rendered script (single-quoted shell words). */
const SAFE = /^[A-Za-z0-9._\-/:+=~[\]]+$/;

/**
 * The artifact cache's one POSIX sh script (busybox or coreutils, curl >= 7.75 for `--aws-sigv4`). Pure.
 *
 * `sh -c "$script" artifact-cache MODE`, with CACHE_ENDPOINT, CACHE_BUCKET, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_REGION from the environment:
 * - `stage` (the staging Job): for each artifact, read the cached copy and keep it when its sha256 matches;
 *   otherwise (absent, or corrupt: refused, named, replaced) fetch it from MAVEN_SOURCE / PYPI_SOURCE, refuse it
 *   unless its sha256 matches, and store it with `x-amz-content-sha256` set to the pinned digest, so the gateway
 *   itself rejects an upload whose bytes differ. Creates the bucket when missing (bucketMode s3-user).
 * - `fetch` (an init container): copy each artifact from the cache into ARTIFACTS_DIR, verifying its sha256; a
 *   file already there with the right sum is kept (container restarts read nothing). Never touches a public
 *   source: a missing or corrupt cached copy stops the pod with one line naming the artifact, the cache
 *   location and the fix.
 * - `check` (verify.artifact-cache): read every cached copy and report missing and corrupt ones.
 *
 * Each mode ends with one JSON line on stdout (`{"ok":...,"mode":...}`); progress lines start with
 * `artifact-cache:`. The bucket keys are handed to curl on stdin (`-K -`), never on a command line.
 */
export function renderArtifactScript(
  artifacts: readonly PinnedArtifact[],
  opts: { stage?: boolean } = {},
): string {
  // Pods get a script without the stage mode: no public source URL is in it at all.
  const withStage = opts.stage ?? true;
  for (const a of artifacts) {
    if (!SHA256.test(a.sha256)) {
      throw new Error(
        `The pinned sha256 of ${a.coordinates} is "${a.sha256}"; expected 64 lower-case hex digits.`,
      );
    }
    for (const v of [a.path, a.file, a.coordinates]) {
      if (!SAFE.test(v)) {
        throw new Error(
          `The artifact ${a.coordinates} has "${v}", which the cache script cannot quote safely.`,
        );
      }
    }
  }
  const lines = [
    "#!/bin/sh",
    "# Rendered by lakehouse (stacks/foundation/artifacts.ts): the in-cluster artifact cache. Modes: stage | fetch | check.",
    "set -eu",
    'MODE="${1:-fetch}"',
    "for v in CACHE_ENDPOINT CACHE_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do",
    '  eval "val=\\${$v:-}"',
    '  [ -n "$val" ] || { echo "artifact-cache: $v is not set; the pod spec must set it (stacks/foundation/artifactCache.ts)." >&2; exit 2; }',
    "done",
    'REGION="${AWS_REGION:-us-east-1}"',
    'DEST="${ARTIFACTS_DIR:-/artifacts}"',
    'TMPD="${TMPDIR:-/tmp}"',
    ...(withStage
      ? [
          `MAVEN_SOURCE="\${MAVEN_SOURCE:-${DEFAULT_SOURCES.maven}}"`,
          `PYPI_SOURCE="\${PYPI_SOURCE:-${DEFAULT_SOURCES.pypi}}"`,
        ]
      : []),
    'WHERE="s3://$CACHE_BUCKET at $CACHE_ENDPOINT"',
    'FIX="stage it with the Job artifact-cache-stage (pulumi up; if that Job already ran: pulumi up --replace with its URN), see docs/runbooks/foundation.md#artifact-cache"',
    "EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "n=0; kept=0; got=0; staged=0; restaged=0; src_bytes=0; cache_bytes=0; missing=''; corrupt=''",
    'say() { echo "artifact-cache: $*"; }',
    "# The JSON line first, the sentence last: a pod log's last line is then the one an operator reads.",
    'die() { printf \'{"event":"artifact-cache","ok":false,"mode":"%s","error":"%s"}\\n\' "$MODE" "$(printf %s "$*" | tr \'"\\\\\' "\'/")"; echo "artifact-cache: $*" >&2; exit 1; }',
    'sum() { sha256sum "$1" | cut -d " " -f 1; }',
    'size() { wc -c <"$1" | tr -d " "; }',
    "# The last curl error, on one line (it goes into messages and the JSON line).",
    'cerr() { head -c 200 "$TMPD/.curl-err" 2>/dev/null | tr "\\n\\"" " \'"; }',
    "# s3 METHOD KEY OUTFILE [curl args]: prints the HTTP status (000 = no answer). SigV4; keys on stdin.",
    "s3() {",
    '  m="$1"; k="$2"; o="$3"; shift 3',
    '  printf \'user = "%s:%s"\\n\' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" |',
    '    curl -K - -sS --connect-timeout 5 --max-time 900 --aws-sigv4 "aws:amz:$REGION:s3" -X "$m" -o "$o" \\',
    '      -w "%{http_code}" "$@" "$CACHE_ENDPOINT/$CACHE_BUCKET/$k" 2>"$TMPD/.curl-err" || true',
    "}",
    "# cached KEY OUT: 0 = read, 1 = absent (404); dies on any other answer.",
    "cached() {",
    '  code=$(s3 GET "$1" "$2" -H "x-amz-content-sha256: $EMPTY")',
    '  case "$code" in',
    "    200) return 0 ;;",
    '    404) rm -f "$2"; return 1 ;;',
    '    *) rm -f "$2"; die "could not read s3://$CACHE_BUCKET/$1 at $CACHE_ENDPOINT (HTTP $code $(cerr)); check that the object store answers and the keys of the bucket are right." ;;',
    "  esac",
    "}",
    ...(withStage ? STAGE_FUNCTION : []),
    "fetch() {",
    '  key="$2"; file="$3"; want="$4"; what="$5"; part="$DEST/$file.part"',
    "  n=$((n + 1))",
    '  if [ -f "$DEST/$file" ] && [ "$(sum "$DEST/$file")" = "$want" ]; then',
    '    kept=$((kept + 1)); say "$file: present, sha256 verified"; return 0',
    "  fi",
    '  cached "$key" "$part" || die "$file ($what) is not in the artifact cache (s3://$CACHE_BUCKET/$key at $CACHE_ENDPOINT); $FIX."',
    '  seen=$(sum "$part")',
    '  if [ "$seen" != "$want" ]; then',
    '    rm -f "$part"',
    '    die "$file ($what): the cached copy s3://$CACHE_BUCKET/$key at $CACHE_ENDPOINT has sha256 $seen, expected $want; the cache is corrupt, $FIX."',
    "  fi",
    '  cache_bytes=$((cache_bytes + $(size "$part"))); mv "$part" "$DEST/$file"; got=$((got + 1))',
    '  say "$file: fetched from the artifact cache, sha256 verified"',
    "}",
    "check() {",
    '  key="$2"; file="$3"; want="$4"; part="$TMPD/$file.part"',
    "  n=$((n + 1))",
    '  if ! cached "$key" "$part"; then missing="$missing${missing:+,}\\"$file\\""; return 0; fi',
    '  cache_bytes=$((cache_bytes + $(size "$part")))',
    '  if [ "$(sum "$part")" = "$want" ]; then kept=$((kept + 1)); else corrupt="$corrupt${corrupt:+,}\\"$file\\""; fi',
    '  rm -f "$part"',
    "}",
    "one() {",
    '  case "$MODE" in',
    ...(withStage ? ['    stage) stage "$@" ;;'] : []),
    '    fetch) fetch "$@" ;;',
    '    check) check "$@" ;;',
    '    *) echo "artifact-cache: unknown mode $MODE; expected stage, fetch or check." >&2; exit 2 ;;',
    "  esac",
    "}",
    'mkdir -p "$TMPD"',
    'if [ "$MODE" = fetch ]; then mkdir -p "$DEST"; fi',
    ...(withStage ? CREATE_BUCKET : []),
  ];
  for (const a of artifacts) {
    lines.push(`one '${a.source}' '${cacheKey(a)}' '${a.file}' '${a.sha256}' '${a.coordinates}'`);
  }
  lines.push(
    'case "$MODE" in',
    '  stage) printf \'{"event":"artifact-cache","ok":true,"mode":"stage","artifacts":%s,"cached":%s,"staged":%s,"restaged":%s,"bytesFromSource":%s,"bytesFromCache":%s}\\n\' "$n" "$kept" "$staged" "$restaged" "$src_bytes" "$cache_bytes" ;;',
    '  fetch) printf \'{"event":"artifact-cache","ok":true,"mode":"fetch","artifacts":%s,"present":%s,"fetched":%s,"bytesFromCache":%s}\\n\' "$n" "$kept" "$got" "$cache_bytes" ;;',
    "  check)",
    '    ok=true; [ -z "$missing$corrupt" ] || ok=false',
    '    printf \'{"event":"artifact-cache","ok":%s,"mode":"check","artifacts":%s,"verified":%s,"missing":[%s],"corrupt":[%s],"bytes":%s,"bucket":"%s"}\\n\' "$ok" "$n" "$kept" "$missing" "$corrupt" "$cache_bytes" "$CACHE_BUCKET"',
    '    [ "$ok" = true ] ;;',
    "esac",
    "",
  );
  return lines.join("\n");
}

/** Where pods read the cache (an in-cluster endpoint), and the Secret holding the bucket's keys. */
export interface CacheReader {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: {
    readonly secret: string;
    readonly accessKeyIdKey: string;
    readonly secretAccessKeyKey: string;
  };
}

/** The environment of the cache script: endpoint, bucket, region, and the keys by reference only. */
export function cacheEnv(r: CacheReader): {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}[] {
  return [
    { name: "CACHE_ENDPOINT", value: r.endpoint },
    { name: "CACHE_BUCKET", value: r.bucket },
    { name: "AWS_REGION", value: r.region },
    {
      name: "AWS_ACCESS_KEY_ID",
      valueFrom: { secretKeyRef: { name: r.credentials.secret, key: r.credentials.accessKeyIdKey } },
    },
    {
      name: "AWS_SECRET_ACCESS_KEY",
      valueFrom: { secretKeyRef: { name: r.credentials.secret, key: r.credentials.secretAccessKeyKey } },
    },
  ];
}

interface CacheFetchArgs {
  /** Container name. @default "fetch-artifacts" */
  readonly name?: string;
  /** Image with sh, curl >= 7.75 and sha256sum (`lakehouse:images.tools`). */
  readonly image: string;
  readonly artifacts: readonly PinnedArtifact[];
  /** The emptyDir volume the files land in, and where this container mounts it. */
  readonly volume: string;
  readonly dir: string;
  readonly reader: CacheReader;
  /**
   * Run the script from this path (a mounted ConfigMap holding `renderArtifactScript(artifacts, {stage:false})`);
   * unset: the script is inline in the command (a SparkApplication or a Job without a ConfigMap of its own).
   */
  readonly scriptPath?: string;
  /** Extra read-only mounts (the ConfigMap holding the script). */
  readonly extraMounts?: readonly { name: string; mountPath: string; readOnly: boolean }[];
}

/**
 * The init container that copies `artifacts` from the cache into `dir`, verifying each sha256 (fetch mode: no
 * public source, one clear line and exit 1 when the cache lacks or spoils a file). Plain Kubernetes JSON, so the
 * Pulumi components, the SparkApplication manifest and the verification Jobs share it. Pure.
 */
export function cacheFetchContainer(a: CacheFetchArgs) {
  return {
    name: a.name ?? "fetch-artifacts",
    image: a.image,
    imagePullPolicy: "IfNotPresent",
    command: a.scriptPath
      ? ["sh", a.scriptPath, "fetch"]
      : ["sh", "-c", renderArtifactScript(a.artifacts, { stage: false }), "artifact-cache", "fetch"],
    env: [
      ...cacheEnv(a.reader),
      { name: "ARTIFACTS_DIR", value: a.dir },
      // The root file system is read-only; curl's error file and partial downloads go to the volume.
      { name: "TMPDIR", value: a.dir },
    ],
    resources: {
      requests: { cpu: "50m", memory: "64Mi" },
      limits: { memory: "128Mi" },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [{ name: a.volume, mountPath: a.dir }, ...(a.extraMounts ?? []).map((m) => ({ ...m }))],
  };
}

/** An emptyDir for a set of artifacts: their size plus room for one partial download, rounded up to MiB. */
export function artifactVolumeSize(list: readonly PinnedArtifact[]): string {
  const largest = list.reduce((m, a) => Math.max(m, a.bytes), 0);
  return `${Math.ceil((totalBytes(list) + largest) / 2 ** 20) + 16}Mi`;
}
