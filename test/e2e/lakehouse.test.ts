/**
 * The real Pulumi engine against a real Kubernetes control plane: `preview` with the policy pack, `up`, a second
 * `up`, drift between preview and up, `destroy` and `up` again, on the anton stack (Pulumi.anton.yaml + the
 * e2e overrides of ./env.ts). Real: the Pulumi CLI (engine), the Kubernetes provider, the CrossGuard analyzer
 * protocol, kube-apiserver (admission, CRD validation, RBAC), kube-controller-manager, kube-scheduler, etcd,
 * radosgw. Not real: the Node.js language host (the program runs as an Automation API inline program, the same
 * `main()`), kubelets and containers (kwok), Ceph behind Rook's objects, Flux's controllers, metrics-server.
 *
 * The steps share one stack and run in order; each names the issue-9 bullet it shows.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import main from "../../index";
import { FOUNDATION_NAMES } from "../../stacks/foundation/names";
import { ApiError, type Obj } from "../../harness/kube-control-plane";
import { ANTON_CLUSTER, ANTON_METRICS } from "./anton";
import { startFluxStandIn, type FluxStandIn } from "./flux";
import { antonStackConfig, e2eHint, registerTeardown, requireTools, sharedEnv, type E2eEnv } from "./env";
import {
  createStack,
  diagnostics,
  pulumiHint,
  recording,
  steps,
  violations,
  REPO,
  type E2eStack,
} from "./pulumi";

registerTeardown();

const POLICY_PACK = path.join(REPO, "policy-pack");
const NS = (antonStackConfig()["lakehouse:platform"] as { namespace: string }).namespace;
const DB_CLAIM = `${FOUNDATION_NAMES.database}-data`;

interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  outputs?: {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string; namespace?: string; uid?: string };
  };
}

/** The Kubernetes objects the stack's state holds (every phase, the base). */
async function kubeObjects(s: E2eStack): Promise<StateResource[]> {
  const d = await s.stack.exportStack();
  const resources = ((d.deployment as { resources?: StateResource[] }).resources ?? []) as StateResource[];
  return resources.filter(
    (r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers:") && r.outputs?.kind,
  );
}

/** What changes when an object's desired state changes: its generation, or (no generation) its resourceVersion. */
const specVersion = (o: Obj): string => {
  const md = o.metadata as { generation?: number; resourceVersion: string };
  return md.generation !== undefined
    ? `generation ${md.generation}`
    : `resourceVersion ${md.resourceVersion}`;
};

const key = (r: StateResource): string =>
  `${r.outputs!.kind}/${r.outputs!.metadata?.namespace ? `${r.outputs!.metadata.namespace}/` : ""}${r.outputs!.metadata?.name}`;

describe("e2e: the real Pulumi engine against a real Kubernetes control plane", function () {
  this.timeout(900_000);
  let env: E2eEnv;
  let s: E2eStack;
  let tmp: string;
  let flux: FluxStandIn | undefined;
  const savedKubeconfig = process.env.KUBECONFIG;
  const offline = (extra: Record<string, unknown> = {}): void =>
    s.configure({ ...env.overrides, "lakehouse:snapshotFiles": [ANTON_CLUSTER, ANTON_METRICS], ...extra });
  const live = (extra: Record<string, unknown> = {}): void =>
    s.configure({ ...env.overrides, "lakehouse:snapshotFiles": [], ...extra });
  const get = (kind: string, name: string, ns?: string, apiVersion?: string): Promise<Obj | undefined> =>
    env.cp.get(
      apiVersion ?? (kind === "StatefulSet" || kind === "Deployment" ? "apps/v1" : "v1"),
      kind,
      name,
      ns,
    );

  before(async function () {
    this.timeout(900_000);
    requireTools([e2eHint(), pulumiHint()].filter(Boolean).join(" "));
    env = await sharedEnv();
    // The program's live preflight reads KUBECONFIG in this process (the inline program runs here); the
    // provider reads it in the engine's environment.
    process.env.KUBECONFIG = env.kubeconfig;
    s = await createStack("anton", async () => ({ ...(await main()) }), { KUBECONFIG: env.kubeconfig });
    tmp = s.dir;
    // The compute and analytics charts are Flux HelmReleases that `up` waits on until Ready (./flux.ts).
    flux = startFluxStandIn(env.cp);
  });
  after(async () => {
    await flux?.stop();
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
    s?.cleanup();
  });

  it("preview --policy-pack on anton's offline snapshot: Readiness, gates, every planned resource, the pack passes", async () => {
    offline();
    const r = await s.stack.preview({ policyPacks: [POLICY_PACK], ...recording(s) });
    const planned = steps(s).filter((x) => x.op === "create");
    const types = new Set(planned.map((x) => x.type));
    assert.ok(types.has("pulumi-nodejs:dynamic/lakehouse:Readiness"), [...types].join(", "));
    assert.ok(types.has("lakehouse:base:PlatformBase"));
    for (const t of [
      "WarehouseBucket",
      "ArtifactCache",
      "MetastoreDatabase",
      "HiveMetastore",
      "MetadataBackup",
      "FoundationAlerts",
    ]) {
      assert.ok(types.has(`lakehouse:foundation:${t}`), `lakehouse:foundation:${t} planned`);
    }
    for (const t of [
      "kubernetes:core/v1:Namespace",
      "kubernetes:core/v1:ResourceQuota",
      "kubernetes:core/v1:LimitRange",
      "kubernetes:scheduling.k8s.io/v1:PriorityClass",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "kubernetes:apps/v1:Deployment",
      "kubernetes:apps/v1:StatefulSet",
      "kubernetes:core/v1:PersistentVolumeClaim",
      "kubernetes:policy/v1:PodDisruptionBudget",
      "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    ]) {
      assert.ok(types.has(t), `${t} planned (planned: ${[...types].join(", ")})`);
    }
    assert.ok((r.changeSummary.create ?? 0) >= 25, JSON.stringify(r.changeSummary));
    const info = diagnostics(s).join("\n");
    assert.match(info, /Readiness: ready\./);
    assert.deepEqual(
      violations(s).filter((v) => v.level === "mandatory"),
      [],
      "no mandatory violation",
    );
    // The engine loaded and ran the pack (analyzer fallback) and reports it.
    assert.match(r.stdout, /Policies:\s*\n\s*✅ lakehouse@v0\.1\.0 \(local: /, r.stdout.slice(-2000));
  });

  it("preview: a mandatory violation (an unpinned image set in config) fails with the policy's message", async () => {
    const images = antonStackConfig()["lakehouse:images"] as Record<string, string>;
    offline({ "lakehouse:images": { ...images, metastore: "apache/hive:latest" } });
    await assert.rejects(s.stack.preview({ policyPacks: [POLICY_PACK], ...recording(s) }));
    const pinned = violations(s).filter((v) => v.policy === "pinned-images");
    assert.ok(pinned.length > 0, JSON.stringify(violations(s)));
    assert.equal(pinned[0].level, "mandatory");
    assert.match(pinned.map((v) => v.message).join("\n"), /apache\/hive:latest/);
  });

  it("preview: a blocked snapshot fails on readiness-gate and plans no phase", async () => {
    const doc = JSON.parse(fs.readFileSync(ANTON_CLUSTER, "utf8")) as { items: Obj[] };
    for (const o of doc.items)
      if (o.kind === "CephObjectStore") (o as { status: Record<string, unknown> }).status.phase = "Failure";
    const blocked = path.join(tmp, "anton-blocked.json");
    fs.writeFileSync(blocked, JSON.stringify(doc));
    s.configure({ ...env.overrides, "lakehouse:snapshotFiles": [blocked, ANTON_METRICS] });
    await assert.rejects(s.stack.preview({ policyPacks: [POLICY_PACK], ...recording(s) }));
    const gate = violations(s).filter((v) => v.policy === "readiness-gate");
    assert.ok(gate.length > 0, JSON.stringify(violations(s)));
    assert.equal(gate[0].level, "mandatory");
    assert.match(gate[0].message, /blocked/);
    assert.match(gate.map((g) => g.message).join("\n"), /prereq\.ceph-object-store/);
    const planned = steps(s).map((x) => x.type);
    assert.ok(
      !planned.some((t) => t.startsWith("lakehouse:foundation:") || t === "lakehouse:base:PlatformBase"),
      planned.join(", "),
    );
    assert.ok(planned.includes("pulumi-nodejs:dynamic/lakehouse:Readiness"));
  });

  let firstUp: Map<string, string>;

  it("up (live) converges: every object exists, admitted for real; Deployments/StatefulSets Ready on kwok; PVC bound", async () => {
    live();
    const r = await s.stack.up({ policyPacks: [POLICY_PACK], ...recording(s) });
    assert.equal(r.summary.result, "succeeded");
    assert.match(diagnostics(s).join("\n"), /Assessing readiness \(live\)[\s\S]*Readiness: ready\./);
    const objs = await kubeObjects(s);
    assert.ok(objs.length >= 25, `${objs.length} Kubernetes objects in the state`);
    firstUp = new Map();
    for (const o of objs) {
      const { apiVersion, kind, metadata } = o.outputs!;
      const live = await env.cp.get(apiVersion!, kind!, metadata!.name!, metadata!.namespace);
      assert.ok(live, `${key(o)} exists in the API server`);
      assert.equal(
        (live.metadata as { uid: string }).uid,
        metadata!.uid,
        `${key(o)} is the object Pulumi created`,
      );
      firstUp.set(key(o), metadata!.uid!);
    }
    const kinds = new Set(objs.map((o) => o.outputs!.kind));
    for (const k of [
      "Namespace",
      "ResourceQuota",
      "LimitRange",
      "PriorityClass",
      "NetworkPolicy",
      "PodDisruptionBudget",
      "ObjectBucketClaim",
      "PrometheusRule",
      "ServiceMonitor",
      "CronJob",
      "Job",
      "HelmRepository",
      "HelmRelease",
    ]) {
      assert.ok(kinds.has(k), `a ${k} was created (kinds: ${[...kinds].join(", ")})`);
    }
    // The Spark Operator's and Trino's HelmReleases (compute, analytics) were waited on until Ready.
    const releases = objs
      .filter((o) => o.outputs!.kind === "HelmRelease")
      .map((o) => `${o.outputs!.metadata!.namespace}/${o.outputs!.metadata!.name}`);
    for (const chart of ["spark-operator", "trino"]) {
      assert.ok(
        releases.some((n) => n.endsWith(`/${chart}`)),
        `a HelmRelease for ${chart} was created (HelmReleases: ${releases.join(", ")})`,
      );
    }
    assert.deepEqual(
      [...flux!.reconciled].sort(),
      [...releases].sort(),
      "every HelmRelease was waited on until Ready",
    );
    // Workloads Ready on kwok nodes, placed by the real scheduler.
    for (const o of objs.filter(
      (x) => x.outputs!.kind === "Deployment" || x.outputs!.kind === "StatefulSet",
    )) {
      const w = (await get(o.outputs!.kind!, o.outputs!.metadata!.name!, NS))!;
      const want = (w.spec as { replicas: number }).replicas;
      assert.ok(want > 0);
      assert.equal((w.status as { readyReplicas?: number }).readyReplicas, want, `${key(o)} ready replicas`);
    }
    const pods = await env.cp.list("v1", "Pod", NS);
    assert.ok(pods.length > 0);
    for (const p of pods) {
      assert.match(
        String((p.spec as { nodeName?: string }).nodeName),
        /^anton-0\d$/,
        `${(p.metadata as { name: string }).name} scheduled`,
      );
    }
    // Priority admission resolved the class name to its value; the quota controller counts the pods.
    const metastore =
      pods.find(
        (p) =>
          ((p.metadata as { labels?: Record<string, string> }).labels ?? {})["app.kubernetes.io/name"] ===
          FOUNDATION_NAMES.metastore,
      ) ?? pods[0];
    assert.equal(typeof (metastore.spec as { priority?: number }).priority, "number");
    const quota = objs.find((o) => o.outputs!.kind === "ResourceQuota")!;
    await env.cp.waitForObject(
      "v1",
      "ResourceQuota",
      quota.outputs!.metadata!.name!,
      NS,
      "quota usage counted",
      (q) => Number(((q.status as { used?: Record<string, string> })?.used ?? {})["pods"] ?? 0) > 0,
    );
    // The claim bound to the volume made for it (no provisioner runs here).
    const pvc = (await get("PersistentVolumeClaim", DB_CLAIM, NS))!;
    assert.equal((pvc.status as { phase: string }).phase, "Bound");
    assert.equal((pvc.spec as { volumeName: string }).volumeName, env.anton.databaseVolume);
    // CRD structural validation is real: the same API server refuses a malformed PrometheusRule.
    await assert.rejects(
      env.cp.request("POST", await env.cp.pathOf("monitoring.coreos.com/v1", "PrometheusRule", NS), {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "e2e-malformed", namespace: NS },
        spec: { groups: "not-a-list" },
      }),
      (e: unknown) => e instanceof ApiError && e.code === 422 && /spec\.groups/.test(e.message),
    );
  });

  it("the artifact cache's staging Job completed before anything that reads the cache was created (engine order)", async () => {
    // The events of the first up, in the engine's order: a Job's outputs event comes once the provider saw it
    // complete; the readers' pre-events must all come after it (dependencies, not sleeps).
    const urnEnds = (
      e: { resourcePreEvent?: unknown; resOutputsEvent?: unknown },
      name: string,
      ev: string,
    ) =>
      ((e as Record<string, { metadata?: { urn?: string } } | undefined>)[ev]?.metadata?.urn ?? "").endsWith(
        `::${name}`,
      );
    const staged = s.events.findIndex((e) => urnEnds(e, "artifact-cache-stage", "resOutputsEvent"));
    assert.ok(staged >= 0, "the staging Job was created in the first up");
    for (const reader of [
      "hive-metastore-schema",
      "hive-metastore-deployment",
      "sample-job-files",
      "airflow-integration-dags",
    ]) {
      const pre = s.events.findIndex((e) => urnEnds(e, reader, "resourcePreEvent"));
      assert.ok(pre >= 0, `${reader} was planned`);
      assert.ok(
        pre > staged,
        `${reader} (event ${pre}) starts after the staging Job completed (event ${staged})`,
      );
    }
    // The same, as the API server recorded it: the Job succeeded, and the schema Job and the metastore's
    // Deployment were created no earlier than its completion.
    const jobs = await env.cp.list("batch/v1", "Job", NS);
    const stage = jobs.find((j) =>
      (j.metadata as { name: string }).name.startsWith(`${FOUNDATION_NAMES.artifactStage}-`),
    )!;
    assert.equal((stage.status as { succeeded?: number }).succeeded, 1);
    const done = Date.parse((stage.status as { completionTime: string }).completionTime);
    const schema = jobs.find((j) =>
      (j.metadata as { name: string }).name.startsWith("hive-metastore-schema-"),
    )!;
    const deployment = (await get("Deployment", FOUNDATION_NAMES.metastore, NS))!;
    for (const o of [schema, deployment]) {
      const created = Date.parse((o.metadata as { creationTimestamp: string }).creationTimestamp);
      assert.ok(
        created >= done,
        `${(o.metadata as { name: string }).name} created at or after the cache was staged`,
      );
    }
  });

  it("a second up reports no changes", async () => {
    live();
    const r = await s.stack.up({ policyPacks: [POLICY_PACK], ...recording(s) });
    const changed = Object.entries(r.summary.resourceChanges ?? {}).filter(
      ([op, n]) => op !== "same" && (n ?? 0) > 0,
    );
    assert.deepEqual(
      changed,
      [],
      `${JSON.stringify(r.summary.resourceChanges)}\n${steps(s)
        .filter((x) => x.op !== "same")
        .map((x) => `${x.op} ${x.urn}`)
        .join("\n")}`,
    );
  });

  it("made unready between preview and up (CephObjectStore not Ready): up refuses with the check and its fix; nothing changes", async () => {
    live();
    await s.stack.preview({ policyPacks: [POLICY_PACK], ...recording(s) });
    const store = (await env.cp.get("ceph.rook.io/v1", "CephObjectStore", "storage", "storage"))!;
    const before = new Map((await kubeObjects(s)).map((o) => [key(o), o.outputs!.metadata!.uid]));
    const versions = new Map<string, string>();
    for (const o of await kubeObjects(s)) {
      const v = await env.cp.get(
        o.outputs!.apiVersion!,
        o.outputs!.kind!,
        o.outputs!.metadata!.name!,
        o.outputs!.metadata!.namespace,
      );
      versions.set(key(o), specVersion(v!));
    }
    await env.cp.setStatus(store, { phase: "Failure" });
    try {
      const err = await s.stack.up({ policyPacks: [POLICY_PACK], ...recording(s) }).then(
        () => undefined,
        (e: Error) => e,
      );
      assert.ok(err, "up must fail");
      const text = `${err.message}\n${diagnostics(s).join("\n")}`;
      assert.match(text, /Readiness is "blocked" at update time/);
      assert.match(
        text,
        /prereq\.ceph-object-store \(fail\): CephObjectStore storage\/storage has phase Failure/,
      );
      assert.match(text, /Fix: Inspect `kubectl -n storage describe cephobjectstore storage`/);
      assert.deepEqual(
        steps(s).filter((x) => x.op === "delete" || x.op === "update" || x.op === "replace"),
        [],
      );
      const after = new Map((await kubeObjects(s)).map((o) => [key(o), o.outputs!.metadata!.uid]));
      assert.deepEqual(after, before, "the state is unchanged");
      for (const o of await kubeObjects(s)) {
        const v = await env.cp.get(
          o.outputs!.apiVersion!,
          o.outputs!.kind!,
          o.outputs!.metadata!.name!,
          o.outputs!.metadata!.namespace,
        );
        assert.ok(v, `${key(o)} still exists`);
        assert.equal(specVersion(v), versions.get(key(o)), `${key(o)} unchanged`);
      }
    } finally {
      await env.cp.setStatus(store, { phase: "Ready" });
    }
  });

  let kept: Record<string, string>;

  it("destroy keeps the retained data (database PVC, bucket claims, their namespace); everything else is gone", async () => {
    const uid = async (apiVersion: string, kind: string, name: string, ns?: string): Promise<string> =>
      ((await env.cp.get(apiVersion, kind, name, ns))!.metadata as { uid: string }).uid;
    kept = {
      namespace: await uid("v1", "Namespace", NS),
      pvc: await uid("v1", "PersistentVolumeClaim", DB_CLAIM, NS),
      warehouse: await uid(
        "objectbucket.io/v1alpha1",
        "ObjectBucketClaim",
        FOUNDATION_NAMES.warehouseClaim,
        NS,
      ),
      backup: await uid("objectbucket.io/v1alpha1", "ObjectBucketClaim", FOUNDATION_NAMES.backupClaim, NS),
      secret: await uid("v1", "Secret", FOUNDATION_NAMES.databaseCredentials, NS),
      password: String(
        ((await get("Secret", FOUNDATION_NAMES.databaseCredentials, NS))!.data as Record<string, string>)
          .password,
      ),
    };
    const objs = await kubeObjects(s);
    const r = await s.stack.destroy({ ...recording(s) });
    assert.equal(r.summary.result, "succeeded");
    const ns = (await env.cp.get("v1", "Namespace", NS))!;
    assert.equal((ns.metadata as { uid: string }).uid, kept.namespace);
    assert.equal(
      (ns.metadata as { deletionTimestamp?: string }).deletionTimestamp,
      undefined,
      "the namespace is not being deleted",
    );
    assert.ok(
      await get("Secret", FOUNDATION_NAMES.databaseCredentials, NS),
      "the database credentials are kept",
    );
    const pvc = (await get("PersistentVolumeClaim", DB_CLAIM, NS))!;
    assert.equal((pvc.metadata as { uid: string }).uid, kept.pvc);
    assert.equal((pvc.status as { phase: string }).phase, "Bound");
    assert.equal((pvc.spec as { volumeName: string }).volumeName, env.anton.databaseVolume);
    for (const c of [
      FOUNDATION_NAMES.warehouseClaim,
      FOUNDATION_NAMES.backupClaim,
      FOUNDATION_NAMES.artifactsClaim,
    ]) {
      assert.ok(
        await env.cp.get("objectbucket.io/v1alpha1", "ObjectBucketClaim", c, NS),
        `ObjectBucketClaim ${c} kept`,
      );
    }
    const retained = new Set([
      `Namespace/${NS}`,
      `PersistentVolumeClaim/${NS}/${DB_CLAIM}`,
      `ObjectBucketClaim/${NS}/${FOUNDATION_NAMES.warehouseClaim}`,
      `ObjectBucketClaim/${NS}/${FOUNDATION_NAMES.backupClaim}`,
      `ObjectBucketClaim/${NS}/${FOUNDATION_NAMES.artifactsClaim}`,
      `Secret/${NS}/${FOUNDATION_NAMES.databaseCredentials}`,
    ]);
    for (const o of objs) {
      if (retained.has(key(o))) continue;
      assert.equal(
        await env.cp.get(
          o.outputs!.apiVersion!,
          o.outputs!.kind!,
          o.outputs!.metadata!.name!,
          o.outputs!.metadata!.namespace,
        ),
        undefined,
        `${key(o)} deleted`,
      );
    }
    assert.deepEqual(await kubeObjects(s), [], "the stack holds nothing");
  });

  it("a following up converges: it adopts the same claims on the same volume and imports the kept credentials Secret, whose password is never overwritten", async () => {
    live();
    const r = await s.stack.up({ policyPacks: [POLICY_PACK], ...recording(s) });
    assert.equal(r.summary.result, "succeeded");
    const pvc = (await get("PersistentVolumeClaim", DB_CLAIM, NS))!;
    assert.equal(
      (pvc.metadata as { uid: string }).uid,
      kept.pvc,
      "the database claim is the one from before destroy",
    );
    assert.equal((pvc.spec as { volumeName: string }).volumeName, env.anton.databaseVolume);
    for (const [c, uid] of [
      [FOUNDATION_NAMES.warehouseClaim, kept.warehouse],
      [FOUNDATION_NAMES.backupClaim, kept.backup],
    ]) {
      const obc = (await env.cp.get("objectbucket.io/v1alpha1", "ObjectBucketClaim", c, NS))!;
      assert.equal(
        (obc.metadata as { uid: string }).uid,
        uid,
        `ObjectBucketClaim ${c} is the one from before destroy`,
      );
    }
    // The kept Secret is imported (the live preflight saw it, metadata only), not created anew: same object,
    // same password, the one the volume was initialised with (PostgreSQL reads it only then).
    const secretSteps = steps(s).filter(
      (x) =>
        x.type === "kubernetes:core/v1:Secret" && x.urn.endsWith(`::${FOUNDATION_NAMES.databaseCredentials}`),
    );
    assert.deepEqual(
      secretSteps.map((x) => x.op),
      ["import"],
      secretSteps.map((x) => `${x.op} ${x.urn}`).join("\n"),
    );
    assert.ok(
      diagnostics(s).some((d) =>
        /Adopting the database credentials Secret lakehouse\/metastore-db-credentials/.test(d),
      ),
      diagnostics(s).join("\n"),
    );
    const secret = (await get("Secret", FOUNDATION_NAMES.databaseCredentials, NS))!;
    assert.equal((secret.metadata as { uid: string }).uid, kept.secret, "the same Secret object");
    assert.equal(
      (secret.data as Record<string, string>).password,
      kept.password,
      "the database credentials survived",
    );
    // And the adopted stack is steady: a preview after it changes nothing.
    const p = await s.stack.preview({ policyPacks: [POLICY_PACK], ...recording(s) });
    const changed = Object.entries(p.changeSummary ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
    assert.deepEqual(
      changed,
      [],
      steps(s)
        .filter((x) => x.op !== "same")
        .map((x) => `${x.op} ${x.urn}`)
        .join("\n"),
    );
  });
});
