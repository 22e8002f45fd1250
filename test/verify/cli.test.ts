/** `npm run verify` in-process: flags, output formats and the shared exit codes, end to end on the stand-in. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { COMPUTE_CHECKS } from "../../verify/compute/checks";
import { FOUNDATION_CHECKS } from "../../verify/foundation/checks";
import { ANALYTICS_CHECKS } from "../../verify/analytics/checks";
import { parseCli, run, USAGE, type CliIO } from "../../verify/cli/main";
import { runVerification, type VerifyOptions } from "../../verify/runner";
import { refusedUrl, kubeconfigYaml, startKubeApi, type KubeApi } from "../../harness/kube-api";
import {
  controller,
  DRIVER_FAILED,
  DRIVER_OK,
  helper,
  OPERATOR,
  PASS,
  PROM_OK,
  sparkOperator,
  type Outcome,
} from "./cluster";
import { RESTORE_CORRUPT } from "./fixtures";

function io(env: Record<string, string | undefined> = {}): CliIO & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env,
    isTTY: false,
    cwd: process.cwd(),
    out: () => out,
    err: () => err,
  };
}

/** The real runner, with a fixed clock and fast polling. */
const fastRunner = (o: VerifyOptions) =>
  runVerification({ ...o, pollMs: 20, requestTimeoutMs: 2_000, now: () => new Date("2026-11-25T14:00:00Z") });

