/** The verification Jobs' manifests (pure): what runs where, with which image, env and references. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { V1EnvVar, V1Job } from "@kubernetes/client-node";
import { configSchema } from "../../preflight/config/schema";
import { foundationManifests, readScripts, SCRIPT_FILES } from "../../verify/foundation/manifests";
import { jobWheels, objectName } from "../../verify/kube/helperJob";
import { artifactVolumeSize, platformArtifacts, renderArtifactScript } from "../../stacks/platform/artifacts";
import { withAwsCliOnPath } from "../../stacks/platform/awsCli";
import { bucketSecret, foundationTargets } from "../../verify/targets";
import { bucketCredentials } from "../../stacks/platform/s3";

const envOf = (job: V1Job): Record<string, V1EnvVar> =>
  Object.fromEntries((job.spec?.template.spec?.containers[0].env ?? []).map((e) => [e.name, e]));

describe("verify Job manifests", () => {
  const config = configSchema.parse({});
  const m = foundationManifests(foundationTargets(config), "r1", readScripts(), { timeoutSeconds: 660 });
  const job = (key: string) => m.jobs.find((j) => j.key === key)!.job;

  it("ships the real scripts in the run's ConfigMap, mounted read-only at /scripts", () => {
    assert.equal(m.configMap.metadata?.name, "lakehouse-verify-scripts-r1");
    // The checks' own scripts live in verify/foundation/scripts; the restore tooling is the phase's, as deployed.
    const ROOT = path.resolve(__dirname, "../..");
    const from = (f: string) =>
      ["restore.sh", "reconcile.sh", "reconcile.sql"].includes(f)
        ? path.join(ROOT, "stacks/foundation/scripts", f)
        : path.join(ROOT, "verify/foundation/scripts", f);
    assert.deepEqual(Object.keys(m.configMap.data ?? {}), [...SCRIPT_FILES]);
    for (const f of SCRIPT_FILES) assert.equal(m.configMap.data?.[f], fs.readFileSync(from(f), "utf8"));
    for (const { job: j } of m.jobs) {
      const spec = j.spec!.template.spec!;
      assert.deepEqual(spec.volumes?.[0], {
        name: "scripts",
        configMap: { name: "lakehouse-verify-scripts-r1", defaultMode: 0o555 },
      });
      assert.equal(j.spec?.backoffLimit, 0);
      // The lock probe waits out the lock timeout: 300 + 30 + 60 s, plus 5 minutes for pull and pip.
      assert.equal(j.spec?.activeDeadlineSeconds, j.metadata?.name?.includes("-lock-") ? 690 : 660);
      assert.equal(spec.restartPolicy, "Never");
      assert.equal(spec.priorityClassName, "lakehouse-batch");
      assert.equal(spec.securityContext?.runAsNonRoot, true);
      assert.equal(spec.containers[0].securityContext?.allowPrivilegeEscalation, false);
      assert.match(spec.containers[0].image ?? "", /^[^:]+:[0-9][\w.-]*$/, "pinned image tag");
      assert.equal(j.metadata?.namespace, "lakehouse");
      assert.equal(j.metadata?.labels?.["lakehouse.dev/verify-run"], "r1");
    }
  });

  it("ping and round trip talk to the metastore Service; the round trip uses type=hive on the warehouse OBC", () => {
    const ping = envOf(job("metastorePing"));
    assert.equal(ping.METASTORE_URI.value, "thrift://hive-metastore.lakehouse.svc:9083");
    const rt = envOf(job("icebergRoundtrip"));
    assert.equal(rt.ICEBERG_CATALOG_TYPE.value, "hive");
    assert.equal(rt.ICEBERG_CATALOG_URI.value, "thrift://hive-metastore.lakehouse.svc:9083");
    assert.equal(rt.S3_BUCKET.value, "lakehouse-warehouse");
    assert.equal(rt.S3_ENDPOINT.value, "http://rook-ceph-rgw-storage.storage.svc:80");
    assert.equal(rt.ICEBERG_WAREHOUSE.value, "s3://lakehouse-warehouse/warehouse");
    assert.deepEqual(rt.AWS_SECRET_ACCESS_KEY.valueFrom, {
      secretKeyRef: { name: "lakehouse-warehouse", key: "AWS_SECRET_ACCESS_KEY" },
    });
    assert.equal(rt.AWS_REQUEST_CHECKSUM_CALCULATION.value, "when_required");
    const cmd = job("icebergRoundtrip").spec!.template.spec!.containers[0].command!.join(" ");
    assert.match(cmd, /pyiceberg\[hive\]==0\.11\.0/);
    assert.match(cmd, /exec python \/scripts\/iceberg_roundtrip\.py$/);
    assert.match(cmd, /pyarrow==21\.0\.0/);
    const pingCmd = job("metastorePing").spec!.template.spec!.containers[0].command!.join(" ");
    assert.match(
      pingCmd,
      /'pyiceberg\[hive\]==0\.11\.0' >&2/,
      "the ping installs pyiceberg (its Thrift bindings) only",
    );
    assert.doesNotMatch(pingCmd, /pyarrow/);
  });

  it("Python Jobs install their wheels from the artifact cache only: an init container copies them, pip --no-index", () => {
    for (const [key, arrow] of [
      ["metastorePing", false],
      ["icebergRoundtrip", true],
      ["lockTimeout", false],
    ] as const) {
      const spec = job(key).spec!.template.spec!;
      const init = spec.initContainers ?? [];
      assert.deepEqual(
        init.map((c) => [c.name, c.image, c.command?.slice(0, 2), c.command?.slice(-2)]),
        [["fetch-wheels", "curlimages/curl:8.10.1", ["sh", "-c"], ["artifact-cache", "fetch"]]],
      );
      const script = init[0].command![2];
      assert.doesNotMatch(script, /https?:\/\//, "the pods' script names no public source");
      assert.equal(script.includes("pyarrow-21.0.0"), arrow, key);
      assert.ok(script.includes("pyiceberg-0.11.0"), key);
      const ienv = Object.fromEntries((init[0].env ?? []).map((e) => [e.name, e]));
      assert.equal(ienv.CACHE_BUCKET.value, "lakehouse-artifacts");
      assert.equal(ienv.CACHE_ENDPOINT.value, "http://rook-ceph-rgw-storage.storage.svc:80");
      assert.deepEqual(ienv.AWS_ACCESS_KEY_ID.valueFrom, {
        secretKeyRef: { name: "lakehouse-artifacts", key: "AWS_ACCESS_KEY_ID" },
      });
      assert.equal(ienv.ARTIFACTS_DIR.value, "/wheels");
      assert.deepEqual(
        spec.volumes?.find((v) => v.name === "wheels")?.emptyDir?.sizeLimit,
        artifactVolumeSize(jobWheels(arrow)),
      );
      const cmd = spec.containers[0].command!.join(" ");
      assert.match(cmd, /pip install .*--no-index --find-links \/wheels /);
      assert.ok(
        spec.containers[0].volumeMounts?.some(
          (m) => m.name === "wheels" && m.mountPath === "/wheels" && m.readOnly,
        ),
      );
    }
  });

  it("verify.artifact-cache reads every pinned artifact back in check mode, with the cache bucket's keys", () => {
    const j = job("artifactCache");
    const c = j.spec!.template.spec!.containers[0];
    assert.equal(c.image, "curlimages/curl:8.10.1");
    assert.deepEqual(c.command?.slice(-2), ["artifact-cache", "check"]);
    assert.equal(c.command?.[2], renderArtifactScript(platformArtifacts(), { stage: false }));
    const env = envOf(j);
    assert.equal(env.CACHE_BUCKET.value, "lakehouse-artifacts");
    assert.deepEqual(env.AWS_SECRET_ACCESS_KEY.valueFrom, {
      secretKeyRef: { name: "lakehouse-artifacts", key: "AWS_SECRET_ACCESS_KEY" },
    });
    assert.equal(j.metadata?.labels?.["lakehouse.dev/check"], "verify.artifact-cache");
  });

  it("the lock probe abandons a lock on a per-run scratch table and waits the timeout + 30 s + a minute", () => {
    const plan = m.jobs.find((j) => j.key === "lockTimeout")!;
    assert.equal(plan.checkId, "verify.metastore-lock-timeout");
    assert.equal(plan.timeoutMs, 690_000, "the runner waits for it as long as its deadline");
    const env = envOf(plan.job);
    assert.equal(env.METASTORE_URI.value, "thrift://hive-metastore.lakehouse.svc:9083");
    assert.equal(env.LOCK_DATABASE.value, "lakehouse_verify_locks");
    assert.equal(env.LOCK_TABLE.value, "abandoned_r1");
    assert.equal(env.LOCK_TIMEOUT_SECONDS.value, "300");
    assert.equal(env.LOCK_RELEASE_BOUND_SECONDS.value, "330");
    assert.equal(env.WAIT_SECONDS.value, "390");
    const cmd = plan.job.spec!.template.spec!.containers[0].command!.join(" ");
    assert.match(cmd, /exec python \/scripts\/metastore_lock_timeout\.py$/);
    assert.doesNotMatch(cmd, /pyarrow/, "Thrift bindings only");
    const long = foundationManifests(
      foundationTargets(configSchema.parse({ foundation: { metastoreLockTimeoutSeconds: 1800 } })),
      "Run-2",
      readScripts(),
      { timeoutSeconds: 660 },
    ).jobs.find((j) => j.key === "lockTimeout")!;
    assert.equal(envOf(long.job).WAIT_SECONDS.value, "1890");
    assert.equal(envOf(long.job).LOCK_TABLE.value, "abandoned_run_2");
    assert.equal(long.job.spec?.activeDeadlineSeconds, 2190);
  });

  it("the restore Job runs restore.sh --verify with the backup env contract, secrets only by reference", () => {
    const j = job("backupRestore");
    const c = j.spec!.template.spec!.containers[0];
    assert.deepEqual(c.command, [...withAwsCliOnPath("/scripts/restore.sh"), "--verify"]);
    assert.equal(c.image, "postgres:16.4");
    const init = j.spec!.template.spec!.initContainers ?? [];
    assert.deepEqual(
      init.map((i) => [i.name, i.image]),
      [["copy-aws-cli", "amazon/aws-cli:2.17.0"]],
      "the same AWS CLI side-load as the backup CronJob",
    );
    assert.ok(c.volumeMounts?.some((m) => m.mountPath === "/usr/local/aws-cli"));
    const e = envOf(j);
    assert.equal(e.PGHOST.value, "metastore-db.lakehouse.svc");
    assert.equal(e.PGDATABASE.value, "metastore");
    assert.deepEqual(e.PGPASSWORD.valueFrom, {
      secretKeyRef: { name: "metastore-db-credentials", key: "password" },
    });
    assert.equal(e.S3_BUCKET.value, "lakehouse-metastore-backup");
    assert.equal(e.S3_PREFIX.value, "metastore");
    // The scratch copy's reconcile reads the warehouse with the warehouse bucket's own keys.
    assert.equal(e.WAREHOUSE_S3_ENDPOINT.value, e.S3_ENDPOINT.value);
    assert.deepEqual(e.WAREHOUSE_AWS_ACCESS_KEY_ID.valueFrom, {
      secretKeyRef: { name: "lakehouse-warehouse", key: "AWS_ACCESS_KEY_ID" },
    });
    for (const [name, v] of Object.entries(e)) {
      if (/PASSWORD|SECRET|ACCESS_KEY/.test(name))
        assert.equal(v.value, undefined, `${name} must come from a Secret`);
    }
  });

  it("s3-user mode and overrides: literal bucket, configured endpoint, the object user's Secret, other images", () => {
    const c2 = configSchema.parse({
      foundation: { bucketMode: "s3-user", s3Endpoint: "http://rgw.example:8080" },
    });
    const t = foundationTargets(c2, {
      backupPrefix: "hms",
      pythonImage: "registry.local/verify:1.0",
      restoreImage: "registry.local/pg-aws:16.4",
    });
    const mm = foundationManifests(
      t,
      "r2",
      {
        "restore.sh": "",
        "reconcile.sh": "",
        "reconcile.sql": "",
        "metastore_ping.py": "",
        "iceberg_roundtrip.py": "",
      },
      { timeoutSeconds: 60 },
    );
    const restore = mm.jobs.find((j) => j.key === "backupRestore")!.job;
    const e = envOf(restore);
    assert.equal(e.S3_BUCKET.value, "lakehouse-metastore-backup");
    assert.equal(e.S3_ENDPOINT.value, "http://rgw.example:8080");
    assert.equal(e.S3_PREFIX.value, "hms");
    assert.deepEqual(e.AWS_ACCESS_KEY_ID.valueFrom, {
      secretKeyRef: { name: "rook-ceph-object-user-storage-lakehouse", key: "AccessKey" },
    });
    assert.equal(restore.spec!.template.spec!.containers[0].image, "registry.local/pg-aws:16.4");
    assert.equal(mm.jobs[0].job.spec!.template.spec!.containers[0].image, "registry.local/verify:1.0");
  });

  it("uses the same bucket Secrets as the phase's components", () => {
    for (const bucketMode of ["obc", "s3-user"] as const) {
      const c = configSchema.parse({ foundation: { bucketMode } });
      for (const claim of ["lakehouse-warehouse", "lakehouse-metastore-backup"]) {
        const theirs = bucketCredentials(c, claim);
        assert.deepEqual(bucketSecret(c, claim), {
          secret: theirs.secret,
          accessKeyKey: theirs.accessKeyIdKey,
          secretKeyKey: theirs.secretAccessKeyKey,
        });
      }
    }
  });

  it("object names stay within 63 characters", () => {
    assert.equal(objectName("restore", "r1"), "lakehouse-verify-restore-r1");
    assert.ok(objectName("restore", "x".repeat(80)).length <= 63);
  });
});
