/**
 * deploy/rbac/verify-compute.yaml under real RBAC (`--authorization-mode=Node,RBAC`), applied as shipped: the
 * API server allows its ServiceAccount everything the compute verification requests (SelfSubjectAccessReview,
 * the authorizer's own answer) and refuses what it does not grant; and, as that identity, the real
 * SparkApplication runner submits the sample job's manifest (runApplication = sampleJobManifest with a scratch
 * prefix, tables and name), which the API server accepts, watches it and deletes it. No Spark Operator runs here
 * (no kubelet), so the application never leaves its initial state: the run ends at the timeout, as designed.
 * Named to sort before rbac.test.ts, which stops the shared control plane.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import * as YAML from "yaml";
import { runApplication, sampleJobTables } from "../../verify/compute/sampleJobRun";
import { SparkApplicationRunner } from "../../verify/kube/sparkApplication";
import { e2eHint, registerTeardown, requireTools, sharedEnv, REPO, type E2eEnv } from "./env";

registerTeardown();

interface Access {
  namespace?: string;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
}

describe("e2e: the compute verification's identity (deploy/rbac/verify-compute.yaml) on a real kube-apiserver", function () {
  this.timeout(600_000);
  let env: E2eEnv;
  let token: string;
  let kubeconfig: string;

  before(async function () {
    this.timeout(900_000);
    requireTools(e2eHint());
    env = await sharedEnv();
    for (const ns of ["lakehouse", "airflow"]) {
      await env.cp.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    }
    const docs = YAML.parseAllDocuments(
      fs.readFileSync(path.join(REPO, "deploy/rbac/verify-compute.yaml"), "utf8"),
    ).map((d) => d.toJSON() as Record<string, unknown>);
    for (const d of docs) await env.cp.apply(d as never);
    token = await env.cp.serviceAccountToken("lakehouse", "lakehouse-verify");
    kubeconfig = path.join(env.cp.base, "verify-compute.kubeconfig");
    env.cp.writeKubeconfig(kubeconfig, token, "e2e");
  });

  const allowed = async (a: Access): Promise<boolean> => {
    const { name, subresource, ...rest } = a;
    const r = (await env.cp.request(
      "POST",
      "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: {
          resourceAttributes: { ...rest, ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) },
        },
      },
      { token },
    )) as { status?: { allowed?: boolean } };
    return r.status?.allowed === true;
  };
  const inNs = (namespace: string, verbs: string[], group: string, resource: string, subresource?: string) =>
    verbs.map((verb) => ({ namespace, verb, group, resource, ...(subresource ? { subresource } : {}) }));

  it("allows everything the compute verification requests, and nothing else that matters", async () => {
    const needed: Access[] = [
      {
        verb: "get",
        group: "apiextensions.k8s.io",
        resource: "customresourcedefinitions",
        name: "sparkapplications.sparkoperator.k8s.io",
      },
      ...inNs("lakehouse", ["get"], "helm.toolkit.fluxcd.io", "helmreleases"),
      ...inNs("lakehouse", ["get"], "apps", "deployments"),
      ...inNs("lakehouse", ["get"], "", "endpoints"),
      ...inNs("lakehouse", ["create", "get", "delete"], "sparkoperator.k8s.io", "sparkapplications"),
      ...["lakehouse", "airflow"].flatMap((ns) => [
        ...inNs(ns, ["create", "get", "delete"], "batch", "jobs"),
        ...inNs(ns, ["create", "delete"], "", "configmaps"),
        ...inNs(ns, ["list"], "", "pods"),
        ...inNs(ns, ["get"], "", "pods", "log"),
      ]),
    ];
    for (const a of needed) assert.equal(await allowed(a), true, JSON.stringify(a));
    const refused: Access[] = [
      { namespace: "lakehouse", verb: "get", group: "", resource: "secrets" },
      { namespace: "lakehouse", verb: "list", group: "", resource: "secrets" },
      {
        verb: "get",
        group: "apiextensions.k8s.io",
        resource: "customresourcedefinitions",
        name: "helmreleases.helm.toolkit.fluxcd.io",
      },
      { namespace: "airflow", verb: "create", group: "sparkoperator.k8s.io", resource: "sparkapplications" },
      { namespace: "lakehouse", verb: "delete", group: "apps", resource: "deployments" },
      { namespace: "lakehouse", verb: "create", group: "", resource: "pods", subresource: "exec" },
      { namespace: "default", verb: "create", group: "batch", resource: "jobs" },
    ];
    for (const a of refused) assert.equal(await allowed(a), false, JSON.stringify(a));
  });

  it("as that identity, the runner submits the sample job's manifest, watches it until the timeout and deletes it", async () => {
    const config = env.config();
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const spec = { runId: "rbac1", purpose: "sample", checkId: "verify.sample-job" } as const;
    const app = runApplication(config, spec, sampleJobTables(config, "rbac1"));
    assert.equal(app.metadata.namespace, "lakehouse");
    const runner = new SparkApplicationRunner(kc, {
      timeoutMs: 1_500,
      pollMs: 300,
      requestTimeoutMs: 30_000,
    });
    const r = await runner.run(app);
    assert.equal(r.state, "timeout", JSON.stringify(r));
    assert.equal((r as { lastState: string }).lastState, "", "no operator picked it up");
    assert.match(
      (r as { logTail: string }).logTail,
      /^log unavailable: the operator reported no driver pod$/,
    );
    const stored = await env.cp.get(app.apiVersion, "SparkApplication", app.metadata.name, "lakehouse");
    assert.ok(stored, "the API server accepted the manifest");
    assert.deepEqual((stored.metadata as { labels: Record<string, string> }).labels, app.metadata.labels);
    assert.deepEqual(await runner.delete(app), [], "deleted without a refusal");
    const gone = await env.cp.get(app.apiVersion, "SparkApplication", app.metadata.name, "lakehouse");
    assert.equal(gone, undefined);
  });
});
