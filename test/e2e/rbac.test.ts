/**
 * Readiness in live mode against the real control plane seeded as a ready anton, and least privilege under
 * real RBAC (`--authorization-mode=Node,RBAC`): the identity of deploy/rbac/preflight-clusterrole.yaml, applied
 * as shipped, reaches the admin's verdict; without one of its rules the check that needs it is `unknown` and
 * names the verb and the resource. Only the control plane and radosgw are needed (no Pulumi CLI).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import type { Report } from "../../preflight/model";
import { runPreflight } from "../../preflight/runner";
import { ANTON_CLUSTER, ANTON_METRICS } from "./anton";
import {
  antonStackConfig,
  e2eHint,
  registerTeardown,
  requireTools,
  sharedEnv,
  stopSharedEnv,
  REPO,
  type E2eEnv,
} from "./env";
import { npmRun } from "../npm";
import { waitFor } from "../../harness/proc";

registerTeardown();

const statuses = (r: Report): Record<string, string> =>
  Object.fromEntries(r.checks.map((c) => [c.id, c.status]));

describe("e2e: live readiness and least-privilege RBAC on a real kube-apiserver", function () {
  this.timeout(600_000);
  let env: E2eEnv;
  let admin: Report;
  const live = (kubeconfig: string): Promise<Report> =>
    runPreflight({
      config: env.config(),
      stack: "anton",
      source: { mode: "live", kubeconfig, context: "e2e" },
    });

  before(async function () {
    this.timeout(900_000);
    requireTools(e2eHint());
    env = await sharedEnv();
    admin = await live(env.kubeconfig);
  });
  // The last e2e file (mocha runs files in name order): free the control plane before the other suites run.
  after(async function () {
    this.timeout(120_000);
    await stopSharedEnv();
  });

  it("live mode against the control plane: ready, the same verdict and gates as anton's offline snapshot", async () => {
    const failing = admin.checks
      .filter((c) => c.critical && c.status !== "pass")
      .map((c) => `${c.id}: ${c.observed}`);
    assert.equal(admin.decision, "ready", `${admin.summary}\n${failing.join("\n")}`);
    assert.equal(admin.mode, "live");
    const byId = new Map(admin.checks.map((c) => [c.id, c]));
    // Measured from the API server, not assumed: the nodes kwok runs, the S3 round trip on radosgw, metrics.
    assert.match(byId.get("prereq.cluster-capacity")!.observed, /on 4 schedulable nodes/);
    assert.equal(byId.get("state.s3-api")!.status, "pass", byId.get("state.s3-api")!.observed);
    const offline = await runPreflight({
      config: env.config(),
      stack: "anton",
      source: { mode: "offline", files: [ANTON_CLUSTER, ANTON_METRICS] },
    });
    assert.equal(offline.decision, admin.decision);
    for (const p of ["foundation", "compute", "analytics"] as const) {
      assert.equal(admin.gates[p].open, offline.gates[p].open, `gate ${p}`);
    }
  });

  describe("the preflight identity of deploy/rbac/preflight-clusterrole.yaml", () => {
    let kubeconfig: string;
    let role: Record<string, unknown>;
    before(async () => {
      const docs = YAML.parseAllDocuments(
        fs.readFileSync(path.join(REPO, "deploy/rbac/preflight-clusterrole.yaml"), "utf8"),
      ).map((d) => d.toJSON() as Record<string, unknown>);
      for (const d of docs) await env.cp.apply(d as never);
      role = docs.find((d) => d.kind === "ClusterRole")!;
      const sa = docs.find((d) => d.kind === "ServiceAccount")!.metadata as {
        name: string;
        namespace: string;
      };
      const token = await env.cp.serviceAccountToken(sa.namespace, sa.name);
      kubeconfig = path.join(env.cp.base, "preflight.kubeconfig");
      env.cp.writeKubeconfig(kubeconfig, token, "e2e");
    });

    it("is really least privilege: the API server refuses it what the file does not grant", async () => {
      const { ApiError } = await import("../../harness/kube-control-plane");
      const token = (await env.cp.request(
        "POST",
        "/api/v1/namespaces/default/serviceaccounts/lakehouse-preflight/token",
        {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: 600 },
        },
      )) as { status: { token: string } };
      for (const p of [
        "/api/v1/secrets",
        "/api/v1/namespaces/storage/secrets",
        "/apis/apps/v1/namespaces/airflow/deployments/airflow-scheduler",
      ]) {
        await assert.rejects(
          env.cp.request("GET", p, undefined, { token: token.status.token }),
          (e: unknown) => e instanceof ApiError && e.code === 403,
          p,
        );
      }
    });

    it("reaches the same verdict, check by check, as the admin", async () => {
      const r = await live(kubeconfig);
      assert.equal(r.decision, admin.decision, r.summary);
      assert.deepEqual(statuses(r), statuses(admin));
    });

    it("`npm run preflight -- --stack anton --kubeconfig ... --output json` as a user types it: the same verdict, check by check", async () => {
      // The CLI as users start it (cli/register.cjs, whose client-node is the bundle built ahead), over the API
      // server's TLS with the identity's bearer token; the stack file is anton's with the e2e overrides.
      const project = fs.mkdtempSync(path.join(env.cp.base, "cli-project-"));
      fs.writeFileSync(
        path.join(project, "Pulumi.anton.yaml"),
        YAML.stringify({ config: { ...antonStackConfig(), ...env.overrides } }),
      );
      const r = await npmRun(
        ["preflight", "--", "--stack", "anton", "--kubeconfig", kubeconfig, "--output", "json"],
        {
          env: { LAKEHOUSE_PROJECT_DIR: project },
        },
      );
      assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.decision, admin.decision, report.summary);
      assert.equal(report.mode, "live");
      assert.deepEqual(statuses(report), statuses(admin));
    });

    it("without one of its rules (helmreleases), the check that needs it is unknown and names the verb and resource", async () => {
      const rules = (role.rules as { resources: string[] }[]).filter(
        (r) => !r.resources.includes("helmreleases"),
      );
      assert.equal(rules.length, (role.rules as unknown[]).length - 1);
      await env.cp.apply({ ...(role as object), rules } as never);
      let r: Report | undefined;
      try {
        // RBAC changes reach the authorizer through its informer within a moment.
        await waitFor(
          "the reduced ClusterRole to take effect",
          async () => {
            r = await live(kubeconfig);
            return r.checks.some((c) => c.status === "unknown" && /helmreleases/.test(c.observed));
          },
          60_000,
          1_000,
        );
        const airflow = r!.checks.find((c) => c.id === "prereq.airflow")!;
        assert.equal(airflow.status, "unknown", airflow.observed);
        assert.match(airflow.observed, /list/);
        assert.match(airflow.observed, /helmreleases\.helm\.toolkit\.fluxcd\.io/);
        assert.notEqual(
          r!.decision,
          "ready",
          "a critical check that cannot be determined never reads as ready",
        );
        // Everything the reduced role still grants is judged exactly as before.
        const changed = Object.entries(statuses(r!))
          .filter(([id, s]) => s !== statuses(admin)[id])
          .map(([id]) => id);
        for (const id of changed) {
          const c = r!.checks.find((x) => x.id === id)!;
          assert.equal(c.status, "unknown", `${id}: ${c.observed}`);
          assert.match(c.observed, /helmreleases/, `${id} changed for another reason: ${c.observed}`);
        }
      } finally {
        await env.cp.apply(role as never);
      }
    });
  });
});
