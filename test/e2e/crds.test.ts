/**
 * The e2e control plane judges the program's custom objects by the upstream CRDs (test/e2e/fixtures/crds.ts,
 * cached by .ci/setup.d/56-crds.sh): Flux's HelmRelease (generated from helm-controller's API module by
 * controller-gen), Flux's sources and Kustomization, External Secrets and the Prometheus Operator. Every
 * custom object of those kinds the program renders (anton's config, and the External Secrets variant of the
 * metastore credentials that anton's `up` does not take) is accepted by a server-side apply dry run, the way the
 * Pulumi provider applies it; the same object with one wrong field or value is refused, naming the field. So a
 * misspelt `install.crds`, a wrong remediation field or a ServiceMonitor endpoint typo fails here, not on the
 * homelab.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ANALYTICS_NAMES } from "../../stacks/analytics/names";
import { FOUNDATION_NAMES } from "../../stacks/foundation/names";
import { ApiError, type Obj } from "../../harness/kube-control-plane";
import { runMocked, type Recorded } from "../stacks/run-mocked";
import { e2eHint, registerTeardown, requireTools, sharedEnv, REPO, type E2eEnv } from "./env";
import { E2E_CRD_NAMES, HAND_WRITTEN_CRD_NAMES, UPSTREAM_CRDS } from "./fixtures/crds";

registerTeardown();

/** A scratch namespace: the program's namespace does not exist before the lakehouse suite's `up`. */
const NS = "e2e-crds";
/** The groups whose CRDs are upstream. */
const UPSTREAM_GROUPS = new Set(
  Object.values(UPSTREAM_CRDS)
    .flat()
    .map((c) => c.split(".").slice(1).join(".")),
);

const scenario = (phase: string): string => path.join(REPO, "test/stacks", phase, "scenario.ts");

/** The program's custom objects of upstream kinds, as it renders them for `config` (Pulumi mocks). */
async function rendered(phase: string, input: Record<string, unknown>): Promise<Obj[]> {
  const run = await runMocked(scenario(phase), input);
  assert.equal(run.error, undefined, run.error);
  return run.resources
    .filter((r: Recorded) => r.type.startsWith("kubernetes:") && UPSTREAM_GROUPS.has(groupOf(r.inputs)))
    .map((r) => {
      const o = structuredClone(r.inputs) as Obj;
      o.metadata = { ...(o.metadata as object), namespace: NS };
      return o;
    });
}

const groupOf = (o: { apiVersion?: string }): string => (o.apiVersion ?? "").split("/")[0];
const id = (o: Obj): string => `${o.kind} ${o.metadata?.name}`;