describe("verify CLI", function () {
  this.timeout(30_000);
  let dir: string;
  let api: KubeApi | undefined;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-verify-cli-"));
  });
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cluster = async (scenarios = PASS): Promise<string> => {
    const a = await startKubeApi({ extraRoutes: controller(() => a, scenarios, PROM_OK) });
    api = a;
    return a.writeKubeconfig(dir, `kc-${Date.now()}`);
  };

  it("--help prints the usage and exits 0", async () => {
    const x = io();
    assert.equal(await run(["--help"], x), 0);
    assert.equal(x.out(), USAGE);
    assert.match(USAGE, /verify\.metadata-backup-restore/);
    // Every registered check is listed.
    for (const c of [...FOUNDATION_CHECKS, ...COMPUTE_CHECKS, ...ANALYTICS_CHECKS]) {
      assert.match(USAGE, new RegExp(`\\n  ${c.id.replace(/\./g, "\\.")} `), c.id);
    }
  });

  it("parses the flags with defaults", () => {
    const p = parseCli([
      "--phase",
      "foundation",
      "--stack",
      "anton",
      "--output",
      "json",
      "--prometheus-service",
      "mon/prom:9091",
    ]);
    assert.deepEqual(
      { phase: p.phase, stack: p.stack, output: p.output, timeout: p.timeoutSeconds, prom: p.prometheus },
      {
        phase: "foundation",
        stack: "anton",
        output: "json",
        timeout: 600,
        prom: { kind: "service", namespace: "mon", service: "prom", port: 9091 },
      },
    );
    assert.deepEqual(parseCli(["--no-prometheus"]).prometheus, {
      kind: "none",
      reason: "--no-prometheus was given",
    });
  });

  const bad: [string[], RegExp][] = [
    [["--bogus"], /unknown option '--bogus'/],
    [["--output", "yaml"], /--output "yaml" is not one of table, json, markdown/],
    [["--phase", "everything"], /--phase "everything" is not one of foundation, compute, analytics/],
    [["--timeout", "5"], /--timeout "5" is not a whole number of seconds between 10 and 7200/],
    [["--prometheus-url", "x", "--no-prometheus"], /exclude each other/],
    [["--prometheus-service", "prom:9090"], /is not NAMESPACE\/SERVICE:PORT/],
    [["--stack", ""], /--stack needs a value/],
    [
      ["--kubeconfig", "/nonexistent/kubeconfig"],
      /The kubeconfig file \/nonexistent\/kubeconfig \(from --kubeconfig\) does not exist/,
    ],
  ];
  for (const [argv, msg] of bad) {
    it(`exit 2 for ${argv.join(" ")}`, async () => {
      const x = io();
      assert.equal(await run(argv, x, fastRunner), 2);
      assert.match(x.err(), msg);
      assert.equal(x.out(), "");
    });
  }

  // Every phase has post-deploy checks now (the runner's refusal of one without is tested in runner.test.ts).
  it("exit 2 for an unknown phase, naming the phases", async () => {
    const kc = await cluster();
    const x = io();
    assert.equal(await run(["--phase", "lakehouse", "--kubeconfig", kc], x, fastRunner), 2);
    assert.match(x.err(), /--phase "lakehouse" is not one of foundation, compute, analytics/);
  });

  it("exit 0 and one JSON object when every criterion passes (real runner on the stand-in)", async () => {
    const kc = await cluster();
    const x = io();
    assert.equal(
      await run(["--phase", "foundation", "--kubeconfig", kc, "--output", "json"], x, fastRunner),
      0,
    );
    const doc = JSON.parse(x.out()) as { status: string; results: { id: string; status: string }[] };
    assert.equal(doc.status, "pass");
    assert.deepEqual(
      doc.results.map((r) => r.status),
      ["pass", "pass", "pass", "pass", "pass"],
    );
    assert.match(x.err(), /verify: foundation phase on http:\/\/127\.0\.0\.1:\d+ \(context stand-in\)/);
  });

  const computeCluster = async (outcome: Outcome): Promise<string> => {
    const a = await startKubeApi({
      objects: OPERATOR,
      extraRoutes: (req, res) => operator(req, res) || jobs(req, res),
    });
    const operator = sparkOperator(() => a, outcome, outcome === "COMPLETED" ? DRIVER_OK : DRIVER_FAILED);
    const jobs = controller(() => a, helper("cli1"), PROM_OK);
    api = a;
    return a.writeKubeconfig(dir, `kc-${Date.now()}`);
  };
  const computeRunner = (o: VerifyOptions) => fastRunner({ ...o, runId: "cli1" });

  it("--phase compute: the operator, the DAG and the sample SparkApplication verified, exit 0", async () => {
    const kc = await computeCluster("COMPLETED");
    const x = io();
    assert.equal(
      await run(["--phase", "compute", "--kubeconfig", kc, "--output", "json"], x, computeRunner),
      0,
      x.out(),
    );
    const doc = JSON.parse(x.out()) as { status: string; results: { id: string; status: string }[] };
    assert.deepEqual(
      doc.results.map((r) => `${r.id}:${r.status}`),
      ["verify.spark-operator-ready:pass", "verify.airflow-dag:pass", "verify.sample-job:pass"],
    );
    assert.match(x.err(), /each Job and the sample SparkApplication may take up to 600 s/);
  });

  it("--phase compute: a FAILED sample job is exit 3, the table naming its driver pod with the log tail", async () => {
    const kc = await computeCluster("FAILED");
    const x = io();
    assert.equal(await run(["--phase", "compute", "--kubeconfig", kc], x, computeRunner), 3);
    const text = x.out().replace(/\s+/g, " "); // the table wraps long lines
    assert.match(text, /✗ fail verify\.sample-job /);
    assert.match(text, /driver pod lakehouse-verify-sample-cli1-driver; driver log tail: .*WARN noise 59/);
    assert.match(text, /lakehouse_ingest: failed: Py4JJavaError/);
  });

  it("exit 3 and a table naming the failure when a criterion fails", async () => {
    const kc = await cluster({
      ...PASS,
      "verify.metadata-backup-restore": { polls: 1, exitCode: 4, log: JSON.stringify(RESTORE_CORRUPT) },
    });
    const x = io();
    assert.equal(await run(["--kubeconfig", kc], x, fastRunner), 3);
    assert.match(x.out(), /verify\.metadata-backup-restore/);
    assert.match(x.out(), /corrupt/);
    assert.ok(!x.out().includes("\u001b["), "no colour when not a TTY");
  });

  it("--stack verifies the stack's kubernetes:context, not the kubeconfig's current one; --context overrides", async () => {
    const a = await startKubeApi({ extraRoutes: controller(() => a, PASS, PROM_OK) });
    api = a;
    // Two contexts: the current one ("laptop") points at a refused address, the stack's ("anton") at the stand-in.
    const refused = await refusedUrl();
    const entry = (name: string, url: string) => ({ name, url });
    const ctxs = [entry("anton", a.url), entry("laptop", refused)];
    const merged = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      ...ctxs.flatMap((c) => [`  - name: ${c.name}`, "    cluster:", `      server: ${c.url}`]),
      "users:",
      ...ctxs.flatMap((c) => [`  - name: ${c.name}`, "    user:", "      token: stand-in-token"]),
      "contexts:",
      ...ctxs.flatMap((c) => [
        `  - name: ${c.name}`,
        "    context:",
        `      cluster: ${c.name}`,
        `      user: ${c.name}`,
      ]),
      "current-context: laptop",
      "",
    ];
    const kc = path.join(dir, "two-contexts.yaml");
    fs.writeFileSync(kc, merged.join("\n"));
    const project = fs.mkdtempSync(path.join(dir, "project-"));
    fs.writeFileSync(path.join(project, "Pulumi.anton.yaml"), "config:\n  kubernetes:context: anton\n");

    const x = io({ LAKEHOUSE_PROJECT_DIR: project });
    assert.equal(await run(["--stack", "anton", "--kubeconfig", kc, "--output", "json"], x, fastRunner), 0);
    assert.match(x.err(), /\(context anton\)/);

    const y = io({ LAKEHOUSE_PROJECT_DIR: project });
    assert.equal(
      await run(["--stack", "anton", "--kubeconfig", kc, "--context", "laptop"], y, fastRunner),
      3,
    );
    assert.match(y.err(), /\(context laptop\)/);
  });

  it("exit 3 with every check unknown when the API server is unreachable", async () => {
    const kc = path.join(dir, "refused.yaml");
    fs.writeFileSync(kc, kubeconfigYaml(await refusedUrl()));
    const x = io();
    assert.equal(await run(["--kubeconfig", kc, "--output", "json"], x, fastRunner), 3);
    const doc = JSON.parse(x.out()) as { results: { status: string }[] };
    assert.ok(doc.results.every((r) => r.status === "unknown"));
  });

  it("exit 1 with one line (no stack trace) on an unexpected error", async () => {
    const kc = await cluster();
    const x = io();
    const boom = () => Promise.reject(new Error("boom\n    at somewhere"));
    assert.equal(await run(["--kubeconfig", kc], x, boom), 1);
    assert.match(x.err(), /verify: unexpected error: boom \(set LAKEHOUSE_DEBUG=1 for the stack trace\)\n$/);
  });
});
