/**
 * The analytics components under Pulumi mocks (one child process per run, test/stacks/run-mocked.ts): the exact
 * child inputs (the Flux HelmRelease of the pinned trino chart with the Trino 476 image, memory settings derived
 * by trinoMemory, catalogs rendered by renderCatalogs, keys only as env from the warehouse Secret, priority
 * classes, graceful shutdown, the worker PDB, the ServiceMonitors, the rules, the dashboards), that no secret
 * reaches a ConfigMap or the values, and what the policies make of it: every mandatory policy passes and
 * capacity-budget counts the Trino pods at their replicas.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { configSchema } from "../../../preflight/config/schema";
import { containerResources } from "../../../preflight/config/sizing";
import { evaluatePolicies } from "../../../policy-pack/evaluate";
import { resourceRequests } from "../../../policy-pack/lib/requests";
import type { PlannedResource } from "../../../policy-pack/types";
import { renderCatalogs } from "../../../stacks/analytics/catalogs";
import { renderAnalyticsRules } from "../../../stacks/analytics/rules";
import { trinoMemory } from "../../../stacks/analytics/trinoMemory";
import { runMocked, type MockedRun, type Recorded } from "../run-mocked";
import { readyState, runPolicy } from "../../policy-pack/fixtures";

const SCENARIO = path.join(__dirname, "scenario.ts");
const GiB = 2 ** 30;
const config = configSchema.parse({});

function one(run: MockedRun, type: string, name: string): Recorded {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `expected one ${type} ${name}, found ${found.length}`);
  return found[0];
}
const HELM_RELEASE = "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease";
/** A mock input Pulumi marked secret (a Secret's stringData) arrives wrapped; the test wants its value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const unwrap = (v: any) =>
  v && typeof v === "object" && "value" in v && Object.keys(v).length === 2 ? v.value : v;
const readiness = (
  capacity?: Partial<NonNullable<ReturnType<typeof readyState>["capacity"]>>,
): PlannedResource => {
  const state = readyState();
  if (capacity) state.capacity = { ...state.capacity!, ...capacity };
  return {
    type: "pulumi-nodejs:dynamic:Resource",
    name: "readiness",
    urn: "urn:pulumi:test::lakehouse::pulumi-nodejs:dynamic:Resource::readiness",
    props: { ...state },
  };
};
const planOf = (r: MockedRun): PlannedResource[] =>
  r.resources.map((x) => ({ type: x.type, name: x.name, urn: x.urn, props: x.inputs }));

describe("analytics components (mocks)", function () {
  this.timeout(240_000);
  let run0: MockedRun;
  let release: Recorded;

  before(async () => {
    run0 = await runMocked(SCENARIO, { config: {} });
    assert.equal(run0.error, undefined, run0.error);
    release = one(run0, HELM_RELEASE, "trino-chart-release");
  });

  it("registers Trino, AnalyticsAlerts and Dashboards with exactly their children (+ the table maintenance)", () => {
    const comps = run0.resources.filter((r) => r.type.startsWith("lakehouse:"));
    assert.deepEqual(comps.map((c) => `${c.type} ${c.name}`).sort(), [
      "lakehouse:analytics:AnalyticsAlerts analytics-alerts",
      "lakehouse:analytics:Dashboards dashboards",
      "lakehouse:analytics:Pushgateway pushgateway",
      "lakehouse:analytics:TableMaintenance table-maintenance",
      "lakehouse:analytics:Trino trino",
      "lakehouse:delivery:FluxHelmRelease trino-chart",
    ]);
    const children = (name: string) => {
      const c = comps.find((x) => x.name === name)!;
      return run0.resources
        .filter((r) => r.parent === c.urn)
        .map((r) => `${r.type.replace(/^kubernetes:/, "")} ${r.name}`)
        .sort();
    };
    assert.deepEqual(children("trino"), [
      "core/v1:Secret trino-metrics-auth",
      "lakehouse:delivery:FluxHelmRelease trino-chart",
      "monitoring.coreos.com/v1:ServiceMonitor trino-coordinator-servicemonitor",
      "monitoring.coreos.com/v1:ServiceMonitor trino-worker-servicemonitor",
      "policy/v1:PodDisruptionBudget trino-worker-pdb",
    ]);
    assert.deepEqual(children("trino-chart"), [
      "helm.toolkit.fluxcd.io/v2:HelmRelease trino-chart-release",
      "source.toolkit.fluxcd.io/v1:HelmRepository trino-chart-repo",
    ]);
    assert.deepEqual(children("analytics-alerts"), [
      "monitoring.coreos.com/v1:PrometheusRule analytics-alerts-rules",
    ]);
    assert.deepEqual(children("dashboards"), [
      "core/v1:ConfigMap dashboards-metastore",
      "core/v1:ConfigMap dashboards-spark",
      "core/v1:ConfigMap dashboards-tables",
      "core/v1:ConfigMap dashboards-trino",
    ]);
  });

  it("installs the pinned trino chart 1.42.2 from trinodb/charts through Flux, waiting for Ready", () => {
    const repo = one(run0, "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository", "trino-chart-repo");
    assert.equal(repo.inputs.metadata.name, "trinodb");
    assert.equal(repo.inputs.metadata.namespace, "lakehouse");
    assert.equal(repo.inputs.spec.url, "https://trinodb.github.io/charts");
    assert.equal(release.inputs.metadata.name, "trino");
    assert.equal(release.inputs.metadata.namespace, "lakehouse");
    assert.equal(release.inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
    assert.equal(release.inputs.metadata.annotations["pulumi.com/timeoutSeconds"], String(15 * 60 + 60));
    assert.deepEqual(release.inputs.spec.chart.spec, {
      chart: "trino",
      version: "1.42.2",
      sourceRef: { kind: "HelmRepository", name: "trinodb", namespace: "lakehouse" },
      interval: "1h",
    });
    assert.equal(release.inputs.spec.releaseName, "trino");
    assert.equal(release.inputs.spec.timeout, "15m");
    assert.equal(release.inputs.metadata.labels["lakehouse.dev/phase"], "analytics");
  });

  it("pins the image to Trino 476 as one reference (not the chart's appVersion 480)", () => {
    assert.deepEqual(release.inputs.spec.values.image, {
      repository: "trinodb/trino:476",
      useRepositoryAsSoleImageReference: true,
      pullPolicy: "IfNotPresent",
    });
  });

  it("sets every memory property from trinoMemory (anton sizing: 6Gi coordinator, 2 x 16Gi workers)", () => {
    const v = release.inputs.spec.values;
    const m = trinoMemory({ coordinator: config.sizing.trinoCoordinator, worker: config.sizing.trinoWorker });
    assert.deepEqual(v.server, {
      workers: 2,
      node: { environment: "lakehouse" },
      config: { query: { maxMemory: m.maxMemory } },
    });
    assert.equal(m.maxMemory, "7864MB");
    assert.deepEqual(v.coordinator.jvm, { maxHeapSize: "4915M" });
    assert.deepEqual(v.coordinator.config, {
      memory: { heapHeadroomPerNode: "1474MB" },
      query: { maxMemoryPerNode: "1474MB" },
      nodeScheduler: { includeCoordinator: false },
    });
    assert.deepEqual(v.worker.jvm, { maxHeapSize: "13107M" });
    assert.deepEqual(v.worker.config, {
      memory: { heapHeadroomPerNode: "3932MB" },
      query: { maxMemoryPerNode: "3932MB" },
    });
    assert.deepEqual(v.coordinator.resources, containerResources(config.sizing.trinoCoordinator));
    assert.deepEqual(v.worker.resources, containerResources(config.sizing.trinoWorker));
    for (const role of ["coordinator", "worker"]) {
      assert.deepEqual(v[role].additionalJVMConfig, [
        "-XX:+UnlockDiagnosticVMOptions",
        "-XX:G1NumCollectionsKeepPinned=10000000",
      ]);
    }
  });

  it("follows other sizings: 4 workers of 32Gi, and a single-node Trino with 0 workers", async () => {
    const r = await runMocked(SCENARIO, {
      config: {
        sizing: {
          trinoCoordinator: { replicas: 1, cpu: "1", memory: "8Gi" },
          trinoWorker: { replicas: 4, cpu: "2", memory: "32Gi" },
        },
      },
    });
    const v = one(r, HELM_RELEASE, "trino-chart-release").inputs.spec.values;
    assert.equal(v.server.workers, 4);
    assert.equal(v.worker.jvm.maxHeapSize, "26214M");
    assert.equal(v.server.config.query.maxMemory, `${7864 * 4}MB`);
    const single = await runMocked(SCENARIO, {
      config: { sizing: { trinoWorker: { replicas: 0, cpu: "1", memory: "16Gi" } } },
    });
    const sv = one(single, HELM_RELEASE, "trino-chart-release").inputs.spec.values;
    assert.equal(sv.server.workers, 0);
    assert.equal(sv.coordinator.config.nodeScheduler.includeCoordinator, true);
    // no worker alert for a cluster without workers
    const rule = one(single, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "analytics-alerts-rules");
    assert.deepEqual(
      rule.inputs.spec.groups[0].rules.map((x: { alert: string }) => x.alert),
      ["TrinoCoordinatorDown", "TrinoFailedQueryRateHigh"],
    );
  });

  it("fails with the sizing key when a Trino pod is too small", async () => {
    const r = await runMocked(SCENARIO, {
      config: { sizing: { trinoWorker: { replicas: 2, cpu: "1", memory: "1Gi" } } },
    });
    assert.match(r.error ?? "", /lakehouse:sizing\.trinoWorker\.memory is 1Gi, too small to run Trino/);
    assert.equal(r.resources.filter((x) => x.type === HELM_RELEASE).length, 0);
  });

  it("renders the catalogs with renderCatalogs on the foundation's metastore and RGW (iceberg, tpch only)", () => {
    const expected = renderCatalogs({
      metastoreUri: "thrift://hive-metastore.lakehouse.svc:9083",
      s3Endpoint: "http://rook-ceph-rgw-storage.storage.svc:80",
      s3Region: "us-east-1",
    });
    assert.deepEqual(release.inputs.spec.values.catalogs, { tpcds: null, ...expected });
    assert.match(expected.iceberg, /^s3\.aws-access-key=\$\{ENV:AWS_ACCESS_KEY_ID\}$/m);
  });

  it("gives the S3 keys to Trino only as env vars from the warehouse bucket's Secret", () => {
    assert.deepEqual(release.inputs.spec.values.env, [
      {
        name: "AWS_ACCESS_KEY_ID",
        valueFrom: { secretKeyRef: { name: "lakehouse-warehouse", key: "AWS_ACCESS_KEY_ID" } },
      },
      {
        name: "AWS_SECRET_ACCESS_KEY",
        valueFrom: { secretKeyRef: { name: "lakehouse-warehouse", key: "AWS_SECRET_ACCESS_KEY" } },
      },
    ]);
  });

  it("never puts a secret in a ConfigMap or the chart values, even with S3 keys in the stack config", async () => {
    const KEY = "AKIAANALYTICSSENTINEL";
    const SECRET = "sentinel/Secret+Key/0123456789abcdefABCDEF";
    const r = await runMocked(SCENARIO, {
      config: { s3: { accessKeyId: KEY, secretAccessKey: SECRET }, foundation: { bucketMode: "s3-user" } },
    });
    assert.equal(r.error, undefined, r.error);
    const text = JSON.stringify(r.resources.map((x) => x.inputs));
    assert.ok(
      !text.includes(KEY) && !text.includes(SECRET),
      "a key from the stack config reached a resource",
    );
    // s3-user mode reads Rook's CephObjectStoreUser Secret
    const env = one(r, HELM_RELEASE, "trino-chart-release").inputs.spec.values.env;
    assert.deepEqual(env[1].valueFrom.secretKeyRef, {
      name: "rook-ceph-object-user-storage-lakehouse",
      key: "SecretKey",
    });
    // every catalog credential line is an ${ENV:...} reference, and the no-plaintext-secrets policy agrees
    for (const text of Object.values(
      env ? one(r, HELM_RELEASE, "trino-chart-release").inputs.spec.values.catalogs : {},
    ))
      if (typeof text === "string")
        for (const line of text.split("\n").filter((l) => /key|secret|password/i.test(l.split("=")[0])))
          assert.match(line, /=\$\{ENV:[A-Z_]+\}$/, line);
    assert.deepEqual(runPolicy("no-plaintext-secrets", planOf(r)), []);
  });

  it("runs the coordinator at the critical and the workers at the batch priority, non-root", () => {
    const v = release.inputs.spec.values;
    assert.equal(v.coordinator.priorityClassName, "lakehouse-critical");
    assert.equal(v.worker.priorityClassName, "lakehouse-batch");
    assert.deepEqual(v.securityContext, {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(v.containerSecurityContext, {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("shuts workers down gracefully: Trino's grace period and twice it plus 30 s before SIGKILL; a worker PDB", () => {
    const v = release.inputs.spec.values;
    assert.deepEqual(v.worker.gracefulShutdown, { enabled: true, gracePeriodSeconds: 120 });
    assert.equal(v.worker.terminationGracePeriodSeconds, 270);
    const pdb = one(run0, "kubernetes:policy/v1:PodDisruptionBudget", "trino-worker-pdb");
    assert.deepEqual(pdb.inputs.spec, {
      maxUnavailable: 1,
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": "trino",
          "app.kubernetes.io/instance": "trino",
          "app.kubernetes.io/component": "worker",
        },
      },
    });
  });

  it("scrapes Trino's native /metrics with ServiceMonitors (chart's JMX ServiceMonitor off)", () => {
    const v = release.inputs.spec.values;
    assert.deepEqual(v.serviceMonitor, { enabled: false });
    assert.deepEqual(v.jmx, { enabled: false, exporter: { enabled: false } });
    const secret = one(run0, "kubernetes:core/v1:Secret", "trino-metrics-auth");
    assert.deepEqual(unwrap(secret.inputs.stringData), { username: "prometheus", password: "" });
    assert.deepEqual(secret.secretPaths, ["stringData"]);
    for (const role of ["coordinator", "worker"]) {
      const sm = one(
        run0,
        "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
        `trino-${role}-servicemonitor`,
      );
      assert.equal(sm.inputs.metadata.name, `trino-${role}`);
      assert.deepEqual(sm.inputs.spec.selector.matchLabels, {
        "app.kubernetes.io/name": "trino",
        "app.kubernetes.io/instance": "trino",
        "app.kubernetes.io/component": role,
      });
      assert.deepEqual(sm.inputs.spec.namespaceSelector, { matchNames: ["lakehouse"] });
      const ep = sm.inputs.spec.endpoints[0];
      assert.equal(ep.port, "http");
      assert.equal(ep.path, "/metrics");
      assert.deepEqual(ep.basicAuth, {
        username: { name: "trino-metrics-auth", key: "username" },
        password: { name: "trino-metrics-auth", key: "password" },
      });
      assert.ok(sm.dependencies.includes(secret.urn));
    }
  });

  it("applies the PrometheusRule rendered by renderAnalyticsRules, with the monitoring labels", async () => {
    const rule = one(run0, "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "analytics-alerts-rules");
    assert.equal(rule.inputs.metadata.name, "lakehouse-analytics");
    assert.deepEqual(
      rule.inputs.spec,
      JSON.parse(
        JSON.stringify(
          renderAnalyticsRules({
            namespace: "lakehouse",
            coordinatorJob: "trino",
            workers: 2,
            failedQueryPercent: 10,
          }),
        ),
      ),
    );
  });

  it("ships the dashboards as ConfigMaps the Grafana sidecar loads (label configurable)", async () => {
    const cm = one(run0, "kubernetes:core/v1:ConfigMap", "dashboards-trino");
    assert.equal(cm.inputs.metadata.name, "lakehouse-dashboard-trino");
    assert.equal(cm.inputs.metadata.namespace, "monitoring");
    assert.equal(cm.inputs.metadata.labels.grafana_dashboard, "1");
    const dash = JSON.parse(cm.inputs.data["lakehouse-trino.json"]);
    assert.equal(dash.uid, "lakehouse-trino");
    const r = await runMocked(SCENARIO, {
      config: {
        analytics: { dashboardLabels: { grafana_dashboard: "lakehouse" }, dashboardNamespace: "grafana" },
      },
    });
    const other = one(r, "kubernetes:core/v1:ConfigMap", "dashboards-metastore");
    assert.equal(other.inputs.metadata.namespace, "grafana");
    assert.equal(other.inputs.metadata.labels.grafana_dashboard, "lakehouse");
  });

  it("passes every mandatory policy with the Readiness resource (phase order and namespaces are whole-plan policies)", () => {
    const mandatory = evaluatePolicies([readiness(), ...planOf(run0)]).filter(
      (v) => v.enforcement === "mandatory" && !["phase-order", "namespace-guardrails"].includes(v.policy),
    );
    assert.deepEqual(mandatory, []);
  });

  it("capacity-budget counts the Trino pods at their replicas: 1 coordinator + server.workers workers", () => {
    const props = release.inputs as Record<string, unknown>;
    assert.deepEqual(resourceRequests(release.type, props), {
      cpu: 0.5 + 2 * 0.75,
      memory: (6 + 2 * 16) * GiB,
    });
    const four = {
      ...props,
      spec: { ...release.inputs.spec, values: { ...release.inputs.spec.values, server: { workers: 4 } } },
    };
    assert.deepEqual(resourceRequests(release.type, four), {
      cpu: 0.5 + 4 * 0.75,
      memory: (6 + 4 * 16) * GiB,
    });
    // With 20 GiB free, the 38 GiB of Trino alone breaks the budget, and the message says so.
    const relRes: PlannedResource = { type: release.type, name: release.name, urn: release.urn, props };
    const msgs = runPolicy("capacity-budget", [readiness({ freeMemory: 20 * GiB }), relRes]).map(
      (v) => v.message,
    );
    assert.ok(
      msgs.some((m) => /the plan requests 38Gi but only 20Gi is free/.test(m)),
      msgs.join("\n"),
    );
    assert.deepEqual(runPolicy("capacity-budget", [readiness(), relRes]), []);
  });
});