describe("e2e: upstream CRD schemas judge the program's custom objects", function () {
  this.timeout(600_000);
  let env: E2eEnv;
  let objects: Obj[];

  /** Server-side apply, dry run (what the Pulumi provider does, minus persisting): strict field validation. */
  const dryApply = async (o: Obj): Promise<Obj> =>
    env.cp.request(
      "PATCH",
      `${await env.cp.pathOf(o.apiVersion!, o.kind!, NS, o.metadata!.name)}?fieldManager=e2e&dryRun=All`,
      o,
      { contentType: "application/apply-patch+yaml" },
    );
  const refused = async (o: Obj, field: RegExp): Promise<string> => {
    let error: unknown;
    await dryApply(o).catch((e: unknown) => (error = e));
    assert.ok(error instanceof ApiError, `${id(o)} with a wrong field was accepted`);
    // A value the schema refuses is 422 Invalid; an unknown field makes server-side apply fail to build its typed
    // patch, which kube-apiserver 1.34 answers with 500 "field not declared in schema". Either way it is refused.
    assert.ok([422, 500].includes(error.code), `HTTP ${error.code}: ${error.message}`);
    assert.match(error.message, field);
    return error.message;
  };
  const find = (kind: string, name: string): Obj => {
    const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
    assert.ok(o, `the program renders ${kind} ${name} (it renders: ${objects.map(id).join(", ")})`);
    return structuredClone(o);
  };

  before(async function () {
    this.timeout(900_000);
    requireTools(e2eHint());
    env = await sharedEnv();
    await env.cp.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    const job = fs.readFileSync(path.join(REPO, "stacks/compute/jobs/lakehouse_ingest.py"), "utf8");
    // The DAG as the program reads it (it sets PAUSED_UPON_CREATION in it, so a placeholder is refused).
    const dag = fs.readFileSync(path.join(REPO, "dags/lakehouse_ingest.py"), "utf8");
    const [foundation, externalSecrets, compute, analytics] = await Promise.all([
      rendered("foundation", { config: {} }),
      rendered("foundation", {
        config: { foundation: { dbCredentials: "external-secrets", externalSecretStore: "onepassword" } },
      }),
      rendered("compute", { config: {}, jobSource: job, dagSource: dag }),
      rendered("analytics", { config: {} }),
    ]);
    objects = [
      ...foundation,
      ...externalSecrets.filter((o) => o.kind === "ExternalSecret"),
      ...compute,
      ...analytics,
    ];
  });
  after(async () => {
    await env?.cp.remove("v1", "Namespace", NS);
  });

  it("serves the upstream CRDs (HelmRelease generated by controller-gen from helm-controller's API types) beside the hand-written Rook and Spark Operator kinds", async () => {
    for (const name of E2E_CRD_NAMES) {
      const crd = await env.cp.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name);
      assert.ok(crd, `CRD ${name} installed`);
      const md = crd.metadata as { annotations?: Record<string, string>; labels?: Record<string, string> };
      if (HAND_WRITTEN_CRD_NAMES.includes(name)) {
        assert.equal(md.labels?.["app.kubernetes.io/part-of"], "lakehouse-e2e", name);
      } else {
        // Upstream files are generated by controller-gen; the project's own carry its label instead.
        assert.match(md.annotations?.["controller-gen.kubebuilder.io/version"] ?? "", /^v0\.\d+\.\d+$/, name);
        assert.equal(md.labels?.["app.kubernetes.io/part-of"], undefined, name);
      }
    }
    const hr = await env.cp.get(
      "apiextensions.k8s.io/v1",
      "CustomResourceDefinition",
      "helmreleases.helm.toolkit.fluxcd.io",
    );
    const versions = (hr!.spec as { versions: { name: string; storage: boolean }[] }).versions;
    assert.deepEqual(
      versions.filter((v) => v.storage).map((v) => v.name),
      ["v2"],
    );
  });

  it("accepts every custom object of an upstream kind the program renders (server-side apply, dry run)", async () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of ["HelmRelease", "HelmRepository", "ServiceMonitor", "PrometheusRule", "ExternalSecret"]) {
      assert.ok(kinds.has(k), `the program renders a ${k} (kinds: ${[...kinds].join(", ")})`);
    }
    const errors: string[] = [];
    for (const o of objects) {
      await dryApply(o).catch((e: unknown) => errors.push(`${id(o)}: ${(e as Error).message}`));
    }
    assert.deepEqual(errors, []);
  });

  it("refuses a HelmRelease with a misspelt install.crds value or an unknown remediation field", async () => {
    const crds = find("HelmRelease", "trino");
    (crds.spec as { install: { crds: string } }).install.crds = "CreateOrReplace";
    await refused(crds, /spec\.install\.crds.*(Unsupported value|supported values).*"CreateOrReplace"/s);
    const remediation = find("HelmRelease", "trino");
    (remediation.spec as { install: { remediation: Record<string, unknown> } }).install.remediation = {
      retry: 3,
    };
    await refused(remediation, /\.spec\.install\.remediation\.retry: field not declared in schema/);
  });

  it("refuses a ServiceMonitor with an endpoint typo", async () => {
    const monitor = find("ServiceMonitor", ANALYTICS_NAMES.coordinatorMonitor);
    const [endpoint] = (monitor.spec as { endpoints: Record<string, unknown>[] }).endpoints;
    endpoint.scrapeTimout = endpoint.scrapeTimeout;
    delete endpoint.scrapeTimeout;
    await refused(monitor, /\.spec\.endpoints\[0\]\.scrapeTimout: field not declared in schema/);
  });

  it("refuses an ExternalSecret with a wrong field", async () => {
    const secret = find("ExternalSecret", FOUNDATION_NAMES.databaseCredentials);
    const [first] = (secret.spec as { data: { remoteRef: Record<string, unknown> }[] }).data;
    first.remoteRef.propery = first.remoteRef.property;
    delete first.remoteRef.property;
    await refused(secret, /\.spec\.data\[0\]\.remoteRef\.propery: field not declared in schema/);
  });

  it("refuses a HelmRelease status condition without the fields Flux always writes", async () => {
    const release = find("HelmRelease", "trino");
    const created = await env.cp.apply(release);
    try {
      let error: unknown;
      await env.cp
        .setStatus(created, { conditions: [{ type: "Ready", status: "True", reason: "InstallSucceeded" }] })
        .catch((e: unknown) => (error = e));
      assert.ok(error instanceof ApiError && error.code === 422, String(error));
      assert.match(error.message, /status\.conditions\[0\]\.(lastTransitionTime|message): Required value/);
    } finally {
      await env.cp.remove(release.apiVersion!, release.kind!, release.metadata!.name!, NS);
    }
  });
});
