/**
 * The kubectl commands of docs/preflight-cli.md ("Which kinds were asked for"), run as written with the real
 * kubectl against the Kubernetes API stand-in, then the CLI as a user types it (`npm run preflight -- --from
 * snapshot`, from the folder the files were written to). The cluster has the ObjectBucketClaim CRD and no claim:
 * from a plain List that is "not collected" (trigger.s3-storage unknown); from the documented folder or the
 * `lakehouse.requested` header it is "none exist" (trigger.s3-storage determined: not met).
 */
import * as assert from "assert/strict";
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { KubeObject, Report } from "../../../preflight/model";
import { kubeconfigYaml, loadObjects, startKubeApi, type KubeApi } from "../../../harness/kube-api";
import { baseEnv, HEALTHY_FILES, ROOT } from "./helpers";

const DOC = path.join(ROOT, "docs/preflight-cli.md");

/** The fenced bash block of docs/preflight-cli.md that contains `marker`. */
function docBlock(marker: string): string {
  const blocks = [...fs.readFileSync(DOC, "utf8").matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
  const found = blocks.filter((b) => b.includes(marker));
  assert.equal(found.length, 1, `exactly one bash block in ${DOC} contains ${marker}`);
  return found[0];
}

function sh(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["-c", script], { cwd, env, timeout: 120_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    );
  });
}

/** `npm run --silent preflight -- ARGS` typed in `cwd` (outside the project, so with --prefix). */
function npmPreflight(
  args: string[],
  cwd: string,
  home: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["--prefix", ROOT, "run", "--silent", "preflight", "--", ...args],
      { cwd, env: baseEnv(home), timeout: 120_000, maxBuffer: 32 * 2 ** 20 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const s3Trigger = (r: { stdout: string }) =>
  (JSON.parse(r.stdout) as Report).checks.find((c) => c.id === "trigger.s3-storage")!;

describe("kubectl snapshots as docs/preflight-cli.md writes them (real kubectl, API stand-in)", function () {
  this.timeout(300_000);
  let api: KubeApi;
  let tmp: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    try {
      execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    } catch {
      throw new Error("kubectl is not on PATH: these tests run the documented kubectl commands with it");
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-kubectl-"));
    // The anton cluster without its ObjectBucketClaim: the CRD is installed, no claim exists yet.
    const objects = loadObjects(HEALTHY_FILES).filter((o: KubeObject) => o.kind !== "ObjectBucketClaim");
    api = await startKubeApi({ objects, served: ["metrics.k8s.io/v1beta1/nodes"] });
    const kubeconfig = path.join(tmp, "kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigYaml(api.url));
    env = { ...baseEnv(tmp), KUBECONFIG: kubeconfig };
  });
  after(async () => {
    await api?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("one file per kind in a folder: no claims yet reads as none (trigger.s3-storage determined)", async () => {
    const work = fs.mkdtempSync(path.join(tmp, "loop-"));
    const loop = await sh(docBlock("for k in nodes pods"), work, env);
    assert.equal(loop.code, 0, loop.stderr);
    const claims = JSON.parse(fs.readFileSync(path.join(work, "snapshot/objectbucketclaims.json"), "utf8"));
    assert.deepEqual([claims.kind, claims.items], ["List", []], "kubectl printed an empty List");
    assert.ok(fs.existsSync(path.join(work, "snapshot/metrics.json")));

    const r = await npmPreflight(["--from", "snapshot", "--output", "json"], work, tmp);
    assert.equal(r.code, 0, r.stderr);
    const t = s3Trigger(r);
    // Determined: an unmet trigger (status fail, "not met"), no longer unknown.
    assert.equal(t.status, "fail", t.observed);
    assert.equal(t.met, false);
    assert.match(t.observed, /No ObjectBucketClaims exist/);
  });

  it("the one-List command with the lakehouse.requested header (jq) says the same", async () => {
    const work = fs.mkdtempSync(path.join(tmp, "jq-"));
    const made = await sh(docBlock(".lakehouse.requested"), work, env);
    assert.equal(made.code, 0, made.stderr);
    const metrics = await sh(
      "kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes > metrics.json",
      work,
      env,
    );
    assert.equal(metrics.code, 0, metrics.stderr);
    const r = await npmPreflight(
      ["--from", "cluster.json", "--from", "metrics.json", "--output", "json"],
      work,
      tmp,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s3Trigger(r).met, false);
    assert.notEqual(s3Trigger(r).status, "unknown");
  });

  it("the same List without the header (an old-style snapshot) behaves as before: trigger.s3-storage unknown", async () => {
    const work = fs.mkdtempSync(path.join(tmp, "plain-"));
    const made = await sh(
      "kubectl get nodes,pods,persistentvolumeclaims,storageclasses,services,deployments,statefulsets,customresourcedefinitions,cephclusters,cephobjectstores,objectbucketclaims,helmreleases,kustomizations,gitrepositories,clustersecretstores -A -o json > cluster.json && kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes > metrics.json",
      work,
      env,
    );
    assert.equal(made.code, 0, made.stderr);
    const r = await npmPreflight(
      ["--from", "cluster.json", "--from", "metrics.json", "--output", "json"],
      work,
      tmp,
    );
    assert.equal(r.code, 0, r.stderr);
    const t = s3Trigger(r);
    assert.equal(t.status, "unknown");
    assert.equal(t.met, null);
  });
});
