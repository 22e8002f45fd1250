/**
 * The foundation components under Pulumi mocks (one child process per run: test/stacks/run-mocked.ts on scenario.ts): the exact
 * inputs of every child (images, env, probes, resources from sizing, priority classes, anti-affinity, PDB,
 * rendered config), that secrets only travel through Secrets, the dependsOn order, and the config variants.
 * The whole program's plan with the foundation phase is checked against the real policy pack (plan/main.ts).
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { configSchema, type LakehouseConfig } from "../../../preflight/config/schema";
import { containerResources } from "../../../preflight/config/sizing";
import { evaluatePolicies } from "../../../policy-pack/evaluate";
import type { PlannedResource } from "../../../policy-pack/types";
import { stageJobHash } from "../../../stacks/foundation/artifactCache";
import {
  JMX_EXPORTER_JAR,
  METASTORE_JARS,
  platformArtifacts,
  renderArtifactScript,
} from "../../../stacks/platform/artifacts";
import { renderMetastoreSite } from "../../../stacks/foundation/metastoreSite";
import { renderFoundationRules } from "../../../stacks/foundation/rules";
import { runMocked, type Recorded } from "../run-mocked";

const ROOT = path.resolve(__dirname, "../../..");
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

type Rec = Omit<Recorded, "inputs"> & { inputs: Obj };
interface Run {
  resources: Rec[];
  error?: string;
}

const SCENARIO = path.join(__dirname, "scenario.ts");

function runFoundation(
  config: Record<string, unknown>,
  preview = true,
  report?: Record<string, unknown>,
): Promise<Run> {
  return runMocked(SCENARIO, { config, report }, preview) as Promise<Run>;
}

function one(run: Run, type: string, name: string): Rec {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `expected one ${type} ${name}, found ${found.length}`);
  return found[0];
}
const kube = (kind: string) => run0.resources.filter((r) => r.type.endsWith(`:${kind}`));
const podSpec = (r: Rec): Obj =>
  r.inputs.kind === "CronJob" ? r.inputs.spec.jobTemplate.spec.template.spec : r.inputs.spec.template.spec;
/** Env vars as a name -> value | secretKeyRef map, in order. */
const envOf = (c: Obj): [string, unknown][] =>
  (c.env as Obj[]).map((e) => [e.name, e.valueFrom ? e.valueFrom : e.value]);
const secretRef = (name: string, key: string) => ({ secretKeyRef: { name, key } });

let run0: Run;
const config: LakehouseConfig = configSchema.parse({});
const NS = "lakehouse";

