/**
 * The platform base: its pure parts (quota from sizing, limit defaults, network rules) and the component under
 * mocks with the exact child inputs.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "../../../preflight/config/load";
import type { LakehouseConfig } from "../../../preflight/config/schema";
import { containerDefaults, networkPolicies, quotaHard } from "../../../stacks/base";

const defaults = (): LakehouseConfig => parseConfig({}, "test");

describe("stacks/base quotaHard", () => {
  it("sums the default sizing of all three phases plus 25 % headroom", () => {
    // requests: metastore 2x250m/1Gi, db 250m/1Gi, backup 100m/256Mi, operator 200m/512Mi, webhook 100m/256Mi,
    // driver 500m/2Gi, executors 2x1/6Gi, coordinator 500m/6Gi, workers 2x750m/16Gi, table maintenance
    // 100m/128Mi, pushgateway 50m/64Mi = 5800m, 56Gi + 192Mi, 14 pods.
    assert.deepStrictEqual(quotaHard(defaults()), {
      "requests.cpu": "7250m", // 5800 * 1.25
      "requests.memory": "71920Mi", // 57536 MiB * 1.25
      "limits.memory": "71920Mi", // memory limit defaults to the request
      pods: "18", // 14 * 1.25 = 17.5, rounded up
    });
  });

  it("follows the enabled phases, the headroom and explicit memory limits", () => {
    const cfg = parseConfig(
      {
        phases: { foundation: true, compute: false, analytics: false },
        platform: { quotaHeadroomPercent: 0 },
        sizing: { metastore: { replicas: 3, cpu: "1", memory: "2Gi", memoryLimit: "3Gi" } },
      },
      "test",
    );
    // metastore 3x1/2Gi (limit 3Gi), db 250m/1Gi, backup 100m/256Mi
    assert.deepStrictEqual(quotaHard(cfg), {
      "requests.cpu": "3350m",
      "requests.memory": `${3 * 2048 + 1024 + 256}Mi`,
      "limits.memory": `${3 * 3072 + 1024 + 256}Mi`,
      pods: "5",
    });
    assert.strictEqual(quotaHard(cfg, ["foundation", "compute"]).pods, "10"); // + operator, webhook, driver, 2 executors
  });

  it("has no CPU limit quota (the platform sets no CPU limits)", () => {
    assert.ok(!("limits.cpu" in quotaHard(defaults())));
    assert.ok(!("cpu" in containerDefaults().default));
  });
});

describe("stacks/base networkPolicies", () => {
  const cfg = parseConfig(
    {
      cluster: {
        cephNamespace: "rook",
        objectStore: "lake",
        monitoringNamespace: "prom",
        airflowNamespace: "af",
      },
    },
    "test",
  );
  const np = networkPolicies(cfg);
  const nsSel = (n: string) => ({ matchLabels: { "kubernetes.io/metadata.name": n } });

  it("denies all ingress and egress by default", () => {
    assert.deepStrictEqual(np["default-deny"], { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("allows the namespace's own pods both ways", () => {
    assert.deepStrictEqual(np["allow-same-namespace"].ingress, [
      { from: [{ podSelector: { matchLabels: {} } }] },
    ]);
    assert.deepStrictEqual(np["allow-same-namespace"].egress, [
      { to: [{ podSelector: { matchLabels: {} } }] },
    ]);
  });

  it("allows DNS to kube-dns in kube-system on 53 UDP and TCP", () => {
    assert.deepStrictEqual(np["allow-dns"].egress, [
      {
        to: [
          {
            namespaceSelector: nsSel("kube-system"),
            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
          },
        ],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ]);
  });

  it("allows egress to the configured object store's RGW pods in the Ceph namespace", () => {
    const rule = np["allow-object-store"].egress![0];
    assert.deepStrictEqual(rule.to, [
      {
        namespaceSelector: nsSel("rook"),
        podSelector: { matchLabels: { app: "rook-ceph-rgw", rook_object_store: "lake" } },
      },
    ]);
    assert.deepStrictEqual(
      rule.ports!.map((p) => p.port),
      [8080, 8443, 80, 443],
    );
  });

  it("allows the Kubernetes API ports, ingress from monitoring and from Airflow", () => {
    assert.deepStrictEqual(np["allow-kube-api"].egress, [
      {
        ports: [
          { protocol: "TCP", port: 443 },
          { protocol: "TCP", port: 6443 },
        ],
      },
    ]);
    assert.deepStrictEqual(np["allow-monitoring"].ingress, [
      { from: [{ namespaceSelector: nsSel("prom") }] },
    ]);
    assert.deepStrictEqual(np["allow-airflow"].ingress, [{ from: [{ namespaceSelector: nsSel("af") }] }]);
    assert.deepStrictEqual(np["allow-monitoring"].policyTypes, ["Ingress"]);
  });

  it("lets only the artifact cache's staging Job out to the artifact sources' ports", () => {
    assert.deepStrictEqual(np["allow-artifact-source"], {
      podSelector: { matchLabels: { "lakehouse.dev/artifact-stager": "true" } },
      policyTypes: ["Egress"],
      egress: [{ ports: [{ protocol: "TCP", port: 443 }] }],
    });
    const mirror = parseConfig(
      {
        artifacts: { source: { maven: "http://nexus.lan:8081/repository/maven", pypi: "http://files.lan" } },
      },
      "test",
    );
    assert.deepStrictEqual(networkPolicies(mirror)["allow-artifact-source"].egress, [
      {
        ports: [
          { protocol: "TCP", port: 80 },
          { protocol: "TCP", port: 8081 },
        ],
      },
    ]);
  });
});

describe("stacks/base PlatformBase under mocks", () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON
  const recorded: { type: string; name: string; inputs: Record<string, any> }[] = [];
  let refs: import("../../../stacks/types").PlatformBaseRefs;

  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          recorded.push({ type: a.type, name: a.name, inputs: a.inputs });
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: (a) => a.inputs,
      },
      "lakehouse",
      "test",
      true,
    );
    // Loaded after setMocks so the component binds to the mock runtime.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PlatformBase } = require("../../../stacks/base") as typeof import("../../../stacks/base");
    const cfg = parseConfig(
      {
        platform: {
          namespace: "lake",
          priorityClasses: { critical: "lh-crit", criticalValue: 5000, batch: "lh-batch", batchValue: 10 },
        },
      },
      "test",
    );
    const base = new PlatformBase("lakehouse", { config: cfg });
    refs = base.refs;
    await new Promise<void>((ok) => base.namespace.apply(() => ok()));
    await pulumi.runtime.disconnect();
  });

  const get = (type: string, name: string) => {
    const r = recorded.find((x) => x.type === type && x.name === name);
    assert.ok(r, `${type} ${name} not registered`);
    return r.inputs;
  };

  it("is one lakehouse:base:PlatformBase with children named after it", () => {
    assert.strictEqual(recorded.filter((r) => r.type === "lakehouse:base:PlatformBase").length, 1);
    for (const r of recorded.filter((x) => x.type !== "lakehouse:base:PlatformBase"))
      assert.match(r.name, /^lakehouse-/);
  });

  it("creates the namespace with the recommended labels and Pod Security labels", () => {
    assert.deepStrictEqual(get("kubernetes:core/v1:Namespace", "lakehouse-namespace").metadata, {
      name: "lake",
      labels: {
        "app.kubernetes.io/part-of": "lakehouse",
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/component": "namespace",
        "lakehouse.dev/phase": "base",
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    });
  });

  it("sizes the ResourceQuota from the planned pods and puts it in the namespace", () => {
    const q = get("kubernetes:core/v1:ResourceQuota", "lakehouse-quota");
    assert.strictEqual(q.metadata.namespace, "lake");
    assert.deepStrictEqual(q.spec.hard, {
      "requests.cpu": "7250m",
      "requests.memory": "71920Mi",
      "limits.memory": "71920Mi",
      pods: "18",
    });
  });

  it("sets LimitRange container defaults", () => {
    const l = get("kubernetes:core/v1:LimitRange", "lakehouse-limits");
    assert.strictEqual(l.metadata.namespace, "lake");
    assert.deepStrictEqual(l.spec.limits, [
      { type: "Container", defaultRequest: { cpu: "100m", memory: "128Mi" }, default: { memory: "256Mi" } },
    ]);
  });

  it("creates the critical and batch PriorityClasses from config; batch never preempts", () => {
    const c = get("kubernetes:scheduling.k8s.io/v1:PriorityClass", "lakehouse-priority-critical");
    const b = get("kubernetes:scheduling.k8s.io/v1:PriorityClass", "lakehouse-priority-batch");
    assert.deepStrictEqual(
      [c.metadata.name, c.value, c.globalDefault, c.preemptionPolicy],
      ["lh-crit", 5000, false, "PreemptLowerPriority"],
    );
    assert.deepStrictEqual(
      [b.metadata.name, b.value, b.globalDefault, b.preemptionPolicy],
      ["lh-batch", 10, false, "Never"],
    );
  });

  it("creates the eight NetworkPolicies in the namespace with the specs of networkPolicies()", () => {
    const nps = recorded.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    assert.deepStrictEqual(nps.map((n) => n.inputs.metadata.name).sort(), [
      "lakehouse-allow-airflow",
      "lakehouse-allow-artifact-source",
      "lakehouse-allow-dns",
      "lakehouse-allow-kube-api",
      "lakehouse-allow-monitoring",
      "lakehouse-allow-object-store",
      "lakehouse-allow-same-namespace",
      "lakehouse-default-deny",
    ]);
    for (const n of nps) assert.strictEqual(n.inputs.metadata.namespace, "lake");
    const deny = nps.find((n) => n.inputs.metadata.name === "lakehouse-default-deny")!;
    assert.deepStrictEqual(deny.inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("hands phases the plain names and every base resource to come after", () => {
    assert.strictEqual(refs.namespace, "lake");
    assert.strictEqual(refs.priorityClassCritical, "lh-crit");
    assert.strictEqual(refs.priorityClassBatch, "lh-batch");
    assert.strictEqual(refs.resources.length, 13);
  });
});
