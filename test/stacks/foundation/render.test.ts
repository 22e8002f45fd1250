/**
 * The foundation's pure renderers and helpers: metastore-site.xml (parsed by a real XML parser, Python's
 * xml.etree), the pinned artifacts and their cache script's render-time checks (the script runs for real on
 * radosgw in test/foundation-scripts/artifact-cache.test.ts), the AWS CLI PATH wrapper (run with bash), heap sizing and the schema Job hash.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  artifactVolumeSize,
  cacheKey,
  JMX_EXPORTER_JAR,
  METASTORE_JARS,
  platformArtifacts,
  renderArtifactScript,
} from "../../../stacks/platform/artifacts";
import { AWS_CLI_BIN, awsCliBundle, withAwsCliOnPath } from "../../../stacks/platform/awsCli";
import { jvmHeapMiB } from "../../../stacks/platform/pods";
import { schemaJobHash } from "../../../stacks/foundation/hiveMetastore";
import { FOUNDATION_NAMES } from "../../../stacks/foundation/names";
import { ANALYTICS_NAMES } from "../../../stacks/analytics/names";
import { configSchema } from "../../../preflight/config/schema";
import {
  DEFAULT_LOCK_TIMEOUT_SECONDS,
  LOCK_HOUSEKEEPING_INTERVAL_SECONDS,
  LOCK_METRICS_INTERVAL_SECONDS,
  lockReleaseBoundSeconds,
  metastoreSiteProperties,
  renderMetastoreSite,
  type MetastoreSiteInput,
} from "../../../stacks/foundation/metastoreSite";
import { inClusterS3Endpoint } from "../../../stacks/platform/s3";

const INPUT: MetastoreSiteInput = {
  jdbcUrl: "jdbc:postgresql://metastore-db.lakehouse.svc:5432/metastore",
  warehouseBucket: "lakehouse-warehouse",
  s3Endpoint: "http://rook-ceph-rgw-storage.storage.svc:80",
  s3Region: "us-east-1",
};

/** Parses Hadoop configuration XML with Python's xml.etree (a real, strict parser) into name -> value. */
function parseHadoopXml(xml: string): Record<string, string> {
  const py = [
    "import sys, json, xml.etree.ElementTree as ET",
    "root = ET.fromstring(sys.stdin.buffer.read())",
    "assert root.tag == 'configuration', root.tag",
    "out = {}",
    "for p in root.findall('property'):",
    "    out[p.findtext('name')] = p.findtext('value')",
    "print(json.dumps(out))",
  ].join("\n");
  const r = spawnSync("python3", ["-c", py], { input: xml, encoding: "utf8", timeout: 30_000 });
  if (r.error) throw new Error(`python3 is needed to parse XML in this test: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`not well-formed XML: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe("foundation renderers", () => {
  describe("renderMetastoreSite", () => {
    it("is well-formed XML with the keys Hive and S3A expect, for the configured endpoint", () => {
      const props = parseHadoopXml(renderMetastoreSite(INPUT));
      assert.equal(props["javax.jdo.option.ConnectionURL"], INPUT.jdbcUrl);
      assert.equal(props["javax.jdo.option.ConnectionDriverName"], "org.postgresql.Driver");
      assert.equal(props["metastore.warehouse.dir"], "s3a://lakehouse-warehouse/warehouse");
      assert.equal(props["metastore.thrift.port"], "9083");
      assert.equal(props["datanucleus.schema.autoCreateAll"], "false");
      assert.equal(props["fs.s3a.endpoint"], "http://rook-ceph-rgw-storage.storage.svc:80");
      assert.equal(props["fs.s3a.endpoint.region"], "us-east-1");
      assert.equal(props["fs.s3a.path.style.access"], "true");
      assert.equal(props["fs.s3a.connection.ssl.enabled"], "false");
      assert.equal(props["fs.s3a.impl"], "org.apache.hadoop.fs.s3a.S3AFileSystem");
      assert.equal(props["fs.s3.impl"], "org.apache.hadoop.fs.s3a.S3AFileSystem");
      assert.equal(
        props["fs.s3a.aws.credentials.provider"],
        "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
      );
      assert.deepEqual(
        Object.keys(props),
        metastoreSiteProperties(INPUT).map((p) => p.name),
      );
    });

    it("https endpoints turn SSL on; a trailing slash is dropped", () => {
      const props = parseHadoopXml(renderMetastoreSite({ ...INPUT, s3Endpoint: "https://s3.lan:8443/" }));
      assert.equal(props["fs.s3a.connection.ssl.enabled"], "true");
      assert.equal(props["fs.s3a.endpoint"], "https://s3.lan:8443");
    });

    it("holds no credential: no key, secret or password property", () => {
      const names = Object.keys(parseHadoopXml(renderMetastoreSite(INPUT)));
      for (const n of names) {
        assert.doesNotMatch(n, /access\.key|secret\.key|ConnectionPassword|ConnectionUserName/i, n);
      }
    });

    it("turns lock housekeeping on in every replica, with the lock timeout from config (300 s by default)", () => {
      const props = parseHadoopXml(renderMetastoreSite(INPUT));
      assert.equal(props["metastore.housekeeping.threads.on"], "true");
      assert.equal(props["metastore.housekeeping.leader.election"], "host");
      // Empty: no replica is singled out, each runs AcidHouseKeeperService (they take turns on a DB mutex).
      assert.equal(props["metastore.housekeeping.leader.hostname"], "");
      assert.equal(props["metastore.txn.timeout"], `${DEFAULT_LOCK_TIMEOUT_SECONDS}s`);
      assert.equal(
        DEFAULT_LOCK_TIMEOUT_SECONDS,
        configSchema.parse({}).foundation.metastoreLockTimeoutSeconds,
      );
      assert.equal(props["metastore.acid.housekeeper.interval"], `${LOCK_HOUSEKEEPING_INTERVAL_SECONDS}s`);
      assert.equal(props["metastore.acidmetrics.check.interval"], `${LOCK_METRICS_INTERVAL_SECONDS}s`);
      const custom = parseHadoopXml(renderMetastoreSite({ ...INPUT, lockTimeoutSeconds: 900 }));
      assert.equal(custom["metastore.txn.timeout"], "900s");
      assert.equal(lockReleaseBoundSeconds(900), 930);
    });

    it("bounds the lock timeout: above Iceberg's 240 s heartbeat by default, 60-3600 s when set", () => {
      const timeout = (v: unknown) =>
        configSchema.parse({ foundation: { metastoreLockTimeoutSeconds: v } }).foundation
          .metastoreLockTimeoutSeconds;
      assert.ok(
        DEFAULT_LOCK_TIMEOUT_SECONDS > 240,
        "Iceberg's Java writers heartbeat a held lock every 240 s",
      );
      assert.equal(timeout("120"), 120);
      assert.throws(() => timeout(59), />=60/);
      assert.throws(() => timeout(3601), /<=3600/);
      assert.throws(() => timeout(90.5), /int/);
    });

    it("escapes XML special characters in values", () => {
      const jdbcUrl = "jdbc:postgresql://db:5432/metastore?ssl=true&sslmode=require&x=<y>";
      const props = parseHadoopXml(renderMetastoreSite({ ...INPUT, jdbcUrl }));
      assert.equal(props["javax.jdo.option.ConnectionURL"], jdbcUrl);
    });

    it("refuses a bad endpoint or bucket with a sentence naming the key", () => {
      assert.throws(() => renderMetastoreSite({ ...INPUT, s3Endpoint: "rgw:80" }), /foundation\.s3Endpoint/);
      assert.throws(() => renderMetastoreSite({ ...INPUT, s3Endpoint: "ftp://rgw" }), /scheme "ftp:".*http/);
      assert.throws(
        () => renderMetastoreSite({ ...INPUT, warehouseBucket: "Bad_Bucket" }),
        /foundation\.warehouseBucket/,
      );
    });
  });

  describe("in-cluster endpoint and heap", () => {
    it("defaults to the RGW Service on port 80, or takes foundation.s3Endpoint", () => {
      assert.equal(
        inClusterS3Endpoint(configSchema.parse({})),
        "http://rook-ceph-rgw-storage.storage.svc:80",
      );
      assert.equal(
        inClusterS3Endpoint(
          configSchema.parse({ cluster: { cephNamespace: "rook-ceph", rgwService: "rgw" } }),
        ),
        "http://rgw.rook-ceph.svc:80",
      );
      assert.equal(
        inClusterS3Endpoint(configSchema.parse({ foundation: { s3Endpoint: "https://s3.lan/" } })),
        "https://s3.lan",
      );
    });

    it("sizes the heap at 75 % of the memory limit, at least 256 MiB", () => {
      assert.equal(jvmHeapMiB({ replicas: 1, cpu: "1", memory: "1Gi" }), 768);
      assert.equal(jvmHeapMiB({ replicas: 1, cpu: "1", memory: "1Gi", memoryLimit: "4Gi" }), 3072);
      assert.equal(jvmHeapMiB({ replicas: 1, cpu: "1", memory: "128Mi" }), 256);
    });

    it("names a new schema Job exactly when the image or a jar changes", () => {
      const a = schemaJobHash("apache/hive:4.0.0", METASTORE_JARS);
      assert.equal(a, schemaJobHash("apache/hive:4.0.0", [...METASTORE_JARS]));
      assert.notEqual(a, schemaJobHash("apache/hive:4.0.1", METASTORE_JARS));
      assert.notEqual(a, schemaJobHash("apache/hive:4.0.0", METASTORE_JARS.slice(1)));
    });
  });

  describe("pinned artifacts", () => {
    it("pins every artifact by version and a 64-hex sha256, with its source path and size", () => {
      for (const a of platformArtifacts()) {
        assert.match(a.sha256, /^[0-9a-f]{64}$/, a.coordinates);
        assert.ok(a.bytes > 0, a.coordinates);
        assert.ok(a.path.endsWith(`/${a.file}`), a.coordinates);
        assert.equal(cacheKey(a), `${a.source}/${a.path}`);
        if (a.source === "maven") assert.match(a.coordinates, /^[\w.-]+:[\w.-]+:\d[\w.-]*$/, a.coordinates);
        else assert.match(a.coordinates, /^[\w.-]+==[\w.]+$/, a.coordinates);
      }
      const keys = platformArtifacts().map(cacheKey);
      assert.equal(new Set(keys).size, keys.length);
      assert.equal(METASTORE_JARS[0].path, "org/postgresql/postgresql/42.7.4/postgresql-42.7.4.jar");
      // hadoop-aws must match the Hadoop inside apache/hive:4.0.0 (3.3.6), the SDK modules its 1.12.367.
      assert.ok(METASTORE_JARS.some((j) => j.coordinates === "org.apache.hadoop:hadoop-aws:3.3.6"));
      assert.ok(!platformArtifacts().some((a) => a.coordinates.includes("aws-java-sdk-bundle")));
      assert.equal(JMX_EXPORTER_JAR.file, "jmx_prometheus_javaagent-1.0.1.jar");
    });

    it("the pods' script has no stage mode and no public URL; the staging script has both", () => {
      const pods = renderArtifactScript(platformArtifacts(), { stage: false });
      assert.doesNotMatch(pods, /https?:\/\//);
      assert.doesNotMatch(pods, /stage\(\)/);
      const staging = renderArtifactScript(platformArtifacts());
      assert.match(staging, /MAVEN_SOURCE="\$\{MAVEN_SOURCE:-https:\/\/repo1\.maven\.org\/maven2\}"/);
      assert.match(staging, /PYPI_SOURCE="\$\{PYPI_SOURCE:-https:\/\/files\.pythonhosted\.org\}"/);
    });

    it("rejects a malformed pinned checksum or an unquotable name at render time", () => {
      const a = METASTORE_JARS[0];
      assert.throws(
        () => renderArtifactScript([{ ...a, sha256: "abc" }]),
        /postgresql:42\.7\.4.*64 lower-case hex/,
      );
      assert.throws(() => renderArtifactScript([{ ...a, file: "x'; rm -rf /" }]), /cannot quote safely/);
    });

    it("sizes a pod's artifact volume for its files plus one partial download", () => {
      assert.equal(artifactVolumeSize([{ ...METASTORE_JARS[0], bytes: 10 * 2 ** 20 }]), "36Mi");
      assert.equal(artifactVolumeSize([]), "16Mi");
    });
  });

  describe("AWS CLI bundle", () => {
    it("runs the script with the CLI's bin dir in front of the image's PATH", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-awscli-"));
      try {
        const script = path.join(dir, "print-path.sh");
        fs.writeFileSync(script, 'printf "%s" "$PATH"\n');
        const [cmd, ...args] = withAwsCliOnPath(script);
        const r = spawnSync(cmd, args, { encoding: "utf8", env: { PATH: "/usr/bin:/bin" }, timeout: 10_000 });
        assert.equal(r.status, 0, r.stderr);
        // First the CLI, then the image's own PATH (this machine's bash may add entries of its own).
        assert.ok(r.stdout.startsWith(`${AWS_CLI_BIN}:`), r.stdout);
        assert.ok(r.stdout.endsWith(":/usr/bin:/bin"), r.stdout);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("copies the bundle into a volume mounted at the same path in the consumer (absolute symlinks resolve)", () => {
      const b = awsCliBundle("amazon/aws-cli:2.17.0");
      assert.equal(b.initContainer.image, "amazon/aws-cli:2.17.0");
      assert.match(b.initContainer.command[2], /^cp -R -P \/usr\/local\/aws-cli\/\. \/target\/ && /);
      assert.deepEqual(b.initContainer.volumeMounts, [{ name: "aws-cli", mountPath: "/target" }]);
      assert.deepEqual(b.volumeMount, { name: "aws-cli", mountPath: "/usr/local/aws-cli", readOnly: true });
      assert.equal(AWS_CLI_BIN, "/usr/local/aws-cli/v2/current/bin");
    });
  });
});

describe("runbook: the restore Job's command", () => {
  it("the documented jq filter turns the backup CronJob's Job into one run of restore.sh with the given arguments", () => {
    const runbook = fs.readFileSync(path.join(__dirname, "../../../docs/runbooks/foundation.md"), "utf8");
    const m = /jq --arg args "\$\*" '([\s\S]*?)' \|/.exec(runbook);
    assert.ok(m, "docs/runbooks/foundation.md has the restore_job jq filter");
    const job = {
      spec: {
        backoffLimit: 2,
        template: {
          spec: { containers: [{ name: "backup", command: withAwsCliOnPath("/scripts/backup.sh") }] },
        },
      },
    };
    const r = spawnSync("jq", ["-c", "--arg", "args", "--target-db metastore --replace", m![1]], {
      input: JSON.stringify(job),
      encoding: "utf8",
      timeout: 10_000,
    });
    if (r.error) throw new Error(`jq is needed (bash .ci/setup.d/20-jq.sh): ${r.error.message}`);
    assert.equal(r.status, 0, r.stderr);
    const spec = JSON.parse(r.stdout).spec as {
      backoffLimit: number;
      template: { spec: { containers: { command: string[] }[] } };
    };
    // Exits 7/8/9 are outcomes: the backup's retries would restore over the database again.
    assert.equal(spec.backoffLimit, 0);
    const command = spec.template.spec.containers[0]!.command;
    // Same wrapper as the CronJob (AWS CLI on PATH), running restore.sh with the arguments.
    assert.deepEqual(command.slice(0, 3), withAwsCliOnPath("/scripts/restore.sh").slice(0, 3));
    assert.deepEqual(command.slice(4), ["--target-db", "metastore", "--replace"]);
  });
  it("the restore steps name the program's objects and restore.sh's flags, and restore_job is valid bash", () => {
    const runbook = fs.readFileSync(path.join(__dirname, "../../../docs/runbooks/foundation.md"), "utf8");
    const start = runbook.indexOf("## Restore the metastore from a backup");
    const section = runbook.slice(start, runbook.indexOf("\n## ", start + 1));
    const named = (kind: string) =>
      [...new Set([...section.matchAll(new RegExp(`${kind}/([a-z0-9-]+)`, "g"))].map((m) => m[1]))].sort();
    assert.deepEqual(named("cronjob"), [ANALYTICS_NAMES.maintenance, FOUNDATION_NAMES.backup].sort());
    assert.deepEqual(named("deploy"), [FOUNDATION_NAMES.metastore]);
    assert.match(section, new RegExp(`ConfigMap \`${FOUNDATION_NAMES.backup}-scripts\``));
    // Every flag given to restore_job is one restore.sh parses.
    const restoreSh = fs.readFileSync(
      path.join(__dirname, "../../../stacks/foundation/scripts/restore.sh"),
      "utf8",
    );
    const flags = [...section.matchAll(/restore_job [a-z-]+\$\(date \+%s\)((?: [^`]+)?)`/g)].flatMap((m) =>
      [...m[1].matchAll(/--[a-z-]+/g)].map((f) => f[0]),
    );
    assert.ok(flags.includes("--replace") && flags.includes("--reconcile-only"), flags.join(" "));
    for (const f of flags) assert.match(restoreSh, new RegExp(`^    ${f}\\)`, "m"), `restore.sh has no ${f}`);
    const block = /```bash\n([\s\S]*?restore_job\(\)[\s\S]*?)```/.exec(section);
    assert.ok(block, "the restore_job block");
    const bash = spawnSync("bash", ["-n"], { input: block[1], encoding: "utf8" });
    assert.equal(bash.status, 0, bash.stderr);
  });
});
