/**
 * The preflight CLI end to end as a child process (node -r cli/register.cjs, as `npm run preflight` starts it): the exit
 * code contract, stdout holding exactly the report, bad input, live mode against the Kubernetes API stand-in
 * and a refused address, capture, and that no secret reaches any output. Finer cases run in-process in
 * run.test.ts; each spawn here costs a few seconds of CPU, so only what needs the process boundary is here.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { KubeObject, Report } from "../../../preflight/model";
import {
  kubeconfigYaml,
  loadObjects,
  refusedUrl,
  startKubeApi,
  type KubeApi,
} from "../../../harness/kube-api";
import {
  airflowReleaseFailed,
  ANSI,
  EXAMPLE_FILES,
  from,
  HEALTHY_FILES,
  nothingToStore,
  runInProcess,
  spawnCli,
  STACK_LINE,
  stackDir,
  writeVariant,
} from "./helpers";

describe("preflight CLI (child process)", function () {
  this.timeout(180_000);
  let tmp: string;
  let home: string;
  const cli = (args: string[], env?: NodeJS.ProcessEnv) => spawnCli(args, { home, env });

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-cli-"));
    home = path.join(tmp, "home");
    fs.mkdirSync(home);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe("exit codes and stdout", () => {
    it("the example snapshot is ready: exit 0, one JSON object with decision, checks, gates, decisionMatrix", async () => {
      const r = await cli([...from(EXAMPLE_FILES), "--output", "json"]);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.decision, "ready");
      assert.equal(report.mode, "offline");
      assert.ok(report.checks.length > 20);
      for (const c of report.checks) assert.ok(c.id && c.status, JSON.stringify(c));
      assert.deepEqual(Object.keys(report.gates).sort(), ["analytics", "compute", "foundation"]);
      assert.ok(report.decisionMatrix.some((m) => m.condition && m.met && m.priority && m.action));
      assert.equal(report.checks.find((c) => c.id === "state.s3-api")?.status, "skipped");
    });

    it("a failing critical prerequisite blocks: exit 3, and the report names it", async () => {
      const file = writeVariant(path.join(tmp, "blocked.json"), airflowReleaseFailed);
      const r = await cli([...from([file, HEALTHY_FILES[1]]), "--output", "json"]);
      assert.equal(r.code, 3, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.decision, "blocked");
      assert.ok(report.blocking.includes("prereq.airflow"));
      assert.equal(report.checks.find((c) => c.id === "prereq.airflow")?.status, "fail");
    });

    it("no trigger met is not needed: exit 4", async () => {
      const file = writeVariant(path.join(tmp, "small.json"), nothingToStore);
      const r = await cli([...from([file, HEALTHY_FILES[1]]), "--output", "json"]);
      assert.equal(r.code, 4, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.decision, "not-needed");
      assert.deepEqual(report.triggersMet, []);
    });

    it("the default table on a pipe: no ANSI codes, decision first", async () => {
      const r = await cli(from(HEALTHY_FILES));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Lakehouse readiness: READY\n/);
      assert.doesNotMatch(r.stdout, ANSI);
    });

    it("npm run --silent preflight prints exactly the JSON object on stdout", async () => {
      const r = await spawnCli([...from(EXAMPLE_FILES), "--output", "json"], { home, npm: true });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).decision, "ready");
    });
  });

  describe("bad input: exit 2 with one clear message", () => {
    it("an unknown flag points to --help", async () => {
      const r = await cli(["--frobnicate"]);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /unknown option '--frobnicate'.*--help/);
    });

    it("malformed JSON names the file and line:column", async () => {
      // A missing comma, the typical hand edit gone wrong.
      const file = path.join(tmp, "bad.json");
      fs.writeFileSync(file, '{\n  "kind": "List",\n  "items": []\n  "metadata": {}\n}\n');
      const r = await cli(["--from", file]);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.includes(`${file}:4:`), r.stderr);
      assert.match(r.stderr, /malformed JSON/);
      assert.doesNotMatch(r.stderr, STACK_LINE);
    });

    it("invalid stack config names the key and the expected type", async () => {
      const dir = stackDir(tmp, "bad", '  lakehouse:thresholds:\n    minFreeCpu: "lots"\n');
      const r = await cli(["--stack", "bad", "--from", HEALTHY_FILES[0]], { LAKEHOUSE_PROJECT_DIR: dir });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /lakehouse:thresholds\.minFreeCpu/);
      assert.match(r.stderr, /expected a CPU quantity/);
      assert.ok(r.stderr.includes(path.join(dir, "Pulumi.bad.yaml")), r.stderr);
      assert.equal(r.stdout, "");
    });
  });

  describe("live", () => {
    let api: KubeApi;
    let kubeconfig: string;
    before(async () => {
      api = await startKubeApi({ objects: loadObjects(HEALTHY_FILES) });
      kubeconfig = path.join(tmp, "stand-in.kubeconfig");
      fs.writeFileSync(kubeconfig, kubeconfigYaml(api.url));
    });
    after(async () => api?.stop());

    it("a refused API address: blocked (exit 3) on unknowns, within the timeout, without a stack trace", async () => {
      const cfg = path.join(tmp, "refused.kubeconfig");
      fs.writeFileSync(cfg, kubeconfigYaml(await refusedUrl(), "refused"));
      // A declared trigger, so that the verdict turns on the prerequisites the refused API leaves unknown.
      const dir = stackDir(tmp, "lab", "  lakehouse:triggers:\n    manualEtl: true\n");
      const r = await cli(["--stack", "lab", "--kubeconfig", cfg, "--output", "json"], {
        LAKEHOUSE_PROJECT_DIR: dir,
      });
      assert.equal(r.code, 3, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.mode, "live");
      assert.equal(report.decision, "blocked");
      const unknown = report.blocking.filter(
        (id) => report.checks.find((c) => c.id === id)?.status === "unknown",
      );
      assert.ok(unknown.includes("prereq.cluster-capacity"), `unknown blockers: ${unknown}`);
      assert.doesNotMatch(r.stderr, STACK_LINE);
      assert.ok(r.ms < 60_000, `took ${r.ms} ms`);
    });

    it("capture writes one file that evaluates offline to the same results as the fixture itself", async () => {
      const out = path.join(tmp, "snapshot.json");
      const cap = await cli(["capture", "--out", out, "--kubeconfig", kubeconfig]);
      assert.equal(cap.code, 0, cap.stderr);
      assert.match(cap.stderr, /Captured \d+ objects \(16 of 16 kinds read\) from context "stand-in/);
      assert.equal(cap.stdout, "");
      const doc = JSON.parse(fs.readFileSync(out, "utf8"));
      assert.equal(doc.kind, "List");
      assert.ok(doc.items.some((o: KubeObject) => o.kind === "NodeMetrics"));
      assert.ok(!doc.items.some((o: KubeObject) => o.kind === "Secret"));

      const fromCapture = JSON.parse(
        (await runInProcess(["--from", out, "--output", "json"])).stdout,
      ) as Report;
      const fromFixture = JSON.parse(
        (await runInProcess([...from(HEALTHY_FILES), "--output", "json"])).stdout,
      ) as Report;
      assert.equal(fromCapture.decision, fromFixture.decision);
      assert.deepEqual(
        fromCapture.checks.map((c) => [c.id, c.status, c.observed]),
        fromFixture.checks.map((c) => [c.id, c.status, c.observed]),
      );
    });

    it("never prints a secret set in the stack file or the environment", async () => {
      const dir = stackDir(
        tmp,
        "s",
        [
          "  lakehouse:triggers:",
          "    manualEtl: true",
          "  lakehouse:s3:",
          `    endpoint: ${await refusedUrl()}`,
          "    accessKeyId: AKIAMARKERACCESS0001",
          "    secretAccessKey: MarkerSecretKeyFromStack0001",
          "",
        ].join("\n"),
      );
      const env = {
        AWS_ACCESS_KEY_ID: "AKIAMARKERENV0000002",
        AWS_SECRET_ACCESS_KEY: "MarkerSecretKeyFromEnv0002",
      };
      const markers = [...Object.values(env), "AKIAMARKERACCESS0001", "MarkerSecretKeyFromStack0001"];
      for (const output of ["json", "markdown"]) {
        const r = await cli(["--stack", "s", "--kubeconfig", kubeconfig, "--output", output], {
          ...env,
          LAKEHOUSE_PROJECT_DIR: dir,
        });
        assert.ok([0, 3].includes(r.code), `${output}: exit ${r.code}: ${r.stderr}`);
        assert.ok(r.stdout.includes("state.s3-api"), "the S3 probe ran and was reported");
        for (const m of markers) {
          assert.ok(!r.stdout.includes(m), `${output} stdout contains ${m}`);
          assert.ok(!r.stderr.includes(m), `${output} stderr contains ${m}`);
        }
      }
    });
  });
});
