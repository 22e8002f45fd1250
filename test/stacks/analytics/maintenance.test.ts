/**
 * The scheduled table maintenance under Pulumi mocks (one child process per run, test/stacks/run-mocked.ts): the
 * CronJob's exact pod (the shipped script in a ConfigMap, standard-library Python in the pinned image, every key
 * as a secretKeyRef, the retention and backup prefix from config), the Pushgateway and its ServiceMonitor with
 * honorLabels, the PrometheusRule rendered by renderMaintenanceRules, the mandatory policies, and that
 * `analytics.maintenance.enabled: false` removes all of it. Plus the config rules: the retention is never below
 * the backup retention (an error naming both keys), and the sizing that the quota counts.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseConfig } from "../../../preflight/config/load";
import { configSchema } from "../../../preflight/config/schema";
import { containerResources, plannedPods } from "../../../preflight/config/sizing";
import { evaluatePolicies } from "../../../policy-pack/evaluate";
import type { PlannedResource } from "../../../policy-pack/types";
import { renderMaintenanceRules } from "../../../stacks/analytics/maintenanceRules";
import { readMaintenanceScript } from "../../../stacks/analytics/tableMaintenance";
import { runMocked, type MockedRun, type Recorded } from "../run-mocked";
import { readyState } from "../../policy-pack/fixtures";

const SCENARIO = path.join(__dirname, "scenario.ts");
const SCRIPT = path.join(__dirname, "../../../stacks/analytics/scripts/table_maintenance.py");

function one(run: MockedRun, type: string, name: string): Recorded {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `expected one ${type} ${name}, found ${found.length}`);
  return found[0];
}
const planOf = (r: MockedRun): PlannedResource[] =>
  r.resources.map((x) => ({ type: x.type, name: x.name, urn: x.urn, props: x.inputs }));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON
const envOf = (c: any): Record<string, any> => Object.fromEntries(c.env.map((e: any) => [e.name, e]));

describe("table maintenance components (mocks)", function () {
  this.timeout(240_000);
  let run0: MockedRun;

  before(async () => {
    run0 = await runMocked(SCENARIO, { config: {} });
    assert.equal(run0.error, undefined, run0.error);
  });

  it("runs the shipped script daily at 03:30 UTC in the pinned Python image, one run at a time, as nobody", () => {
    const cron = one(run0, "kubernetes:batch/v1:CronJob", "table-maintenance-cronjob");
    assert.equal(cron.inputs.metadata.name, "lakehouse-table-maintenance");
    assert.equal(cron.inputs.metadata.namespace, "lakehouse");
    const spec = cron.inputs.spec;
    assert.equal(spec.schedule, "30 3 * * *");
    assert.equal(spec.timeZone, "Etc/UTC");
    assert.equal(spec.concurrencyPolicy, "Forbid");
    assert.equal(spec.jobTemplate.spec.backoffLimit, 0);
    const pod = spec.jobTemplate.spec.template.spec;
    assert.equal(pod.priorityClassName, "lakehouse-batch");
    assert.equal(pod.securityContext.runAsUser, 65534);
    assert.equal(pod.initContainers, undefined, "nothing to fetch before it starts");
    const [c] = pod.containers;
    assert.equal(c.image, "python:3.11.10-slim-bookworm");
    assert.deepEqual(c.command, ["python3", "/scripts/table_maintenance.py"]);
    assert.deepEqual(c.resources, containerResources(configSchema.parse({}).sizing.tableMaintenance));
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    const cm = one(run0, "kubernetes:core/v1:ConfigMap", "table-maintenance-scripts");
    assert.equal(cm.inputs.metadata.name, "lakehouse-table-maintenance-scripts");
    assert.equal(cm.inputs.data["table_maintenance.py"], fs.readFileSync(SCRIPT, "utf8"));
    assert.equal(pod.volumes[0].configMap.name, "lakehouse-table-maintenance-scripts");
  });

  it("gives the script its env contract: Trino, retention, the backup prefix, keys only from Secrets", () => {
    const cron = one(run0, "kubernetes:batch/v1:CronJob", "table-maintenance-cronjob");
    const env = envOf(cron.inputs.spec.jobTemplate.spec.template.spec.containers[0]);
    assert.equal(env.TRINO_URL.value, "http://trino.lakehouse.svc:8080");
    assert.equal(env.TRINO_CATALOG.value, "iceberg");
    assert.equal(env.RETENTION_DAYS.value, "14");
    assert.equal(env.SCHEMAS.value, "");
    assert.equal(env.BACKUP_BUCKET.value, "lakehouse-metastore-backup");
    assert.equal(env.BACKUP_PREFIX.value, "metastore");
    assert.equal(env.S3_ENDPOINT.value, "http://rook-ceph-rgw-storage.storage.svc:80");
    assert.equal(env.PUSHGATEWAY_URL.value, "http://lakehouse-pushgateway.lakehouse.svc:9091");
    assert.equal(env.PUSH_JOB.value, "lakehouse-table-maintenance");
    assert.deepEqual(env.BACKUP_AWS_SECRET_ACCESS_KEY.valueFrom.secretKeyRef, {
      name: "lakehouse-metastore-backup",
      key: "AWS_SECRET_ACCESS_KEY",
    });
    assert.deepEqual(env.WAREHOUSE_AWS_ACCESS_KEY_ID.valueFrom.secretKeyRef, {
      name: "lakehouse-warehouse",
      key: "AWS_ACCESS_KEY_ID",
    });
    // Every variable the script requires is set (its docstring is the contract).
    const script = readMaintenanceScript(path.dirname(SCRIPT));
    for (const required of [...script.matchAll(/need\("([A-Z_]+)"\)/g)].map((m) => m[1]))
      assert.ok(env[required], `${required} is not set`);
  });

  it("runs after Trino (its HelmRelease) and the Pushgateway", () => {
    // dependsOn a component expands to the component's resources.
    const deps = one(run0, "lakehouse:analytics:TableMaintenance", "table-maintenance").dependencies;
    assert.ok(
      deps.includes(one(run0, "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease", "trino-chart-release").urn),
    );
    assert.ok(deps.includes(one(run0, "kubernetes:apps/v1:Deployment", "pushgateway-deployment").urn));
  });

  it("brings one Pushgateway, scraped with honorLabels so the pushed job label stays", () => {
    const d = one(run0, "kubernetes:apps/v1:Deployment", "pushgateway-deployment");
    assert.equal(d.inputs.metadata.name, "lakehouse-pushgateway");
    assert.equal(d.inputs.spec.replicas, 1);
    assert.equal(d.inputs.spec.strategy.type, "Recreate");
    const [c] = d.inputs.spec.template.spec.containers;
    assert.equal(c.image, "prom/pushgateway:v1.11.5");
    assert.ok(c.args.includes("--persistence.file=/data/metrics"));
    assert.equal(c.readinessProbe.httpGet.path, "/-/ready");
    const svc = one(run0, "kubernetes:core/v1:Service", "pushgateway-service");
    assert.deepEqual(svc.inputs.spec.ports, [
      { name: "http", port: 9091, targetPort: "http", protocol: "TCP" },
    ]);
    const sm = one(run0, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "pushgateway-servicemonitor");
    assert.equal(sm.inputs.spec.endpoints[0].honorLabels, true);
    assert.deepEqual(sm.inputs.spec.selector.matchLabels, svc.inputs.spec.selector);
  });

  it("applies the PrometheusRule rendered by renderMaintenanceRules for the config", () => {
    const rule = one(run0, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "table-maintenance-rules");
    assert.equal(rule.inputs.metadata.name, "lakehouse-table-maintenance");
    assert.deepEqual(
      rule.inputs.spec,
      JSON.parse(
        JSON.stringify(
          renderMaintenanceRules({
            namespace: "lakehouse",
            pushJob: "lakehouse-table-maintenance",
            maxAgeHours: 48,
            retentionDays: 14,
          }),
        ),
      ),
    );
  });

  it("passes every mandatory policy", () => {
    const readiness: PlannedResource = {
      type: "pulumi-nodejs:dynamic:Resource",
      name: "readiness",
      urn: "urn:pulumi:test::lakehouse::pulumi-nodejs:dynamic:Resource::readiness",
      props: { ...readyState() },
    };
    const mandatory = evaluatePolicies([readiness, ...planOf(run0)]).filter(
      (v) => v.enforcement === "mandatory" && !["phase-order", "namespace-guardrails"].includes(v.policy),
    );
    assert.deepEqual(mandatory, []);
  });

  it("follows the config (schedule, retention, schemas, s3-user keys) and `enabled: false` removes all of it", async () => {
    const r = await runMocked(SCENARIO, {
      config: {
        foundation: { bucketMode: "s3-user", backupRetentionDays: 30, backupPrefix: "/dumps/" },
        analytics: {
          maintenance: { schedule: "0 5 * * 0", retentionDays: 45, schemas: ["lakehouse", "sales"] },
        },
      },
    });
    assert.equal(r.error, undefined, r.error);
    const cron = one(r, "kubernetes:batch/v1:CronJob", "table-maintenance-cronjob");
    assert.equal(cron.inputs.spec.schedule, "0 5 * * 0");
    const env = envOf(cron.inputs.spec.jobTemplate.spec.template.spec.containers[0]);
    assert.equal(env.RETENTION_DAYS.value, "45");
    assert.equal(env.SCHEMAS.value, "lakehouse,sales");
    assert.equal(env.BACKUP_PREFIX.value, "/dumps/", "the script trims slashes as backup.sh does");
    assert.deepEqual(env.BACKUP_AWS_ACCESS_KEY_ID.valueFrom.secretKeyRef, {
      name: "rook-ceph-object-user-storage-lakehouse",
      key: "AccessKey",
    });
    const off = await runMocked(SCENARIO, { config: { analytics: { maintenance: { enabled: false } } } });
    assert.equal(off.error, undefined, off.error);
    assert.deepEqual(
      off.resources.filter((x) =>
        /Maintenance|Pushgateway|CronJob|dashboards-tables/.test(`${x.type} ${x.name}`),
      ),
      [],
    );
  });

  it("the runbook's dry-run filter turns the CronJob's Job into the same pod with --dry-run", () => {
    const runbook = fs.readFileSync(path.join(__dirname, "../../../docs/runbooks/maintenance.md"), "utf8");
    const m = /--dry-run=client -o json \|\n\s*jq '([^']+)'/.exec(runbook);
    assert.ok(m, "docs/runbooks/maintenance.md has the dry-run jq filter");
    // `kubectl create job --from=cronjob/...` copies the CronJob's jobTemplate into the Job.
    const cron = one(run0, "kubernetes:batch/v1:CronJob", "table-maintenance-cronjob");
    const job = { apiVersion: "batch/v1", kind: "Job", spec: cron.inputs.spec.jobTemplate.spec };
    const r = spawnSync("jq", ["-c", m[1]], {
      input: JSON.stringify(job),
      encoding: "utf8",
      timeout: 10_000,
    });
    if (r.error) throw new Error(`jq is needed (bash .ci/setup.d/20-jq.sh): ${r.error.message}`);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout).spec.template.spec.containers[0];
    assert.deepEqual(out.command, ["python3", "/scripts/table_maintenance.py", "--dry-run"]);
    assert.deepEqual(out.env, job.spec.template.spec.containers[0].env);
  });

  it("refuses a Pushgateway of more than one replica, naming the key", async () => {
    const r = await runMocked(SCENARIO, {
      config: { sizing: { pushgateway: { replicas: 2, cpu: "50m", memory: "64Mi" } } },
    });
    assert.match(r.error ?? "", /lakehouse:sizing\.pushgateway\.replicas is 2; .* exactly 1 replica/);
  });
});

describe("table maintenance config", () => {
  it("defaults: enabled, daily 03:30 UTC, 14 days (= the backup retention), stale after 48 h, every schema", () => {
    const c = configSchema.parse({});
    assert.deepEqual(c.analytics.maintenance, {
      enabled: true,
      schedule: "30 3 * * *",
      retentionDays: 14,
      maxAgeHours: 48,
      schemas: [],
    });
    assert.equal(c.analytics.maintenance.retentionDays, c.foundation.backupRetentionDays);
  });

  it("refuses a retention below the backup retention, naming both keys, the value seen and the fix", () => {
    const bad = (raw: Record<string, unknown>) => () => parseConfig(raw, "Pulumi.anton.yaml");
    const re =
      /Pulumi\.anton\.yaml:\n {2}- lakehouse:analytics\.maintenance\.retentionDays is 7 \(default 14\), below lakehouse:foundation\.backupRetentionDays \(14\): .*Fix: run `pulumi config set --path lakehouse:analytics\.maintenance\.retentionDays 14`/;
    assert.throws(bad({ analytics: { maintenance: { retentionDays: 7 } } }), re);
    // Raising the backup retention alone breaks the default: the error says so.
    assert.throws(
      bad({ foundation: { backupRetentionDays: 30 } }),
      /retentionDays is 14 \(default 14\), below lakehouse:foundation\.backupRetentionDays \(30\)/,
    );
    // Pulumi's runtime hands structured values over as JSON text: the same rule applies.
    assert.throws(
      bad({ analytics: JSON.stringify({ maintenance: { retentionDays: 3 } }) }),
      /is 3 \(default 14\)/,
    );
    // At or above is fine; and with the maintenance off there is nothing to protect.
    assert.equal(
      parseConfig(
        { foundation: { backupRetentionDays: 30 }, analytics: { maintenance: { retentionDays: 30 } } },
        "x",
      ).analytics.maintenance.retentionDays,
      30,
    );
    assert.doesNotThrow(bad({ analytics: { maintenance: { enabled: false, retentionDays: 1 } } }));
  });

  it("bounds: 1 to 3650 days, a lower-case schema list, hours >= 1", () => {
    const bad = (m: Record<string, unknown>) => () => parseConfig({ analytics: { maintenance: m } }, "f");
    assert.throws(bad({ retentionDays: 0 }), /retentionDays: Too small/);
    assert.throws(bad({ retentionDays: 3651 }), /retentionDays: Too big/);
    assert.throws(bad({ schemas: ["Sales"] }), /schemas\.0: expected a lower-case schema name/);
    assert.throws(bad({ maxAgeHours: 0 }), /maxAgeHours: Too small/);
    assert.throws(bad({ retention: 14 }), /unknown key\(s\) "retention"/);
  });

  it("plans the maintenance pod and the Pushgateway in the analytics phase, only when enabled", () => {
    const on = plannedPods(configSchema.parse({})).map((p) => p.component);
    assert.ok(on.includes("tableMaintenance") && on.includes("pushgateway"));
    const off = plannedPods(configSchema.parse({ analytics: { maintenance: { enabled: false } } })).map(
      (p) => p.component,
    );
    assert.ok(!off.includes("tableMaintenance") && !off.includes("pushgateway"));
  });
});