describe("foundation components (mocks)", function () {
  this.timeout(240_000);

  before(async () => {
    run0 = await runFoundation({});
    assert.equal(run0.error, undefined, run0.error);
  });

  it("registers the six components and exactly their children, each parented to its component", () => {
    const comps = run0.resources.filter((r) => r.type.startsWith("lakehouse:foundation:"));
    assert.deepEqual(comps.map((c) => `${c.type} ${c.name}`).sort(), [
      "lakehouse:foundation:ArtifactCache artifact-cache",
      "lakehouse:foundation:FoundationAlerts foundation-alerts",
      "lakehouse:foundation:HiveMetastore hive-metastore",
      "lakehouse:foundation:MetadataBackup metadata-backup",
      "lakehouse:foundation:MetastoreDatabase metastore-db",
      "lakehouse:foundation:WarehouseBucket warehouse",
    ]);
    const byParent = (c: Recorded) =>
      run0.resources
        .filter((r) => r.parent === c.urn)
        .map((r) => `${r.type.replace(/^kubernetes:/, "")} ${r.name}`)
        .sort();
    const child = Object.fromEntries(comps.map((c) => [c.name, byParent(c)]));
    assert.deepEqual(child["warehouse"], [
      "objectbucket.io/v1alpha1:ObjectBucketClaim warehouse-backup",
      "objectbucket.io/v1alpha1:ObjectBucketClaim warehouse-warehouse",
    ]);
    assert.deepEqual(child["metastore-db"], [
      "apps/v1:StatefulSet metastore-db-statefulset",
      "core/v1:PersistentVolumeClaim metastore-db-data",
      "core/v1:Secret metastore-db-credentials",
      "core/v1:Service metastore-db-service",
    ]);
    assert.deepEqual(child["hive-metastore"], [
      "apps/v1:Deployment hive-metastore-deployment",
      "batch/v1:Job hive-metastore-schema",
      "core/v1:ConfigMap hive-metastore-conf",
      "core/v1:Service hive-metastore-service",
      "monitoring.coreos.com/v1:ServiceMonitor hive-metastore-servicemonitor",
      "policy/v1:PodDisruptionBudget hive-metastore-pdb",
    ]);
    assert.deepEqual(child["metadata-backup"], [
      "batch/v1:CronJob metadata-backup-cronjob",
      "core/v1:ConfigMap metadata-backup-scripts",
    ]);
    assert.deepEqual(child["artifact-cache"], [
      "batch/v1:Job artifact-cache-stage",
      "core/v1:ConfigMap artifact-cache-script",
      "objectbucket.io/v1alpha1:ObjectBucketClaim artifact-cache-bucket",
    ]);
    assert.deepEqual(child["foundation-alerts"], [
      "monitoring.coreos.com/v1:PrometheusRule foundation-alerts-rules",
    ]);
  });

  it("puts every Kubernetes object in the platform namespace with the platform labels of the foundation", () => {
    for (const r of run0.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
      const md = r.inputs.metadata as Obj;
      assert.equal(md.namespace, NS, `${r.name} namespace`);
      assert.equal(md.labels["app.kubernetes.io/part-of"], "lakehouse", `${r.name} part-of`);
      assert.equal(md.labels["lakehouse.dev/phase"], "foundation", `${r.name} phase`);
      assert.equal(md.labels["app.kubernetes.io/managed-by"], "pulumi", `${r.name} managed-by`);
    }
  });

  it("orders by dependsOn: bucket and database before the metastore and the backup", () => {
    // A dependsOn on a component reaches the engine as its children's URNs.
    const childUrns = (component: string) =>
      run0.resources.filter((r) => r.parent?.endsWith(`::${component}`)).map((r) => r.urn);
    for (const after of ["hive-metastore", "metadata-backup"]) {
      const deps = run0.resources.find(
        (r) => r.name === after && r.type.startsWith("lakehouse:"),
      )!.dependencies;
      for (const before of ["warehouse", "metastore-db"]) {
        const missing = childUrns(before).filter((u) => !deps.includes(u));
        assert.deepEqual(missing, [], `${after} must come after every child of ${before}`);
      }
    }
    const deployment = one(run0, "kubernetes:apps/v1:Deployment", "hive-metastore-deployment");
    const job = one(run0, "kubernetes:batch/v1:Job", "hive-metastore-schema");
    assert.ok(deployment.dependencies.includes(job.urn), "the Deployment waits for the schema Job");
    // The metastore (its schema Job and Deployment copy jars from the cache) comes after the staging Job.
    const stage = one(run0, "kubernetes:batch/v1:Job", "artifact-cache-stage");
    const metastore = run0.resources.find((r) => r.type === "lakehouse:foundation:HiveMetastore")!;
    assert.ok(metastore.dependencies.includes(stage.urn), "the metastore waits for the staging Job");
  });

  describe("ArtifactCache", () => {
    it("claims its own retained bucket and stages every pinned artifact in one Job named by what it stages", () => {
      const claim = one(
        run0,
        "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
        "artifact-cache-bucket",
      );
      assert.equal(claim.inputs.metadata.name, "lakehouse-artifacts");
      assert.deepEqual(claim.inputs.spec, {
        bucketName: "lakehouse-artifacts",
        storageClassName: "ceph-bucket",
      });
      assert.equal(claim.retainOnDelete, true);
      const cm = one(run0, "kubernetes:core/v1:ConfigMap", "artifact-cache-script");
      assert.equal(cm.inputs.data["artifact-cache.sh"], renderArtifactScript(platformArtifacts()));
      const job = one(run0, "kubernetes:batch/v1:Job", "artifact-cache-stage");
      const hash = stageJobHash(
        platformArtifacts(),
        config.artifacts.source,
        "lakehouse-artifacts",
        config.images.tools,
      );
      assert.equal(job.inputs.metadata.name, `artifact-cache-stage-${hash}`);
      assert.ok(job.dependencies.includes(claim.urn) && job.dependencies.includes(cm.urn));
      const pod = podSpec(job);
      assert.equal(pod.restartPolicy, "Never");
      assert.equal(pod.priorityClassName, "lakehouse-critical");
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.securityContext.runAsUser, 100);
      assert.equal(job.inputs.spec.template.metadata.labels["lakehouse.dev/artifact-stager"], "true");
      const c = pod.containers[0];
      assert.deepEqual(c.command, ["sh", "/scripts/artifact-cache.sh", "stage"]);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.deepEqual(envOf(c), [
        ["CACHE_ENDPOINT", "http://rook-ceph-rgw-storage.storage.svc:80"],
        ["CACHE_BUCKET", "lakehouse-artifacts"],
        ["AWS_REGION", "us-east-1"],
        ["AWS_ACCESS_KEY_ID", secretRef("lakehouse-artifacts", "AWS_ACCESS_KEY_ID")],
        ["AWS_SECRET_ACCESS_KEY", secretRef("lakehouse-artifacts", "AWS_SECRET_ACCESS_KEY")],
        ["MAVEN_SOURCE", "https://repo1.maven.org/maven2"],
        ["PYPI_SOURCE", "https://files.pythonhosted.org"],
        ["TMPDIR", "/work"],
      ]);
    });

    it("names a new staging Job exactly when an artifact, the source, the bucket or the image changes", () => {
      const list = platformArtifacts();
      const src = config.artifacts.source;
      const h = stageJobHash(list, src, "b", "i:1");
      assert.equal(h, stageJobHash([...list], { ...src }, "b", "i:1"));
      assert.notEqual(h, stageJobHash(list.slice(1), src, "b", "i:1"));
      assert.notEqual(
        h,
        stageJobHash([{ ...list[0], sha256: "0".repeat(64) }, ...list.slice(1)], src, "b", "i:1"),
      );
      assert.notEqual(h, stageJobHash(list, { ...src, maven: "http://nexus.lan/maven" }, "b", "i:1"));
      assert.notEqual(h, stageJobHash(list, src, "c", "i:1"));
      assert.notEqual(h, stageJobHash(list, src, "b", "i:2"));
    });
  });

  describe("WarehouseBucket", () => {
    it("claims both buckets on the bucket StorageClass and never lets Pulumi delete them", () => {
      const w = one(run0, "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim", "warehouse-warehouse");
      const b = one(run0, "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim", "warehouse-backup");
      assert.equal(w.inputs.metadata.name, "lakehouse-warehouse");
      assert.deepEqual(w.inputs.spec, { bucketName: "lakehouse-warehouse", storageClassName: "ceph-bucket" });
      assert.equal(b.inputs.metadata.name, "lakehouse-metastore-backup");
      assert.deepEqual(b.inputs.spec, {
        bucketName: "lakehouse-metastore-backup",
        storageClassName: "ceph-bucket",
      });
      assert.equal(w.retainOnDelete, true);
      assert.equal(b.retainOnDelete, true);
    });
  });

  describe("MetastoreDatabase", () => {
    it("keeps its data on a retained PVC of the block StorageClass", () => {
      const pvc = one(run0, "kubernetes:core/v1:PersistentVolumeClaim", "metastore-db-data");
      assert.equal(pvc.retainOnDelete, true);
      assert.deepEqual(pvc.inputs.spec, {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "ceph-block",
        resources: { requests: { storage: "10Gi" } },
      });
    });

    it("runs pinned PostgreSQL, non-root, with sizing resources, pg_isready probes and the critical priority", () => {
      const sts = one(run0, "kubernetes:apps/v1:StatefulSet", "metastore-db-statefulset");
      assert.equal(sts.inputs.spec.replicas, 1);
      assert.deepEqual(sts.inputs.spec.persistentVolumeClaimRetentionPolicy, {
        whenDeleted: "Retain",
        whenScaled: "Retain",
      });
      const pod = podSpec(sts);
      assert.equal(pod.priorityClassName, "lakehouse-critical");
      assert.deepEqual(pod.securityContext, {
        runAsNonRoot: true,
        runAsUser: 999,
        runAsGroup: 999,
        fsGroup: 999,
        seccompProfile: { type: "RuntimeDefault" },
      });
      assert.equal(pod.containers.length, 1);
      const c = pod.containers[0];
      assert.equal(c.image, "postgres:16.4");
      assert.deepEqual(c.resources, containerResources(config.sizing.metastoreDb));
      assert.deepEqual(envOf(c), [
        ["POSTGRES_USER", secretRef("metastore-db-credentials", "username")],
        ["POSTGRES_PASSWORD", secretRef("metastore-db-credentials", "password")],
        ["POSTGRES_DB", "metastore"],
        ["PGDATA", "/var/lib/postgresql/data/pgdata"],
      ]);
      const isReady = [
        "sh",
        "-c",
        'exec pg_isready -h 127.0.0.1 -p 5432 -U "$POSTGRES_USER" -d "$POSTGRES_DB"',
      ];
      for (const p of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        assert.deepEqual(c[p].exec.command, isReady, p);
      }
      assert.deepEqual(c.securityContext, {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      assert.deepEqual(
        pod.volumes.find((v: Obj) => v.name === "data"),
        { name: "data", persistentVolumeClaim: { claimName: "metastore-db-data" } },
      );
      const svc = one(run0, "kubernetes:core/v1:Service", "metastore-db-service");
      assert.deepEqual(svc.inputs.spec.ports, [
        { name: "postgres", port: 5432, targetPort: "postgres", protocol: "TCP" },
      ]);
    });

    it("generates the password once, as a Pulumi secret, kept by ignoreChanges", () => {
      const s = one(run0, "kubernetes:core/v1:Secret", "metastore-db-credentials");
      assert.ok(
        s.secretPaths.includes("stringData"),
        `stringData must be secret; secret paths: ${s.secretPaths}`,
      );
      const data = s.inputs.stringData.value ?? s.inputs.stringData;
      assert.equal(data.username, "hive");
      assert.equal(data.database, "metastore");
      assert.match(data.password, /^[A-Za-z0-9_-]{43}$/, "32 random bytes as base64url");
      // A later `pulumi up` must never replace the password PostgreSQL was initialised with.
      assert.deepEqual(s.ignoreChanges, ["stringData", "data"]);
    });

    it("after a destroy, adopts the kept Secret with `import` when the live preflight saw it; creates it otherwise", async () => {
      // First up, or the Secret absent: created (no import), as in run0.
      assert.equal(one(run0, "kubernetes:core/v1:Secret", "metastore-db-credentials").importId, "");
      const seen = (presence: Record<string, unknown>) => ({
        retained: { databaseCredentials: { id: "lakehouse/metastore-db-credentials", presence } },
      });
      const [kept, absent, unknown] = await Promise.all([
        runFoundation({}, true, seen({ state: "present", uid: "0d9c" })),
        runFoundation({}, true, seen({ state: "absent" })),
        runFoundation({}, true, seen({ state: "unknown", reason: "HTTP 403" })),
      ]);
      const secret = (r: Run) => one(r, "kubernetes:core/v1:Secret", "metastore-db-credentials");
      assert.equal(secret(kept).importId, "lakehouse/metastore-db-credentials");
      // ignoreChanges on the data makes the engine keep the live password of the imported object.
      assert.deepEqual(secret(kept).ignoreChanges, ["stringData", "data"]);
      assert.equal(secret(kept).retainOnDelete, true);
      assert.equal(secret(absent).importId, "");
      assert.equal(
        secret(unknown).importId,
        "",
        "unknown: created as before (the API server refuses to overwrite)",
      );
    });
  });

  describe("HiveMetastore", () => {
    const siteFor = (endpoint: string, region = "us-east-1") =>
      renderMetastoreSite({
        jdbcUrl: "jdbc:postgresql://metastore-db.lakehouse.svc:5432/metastore",
        warehouseBucket: "lakehouse-warehouse",
        s3Endpoint: endpoint,
        s3Region: region,
      });

    it("renders metastore-site.xml with the configured endpoint, and the jar script, into its ConfigMap", () => {
      const cm = one(run0, "kubernetes:core/v1:ConfigMap", "hive-metastore-conf");
      assert.equal(
        cm.inputs.data["metastore-site.xml"],
        siteFor("http://rook-ceph-rgw-storage.storage.svc:80"),
      );
      assert.equal(
        cm.inputs.data["artifact-cache.sh"],
        renderArtifactScript([...METASTORE_JARS, JMX_EXPORTER_JAR], { stage: false }),
      );
      assert.match(cm.inputs.data["jmx-exporter.yaml"], /^lowercaseOutputName: true/);
    });

    it("runs apache/hive:4.0.0 twice, apart, with sizing resources, TCP probes on 9083 and secrets only by reference", () => {
      const d = one(run0, "kubernetes:apps/v1:Deployment", "hive-metastore-deployment");
      assert.equal(d.inputs.spec.replicas, 2);
      assert.deepEqual(d.inputs.spec.strategy, {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
      });
      const pod = podSpec(d);
      assert.equal(pod.priorityClassName, "lakehouse-critical");
      assert.equal(pod.securityContext.runAsUser, 1000);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.deepEqual(pod.affinity, {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              topologyKey: "kubernetes.io/hostname",
              labelSelector: {
                matchLabels: {
                  "app.kubernetes.io/name": "hive-metastore",
                  "app.kubernetes.io/instance": "lakehouse",
                },
              },
            },
          ],
        },
      });
      const c = pod.containers[0];
      assert.equal(c.image, "apache/hive:4.0.0");
      assert.deepEqual(c.resources, containerResources(config.sizing.metastore));
      assert.deepEqual(envOf(c), [
        ["SERVICE_NAME", "metastore"],
        ["DB_DRIVER", "postgres"],
        ["IS_RESUME", "true"],
        ["HIVE_CUSTOM_CONF_DIR", "/opt/hive/custom-conf"],
        ["METASTORE_PORT", "9083"],
        ["DB_USER", secretRef("metastore-db-credentials", "username")],
        ["DB_PASSWORD", secretRef("metastore-db-credentials", "password")],
        ["AWS_ACCESS_KEY_ID", secretRef("lakehouse-warehouse", "AWS_ACCESS_KEY_ID")],
        ["AWS_SECRET_ACCESS_KEY", secretRef("lakehouse-warehouse", "AWS_SECRET_ACCESS_KEY")],
        ["AWS_REGION", "us-east-1"],
        [
          "SERVICE_OPTS",
          "-Xmx768m -Djavax.jdo.option.ConnectionUserName=$(DB_USER) " +
            "-Djavax.jdo.option.ConnectionPassword=$(DB_PASSWORD) " +
            "-javaagent:/opt/jmx/jmx_prometheus_javaagent.jar=9404:/opt/hive/custom-conf/jmx-exporter.yaml",
        ],
      ]);
      const tcp = { tcpSocket: { port: "thrift" } };
      assert.deepEqual(c.startupProbe, { ...tcp, periodSeconds: 10, failureThreshold: 30 });
      assert.deepEqual(c.readinessProbe, { ...tcp, periodSeconds: 10, timeoutSeconds: 3 });
      assert.deepEqual(c.livenessProbe, {
        ...tcp,
        periodSeconds: 20,
        timeoutSeconds: 5,
        failureThreshold: 3,
      });
      assert.deepEqual(c.ports, [
        { name: "thrift", containerPort: 9083, protocol: "TCP" },
        { name: "metrics", containerPort: 9404, protocol: "TCP" },
      ]);
      // The cached jars land on the classpath one by one (no SDK bundle); the agent beside it.
      assert.deepEqual(
        c.volumeMounts
          .filter((m: Obj) => m.name === "jars")
          .map((m: Obj) => `${m.subPath} -> ${m.mountPath}`),
        [
          "postgresql-42.7.4.jar -> /opt/hive/lib/postgresql-42.7.4.jar",
          "hadoop-aws-3.3.6.jar -> /opt/hive/lib/hadoop-aws-3.3.6.jar",
          ...METASTORE_JARS.slice(2).map((j) => `${j.file} -> /opt/hive/lib/${j.file}`),
          "jmx_prometheus_javaagent-1.0.1.jar -> /opt/jmx/jmx_prometheus_javaagent.jar",
        ],
      );
      // The few AWS SDK v1 modules S3A needs (and Hive's joda-time, which the image's lib lacks), never the bundle.
      assert.deepEqual(
        METASTORE_JARS.slice(2).map((j) => j.coordinates),
        [
          "com.amazonaws:aws-java-sdk-core:1.12.367",
          "com.amazonaws:aws-java-sdk-s3:1.12.367",
          "com.amazonaws:aws-java-sdk-kms:1.12.367",
          "com.amazonaws:aws-java-sdk-sts:1.12.367",
          "com.amazonaws:jmespath-java:1.12.367",
          "joda-time:joda-time:2.9.9",
        ],
      );
      // Copied from the in-cluster cache with the artifact bucket's keys (by reference), never from the internet.
      assert.deepEqual(
        pod.initContainers.map((i: Obj) => [i.name, i.image, i.command]),
        [
          [
            "fetch-jars",
            "curlimages/curl:8.10.1",
            ["sh", "/opt/hive/custom-conf/artifact-cache.sh", "fetch"],
          ],
        ],
      );
      assert.deepEqual(envOf(pod.initContainers[0]), [
        ["CACHE_ENDPOINT", "http://rook-ceph-rgw-storage.storage.svc:80"],
        ["CACHE_BUCKET", "lakehouse-artifacts"],
        ["AWS_REGION", "us-east-1"],
        ["AWS_ACCESS_KEY_ID", secretRef("lakehouse-artifacts", "AWS_ACCESS_KEY_ID")],
        ["AWS_SECRET_ACCESS_KEY", secretRef("lakehouse-artifacts", "AWS_SECRET_ACCESS_KEY")],
        ["ARTIFACTS_DIR", "/jars"],
        ["TMPDIR", "/jars"],
      ]);
    });

    it("initialises or upgrades the schema once, in a Job whose name follows image and jars", () => {
      const job = one(run0, "kubernetes:batch/v1:Job", "hive-metastore-schema");
      assert.match(job.inputs.metadata.name, /^hive-metastore-schema-[0-9a-f]{10}$/);
      const pod = podSpec(job);
      assert.equal(pod.restartPolicy, "Never");
      assert.equal(pod.priorityClassName, "lakehouse-critical");
      const c = pod.containers[0];
      assert.equal(c.image, "apache/hive:4.0.0");
      assert.match(c.args[0], /^exec \/opt\/hive\/bin\/schematool -dbType postgres -initOrUpgradeSchema /);
      assert.deepEqual(envOf(c), [
        ["DB_USER", secretRef("metastore-db-credentials", "username")],
        ["DB_PASSWORD", secretRef("metastore-db-credentials", "password")],
        ["JDBC_URL", "jdbc:postgresql://metastore-db.lakehouse.svc:5432/metastore"],
      ]);
      assert.deepEqual(c.resources, containerResources(config.sizing.metastore));
    });

    it("has a PDB of minAvailable 1, a Service on 9083 (+ metrics) and a ServiceMonitor on the metrics port", () => {
      const selector = {
        "app.kubernetes.io/name": "hive-metastore",
        "app.kubernetes.io/instance": "lakehouse",
      };
      const pdb = one(run0, "kubernetes:policy/v1:PodDisruptionBudget", "hive-metastore-pdb");
      assert.deepEqual(pdb.inputs.spec, { minAvailable: 1, selector: { matchLabels: selector } });
      const svc = one(run0, "kubernetes:core/v1:Service", "hive-metastore-service");
      assert.equal(svc.inputs.metadata.name, "hive-metastore");
      assert.deepEqual(svc.inputs.spec, {
        selector,
        ports: [
          { name: "thrift", port: 9083, targetPort: "thrift", protocol: "TCP" },
          { name: "metrics", port: 9404, targetPort: "metrics", protocol: "TCP" },
        ],
      });
      const sm = one(
        run0,
        "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
        "hive-metastore-servicemonitor",
      );
      assert.deepEqual(sm.inputs.spec, {
        selector: { matchLabels: selector },
        endpoints: [{ port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s" }],
      });
    });
  });

  describe("MetadataBackup", () => {
    it("runs backup.sh on the schedule, one at a time, with the env contract and keys by reference", () => {
      const cron = one(run0, "kubernetes:batch/v1:CronJob", "metadata-backup-cronjob");
      const s = cron.inputs.spec;
      assert.equal(cron.inputs.metadata.name, "metastore-backup");
      assert.equal(s.schedule, "0 */6 * * *");
      assert.equal(s.concurrencyPolicy, "Forbid");
      assert.equal(s.successfulJobsHistoryLimit, 3);
      assert.equal(s.failedJobsHistoryLimit, 3);
      assert.equal(s.jobTemplate.spec.backoffLimit, 2);
      const pod = podSpec(cron);
      assert.equal(pod.priorityClassName, "lakehouse-batch");
      assert.equal(pod.restartPolicy, "Never");
      const c = pod.containers[0];
      assert.equal(c.image, "postgres:16.4");
      assert.deepEqual(c.command.slice(0, 2), ["bash", "-c"]);
      assert.match(
        c.command[2],
        /export PATH="\/usr\/local\/aws-cli\/v2\/current\/bin:\$PATH"; exec bash \/scripts\/backup\.sh/,
      );
      assert.deepEqual(c.resources, containerResources(config.sizing.metadataBackup));
      assert.deepEqual(envOf(c), [
        ["AWS_PAGER", ""],
        ["HOME", "/tmp"],
        ["PGHOST", "metastore-db.lakehouse.svc"],
        ["PGPORT", "5432"],
        ["PGUSER", secretRef("metastore-db-credentials", "username")],
        ["PGPASSWORD", secretRef("metastore-db-credentials", "password")],
        ["PGDATABASE", "metastore"],
        ["S3_ENDPOINT", "http://rook-ceph-rgw-storage.storage.svc:80"],
        ["S3_BUCKET", "lakehouse-metastore-backup"],
        ["S3_PREFIX", "metastore"],
        ["AWS_ACCESS_KEY_ID", secretRef("lakehouse-metastore-backup", "AWS_ACCESS_KEY_ID")],
        ["AWS_SECRET_ACCESS_KEY", secretRef("lakehouse-metastore-backup", "AWS_SECRET_ACCESS_KEY")],
        ["AWS_REGION", "us-east-1"],
        ["RETENTION_DAYS", "14"],
        ["AWS_REQUEST_CHECKSUM_CALCULATION", "when_required"],
        ["AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required"],
        ["TMPDIR", "/tmp"],
        ["WAREHOUSE_AWS_ACCESS_KEY_ID", secretRef("lakehouse-warehouse", "AWS_ACCESS_KEY_ID")],
        ["WAREHOUSE_AWS_SECRET_ACCESS_KEY", secretRef("lakehouse-warehouse", "AWS_SECRET_ACCESS_KEY")],
      ]);
      assert.deepEqual(
        pod.initContainers.map((i: Obj) => [i.name, i.image]),
        [["copy-aws-cli", "amazon/aws-cli:2.17.0"]],
      );
      assert.deepEqual(
        c.volumeMounts.find((m: Obj) => m.name === "aws-cli"),
        { name: "aws-cli", mountPath: "/usr/local/aws-cli", readOnly: true },
      );
    });

    it("mounts backup.sh, restore.sh and the reconcile from a ConfigMap with the files' exact contents", () => {
      const cm = one(run0, "kubernetes:core/v1:ConfigMap", "metadata-backup-scripts");
      const dir = path.join(ROOT, "stacks/foundation/scripts");
      assert.deepEqual(cm.inputs.data, {
        "backup.sh": fs.readFileSync(path.join(dir, "backup.sh"), "utf8"),
        "restore.sh": fs.readFileSync(path.join(dir, "restore.sh"), "utf8"),
        "reconcile.sh": fs.readFileSync(path.join(dir, "reconcile.sh"), "utf8"),
        "reconcile.sql": fs.readFileSync(path.join(dir, "reconcile.sql"), "utf8"),
      });
      const pod = podSpec(one(run0, "kubernetes:batch/v1:CronJob", "metadata-backup-cronjob"));
      assert.deepEqual(
        pod.volumes.find((v: Obj) => v.name === "scripts"),
        { name: "scripts", configMap: { name: "metastore-backup-scripts", defaultMode: 0o555 } },
      );
    });
  });

  it("FoundationAlerts: the PrometheusRule spec is the rendered rule groups", () => {
    const pr = one(run0, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "foundation-alerts-rules");
    assert.equal(pr.inputs.metadata.name, "lakehouse-foundation");
    assert.deepEqual(
      pr.inputs.spec,
      renderFoundationRules({
        namespace: NS,
        metastoreJob: "hive-metastore",
        databaseStatefulSet: "metastore-db",
        backupCronJob: "metastore-backup",
        backupMaxAgeHours: 12,
        availabilityObjective: 99.9,
      }),
    );
  });

  describe("secrets", () => {
    it("every image is pinned to a version tag", () => {
      const images = run0.resources
        .filter((r) => ["Deployment", "StatefulSet", "Job", "CronJob"].includes(r.inputs.kind))
        .flatMap((r) =>
          [...podSpec(r).containers, ...(podSpec(r).initContainers ?? [])].map((c: Obj) => c.image),
        );
      assert.ok(images.length >= 7, `found ${images.length} images`);
      for (const i of images)
        assert.match(i, /^[a-z0-9./-]+:[0-9][A-Za-z0-9._-]*$/, `image ${i} is not pinned`);
    });

    it("no credential is a literal env value anywhere; the generated password appears only in its Secret", () => {
      const secret = one(run0, "kubernetes:core/v1:Secret", "metastore-db-credentials");
      const password = (secret.inputs.stringData.value ?? secret.inputs.stringData).password as string;
      for (const r of run0.resources.filter((x) => x !== secret)) {
        assert.ok(!JSON.stringify(r.inputs).includes(password), `${r.type} ${r.name} contains the password`);
      }
      for (const r of run0.resources.filter((x) =>
        ["Deployment", "StatefulSet", "Job", "CronJob"].includes(x.inputs.kind),
      )) {
        for (const c of [...podSpec(r).containers, ...(podSpec(r).initContainers ?? [])] as Obj[]) {
          for (const e of (c.env ?? []) as Obj[]) {
            if (/PASSWORD|SECRET|ACCESS_KEY|^PGUSER$|^DB_USER$/.test(e.name)) {
              assert.ok(
                e.valueFrom?.secretKeyRef,
                `${r.name}/${c.name} env ${e.name} must come from a Secret`,
              );
            }
          }
        }
      }
    });

    it("no ConfigMap carries a secret: no key material, no password property", () => {
      for (const cm of kube("ConfigMap")) {
        for (const [k, v] of Object.entries(cm.inputs.data as Record<string, string>)) {
          if (k.endsWith(".sh")) continue; // scripts reference env vars, checked by the env test
          assert.doesNotMatch(
            v,
            /ConnectionPassword|fs\.s3a\.(access|secret)\.key|AKIA[0-9A-Z]{16}/,
            `${cm.name}/${k}`,
          );
        }
      }
    });
  });

  describe("config variants", () => {
    let run1: Run;
    before(async () => {
      run1 = await runFoundation({
        foundation: {
          bucketMode: "s3-user",
          dbCredentials: "external-secrets",
          externalSecretStore: "vault",
          s3Endpoint: "https://s3.example.internal:8443",
          monitoringLabels: { release: "kube-prometheus-stack" },
          metastoreLockTimeoutSeconds: 600,
        },
        s3: { region: "homelab" },
        sizing: { metastore: { replicas: 3, cpu: "500m", memory: "2Gi", memoryLimit: "3Gi" } },
      });
      assert.equal(run1.error, undefined, run1.error);
    });

    it("s3-user: one CephObjectStoreUser in the platform namespace, no claims, keys from Rook's user Secret", () => {
      assert.equal(run1.resources.filter((r) => r.type.endsWith(":ObjectBucketClaim")).length, 0);
      const u = one(run1, "kubernetes:ceph.rook.io/v1:CephObjectStoreUser", "warehouse-user");
      assert.equal(u.inputs.metadata.namespace, NS);
      assert.equal(u.inputs.spec.store, "storage");
      assert.equal(u.inputs.spec.clusterNamespace, "storage");
      const c = podSpec(one(run1, "kubernetes:apps/v1:Deployment", "hive-metastore-deployment"))
        .containers[0];
      const env = Object.fromEntries(envOf(c));
      assert.deepEqual(
        env.AWS_ACCESS_KEY_ID,
        secretRef("rook-ceph-object-user-storage-lakehouse", "AccessKey"),
      );
      assert.deepEqual(
        env.AWS_SECRET_ACCESS_KEY,
        secretRef("rook-ceph-object-user-storage-lakehouse", "SecretKey"),
      );
      assert.equal(env.AWS_REGION, "homelab");
    });

    it("external-secrets: an ExternalSecret from the configured store replaces the generated Secret", () => {
      assert.equal(run1.resources.filter((r) => r.type === "kubernetes:core/v1:Secret").length, 0);
      const es = one(run1, "kubernetes:external-secrets.io/v1:ExternalSecret", "metastore-db-credentials");
      assert.deepEqual(es.inputs.spec.secretStoreRef, { kind: "ClusterSecretStore", name: "vault" });
      assert.equal(es.inputs.spec.target.name, "metastore-db-credentials");
      assert.deepEqual(
        es.inputs.spec.data.map((d: Obj) => [d.secretKey, d.remoteRef.key, d.remoteRef.property]),
        [
          ["username", "lakehouse/metastore-db", "username"],
          ["password", "lakehouse/metastore-db", "password"],
        ],
      );
    });

    it("an https endpoint turns S3A SSL on and reaches the site file and the backup env", () => {
      const cm = one(run1, "kubernetes:core/v1:ConfigMap", "hive-metastore-conf");
      assert.equal(
        cm.inputs.data["metastore-site.xml"],
        renderMetastoreSite({
          jdbcUrl: "jdbc:postgresql://metastore-db.lakehouse.svc:5432/metastore",
          warehouseBucket: "lakehouse-warehouse",
          s3Endpoint: "https://s3.example.internal:8443",
          s3Region: "homelab",
          lockTimeoutSeconds: 600,
        }),
      );
      assert.match(cm.inputs.data["metastore-site.xml"], /metastore\.txn\.timeout<\/name>\s*<value>600s</);
      assert.match(
        cm.inputs.data["metastore-site.xml"],
        /fs\.s3a\.connection\.ssl\.enabled<\/name>\s*<value>true</,
      );
      const env = Object.fromEntries(
        envOf(podSpec(one(run1, "kubernetes:batch/v1:CronJob", "metadata-backup-cronjob")).containers[0]),
      );
      assert.equal(env.S3_ENDPOINT, "https://s3.example.internal:8443");
    });

    it("sizing drives replicas, resources and the heap; monitoring labels reach the ServiceMonitor", () => {
      const d = one(run1, "kubernetes:apps/v1:Deployment", "hive-metastore-deployment");
      assert.equal(d.inputs.spec.replicas, 3);
      const c = podSpec(d).containers[0];
      assert.deepEqual(c.resources, { requests: { cpu: "500m", memory: "2Gi" }, limits: { memory: "3Gi" } });
      assert.match(Object.fromEntries(envOf(c)).SERVICE_OPTS as string, /^-Xmx2304m /);
      const sm = one(
        run1,
        "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
        "hive-metastore-servicemonitor",
      );
      assert.equal(sm.inputs.metadata.labels.release, "kube-prometheus-stack");
    });

    it("refuses contradictory config with a sentence naming the key", async () => {
      const noStore = await runFoundation({ foundation: { dbCredentials: "external-secrets" } });
      assert.match(noStore.error ?? "", /lakehouse:foundation\.externalSecretStore is empty/);
      const same = await runFoundation({ foundation: { backupBucket: "lakehouse-warehouse" } });
      assert.match(same.error ?? "", /warehouseBucket and backupBucket are both "lakehouse-warehouse"/);
    });
  });

  describe("policies", () => {
    it("the whole plan with the foundation phase has no policy violation (npm run plan, real pack)", async () => {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          [
            "-r",
            "ts-node/register/transpile-only",
            "plan/main.ts",
            "--stack",
            "anton",
            "--from",
            "test/fixtures/healthy/cluster.json",
            "--from",
            "test/fixtures/healthy/metrics.json",
            "--output",
            "json",
          ],
          { cwd: ROOT, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) =>
            err ? reject(new Error(`plan failed: ${err.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      const plan = JSON.parse(out) as {
        decision: string;
        mandatoryViolations: number;
        violations: { policy: string; enforcement: string; message: string }[];
        resources: { type: string }[];
      };
      assert.equal(plan.decision, "ready");
      assert.ok(
        plan.resources.some((r) => r.type === "lakehouse:foundation:HiveMetastore"),
        "foundation planned",
      );
      assert.equal(plan.mandatoryViolations, 0, JSON.stringify(plan.violations, null, 2));
      assert.deepEqual(plan.violations, [], "no advisory violation either");
    });

    it("the pack sees the foundation's resources: an unpinned metastore image is a mandatory violation", () => {
      const planned: PlannedResource[] = run0.resources.map((r) => ({
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: JSON.parse(JSON.stringify(r.inputs).replace(/apache\/hive:4\.0\.0/g, "apache/hive:latest")),
        parent: r.parent,
        dependencies: r.dependencies,
        opts: { protect: r.protect, retainOnDelete: r.retainOnDelete },
      }));
      const pinned = evaluatePolicies(planned).filter((v) => v.policy === "pinned-images");
      assert.ok(pinned.length >= 1, "pinned-images reports the metastore");
      assert.ok(pinned.every((v) => v.enforcement === "mandatory"));
      assert.ok(
        pinned.some((v) => /hive-metastore/.test(v.message) && /latest/.test(v.message)),
        pinned[0]?.message,
      );
    });
  });
});
