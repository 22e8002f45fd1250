/**
 * The CLI in-process (`run` with captured streams): flags, --phase, formats, colour rules, config and input
 * errors, path resolution under `npm run`, the unexpected-error path. The process boundary is in cli.test.ts.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CLI_OPTIONS, exitCode, parseCli, run, USAGE } from "../../../preflight/cli/main";
import type { Report } from "../../../preflight/model";
import { EXIT, InputError } from "../../../preflight/model";
import { kubeconfigYaml, refusedUrl } from "../../../harness/kube-api";
import { blockedReport } from "../render/sample";
import {
  airflowPodsPending,
  ANSI,
  from,
  HEALTHY_FILES,
  nothingToStore,
  runInProcess,
  STACK_LINE,
  stackDir,
  writeVariant,
} from "./helpers";

describe("preflight CLI (in-process)", function () {
  this.timeout(60_000);
  let tmp: string;
  let pending: string;
  let small: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-run-"));
    pending = writeVariant(path.join(tmp, "pending.json"), airflowPodsPending);
    small = writeVariant(path.join(tmp, "small.json"), nothingToStore);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe("--help", () => {
    it("names every flag, every exit code and the capture command", async () => {
      const r = await runInProcess(["--help"]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, USAGE);
      for (const [name, opt] of Object.entries(CLI_OPTIONS)) {
        assert.ok(USAGE.includes(`--${name}`), `--${name} documented`);
        if ("short" in opt) assert.ok(USAGE.includes(`-${opt.short}, --${name}`), `-${opt.short} documented`);
      }
      for (const code of [EXIT.ready, EXIT.unexpected, EXIT.invalidInput, EXIT.blocked, EXIT.notNeeded]) {
        assert.match(USAGE, new RegExp(`^ {2}${code} {2}\\S`, "m"), `exit ${code} documented`);
      }
      assert.match(USAGE, /capture --out FILE/);
      assert.equal((await runInProcess(["-h"])).stdout, USAGE);
    });
  });

  describe("flags", () => {
    const bad: [string[], RegExp][] = [
      [["--bogus"], /unknown option '--bogus'/],
      [["--output", "xml"], /--output "xml" is not one of table, json, markdown/],
      [["--phase", "deploy"], /--phase "deploy" is not one of foundation, compute, analytics/],
      [["--stack"], /--stack/],
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["capture"], /capture needs --out FILE/],
      [["capture", "--out", "x.json", "--from", "y.json"], /capture does not take --from/],
      [["capture", "--out", "x.json", "--output", "json"], /capture does not take --output/],
      [["--out", "x.json"], /--out belongs to the capture command/],
      [["--from", "a.json", "--context", "lab"], /cannot be combined with --from/],
      [["capture", "--out", "x.json", "extra"], /unexpected argument 'extra'/],
    ];
    for (const [argv, message] of bad) {
      it(`${argv.join(" ")} -> exit 2: ${message.source}`, async () => {
        assert.throws(() => parseCli(argv), InputError);
        const r = await runInProcess(argv);
        assert.equal(r.code, 2);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, "");
      });
    }

    it("parses the full set", () => {
      assert.deepEqual(
        parseCli([
          "--stack",
          "anton",
          "--from",
          "a.json",
          "--from",
          "b.yaml",
          "-o",
          "markdown",
          "--phase",
          "compute",
        ]),
        {
          command: "assess",
          stack: "anton",
          kubeconfig: undefined,
          context: undefined,
          from: ["a.json", "b.yaml"],
          output: "markdown",
          phase: "compute",
          out: undefined,
        },
      );
      assert.equal(parseCli([]).output, "table");
      assert.equal(parseCli(["capture", "--out", "s.json", "--context", "lab"]).command, "capture");
    });
  });

  describe("exit code", () => {
    it("follows the decision, or the gate of the phase in focus", () => {
      const r = blockedReport();
      assert.equal(exitCode(r), EXIT.blocked);
      assert.equal(exitCode({ ...r, decision: "ready" }), EXIT.ready);
      assert.equal(exitCode({ ...r, decision: "not-needed" }), EXIT.notNeeded);
      const open = {
        ...r,
        gates: { ...r.gates, foundation: { ...r.gates.foundation, open: true, blockedBy: [] } },
      };
      assert.equal(exitCode(open, "foundation"), EXIT.ready);
      assert.equal(exitCode(open, "compute"), EXIT.blocked);
    });

    it("--phase on a real report: 0 for the open gate, 3 for the closed ones", async () => {
      const base = from([pending, HEALTHY_FILES[1]]);
      const report = JSON.parse((await runInProcess([...base, "--output", "json"])).stdout) as Report;
      assert.equal(report.gates.foundation.open, true);
      assert.equal(report.gates.compute.open, false);
      for (const g of Object.values(report.gates)) {
        const r = await runInProcess([...base, "--phase", g.phase, "--output", "json"]);
        assert.equal(r.code, g.open ? 0 : 3, `${g.phase}: ${r.stderr}`);
        assert.deepEqual(JSON.parse(r.stdout).focus, { ...g, phase: g.phase });
      }
      const table = await runInProcess([...base, "--phase", "compute"]);
      assert.match(
        table.stdout.split("\n")[1],
        /^Phase compute: gate CLOSED \(blocked by state\.airflow-pods\)$/,
      );
    });
  });

  describe("outputs", () => {
    it("markdown carries the decision matrix table and the same decision as json", async () => {
      const md = await runInProcess([...from(HEALTHY_FILES), "--output", "markdown"]);
      const json = JSON.parse(
        (await runInProcess([...from(HEALTHY_FILES), "--output", "json"])).stdout,
      ) as Report;
      assert.equal(md.code, 0);
      assert.ok(md.stdout.startsWith(`## Lakehouse readiness: ${json.decision.toUpperCase()}`));
      const lines = md.stdout.split("\n");
      const h = lines.indexOf("| Condition | Met | Priority | Action |");
      assert.ok(h > 0, "decision matrix header");
      assert.equal(lines[h + 1], "| --- | --- | --- | --- |");
      for (const [i, row] of json.decisionMatrix.entries()) {
        assert.ok(lines[h + 2 + i].startsWith(`| ${row.condition} | `), lines[h + 2 + i]);
        assert.ok(lines[h + 2 + i].includes(` | ${row.priority} | `));
      }
    });

    it("colour only on a TTY, never with NO_COLOR, never in json or markdown", async () => {
      const args = from(HEALTHY_FILES);
      assert.match((await runInProcess(args, { isTTY: true })).stdout, ANSI);
      assert.doesNotMatch((await runInProcess(args, { isTTY: true, env: { NO_COLOR: "1" } })).stdout, ANSI);
      assert.doesNotMatch((await runInProcess(args, { isTTY: false })).stdout, ANSI);
      for (const output of ["json", "markdown"]) {
        assert.doesNotMatch(
          (await runInProcess([...args, "--output", output], { isTTY: true })).stdout,
          ANSI,
        );
      }
    });

    it("wraps the table to the terminal width", async () => {
      const r = await runInProcess(from(HEALTHY_FILES), { isTTY: true, columns: 90, env: { NO_COLOR: "1" } });
      const long = r.stdout.split("\n").filter((l) => l.length > 90);
      assert.deepEqual(long, []);
    });
  });

  describe("config and input", () => {
    it("--stack reads Pulumi.<stack>.yaml: a declared trigger turns not-needed into ready", async () => {
      const args = [...from([small, HEALTHY_FILES[1]]), "--output", "json"];
      const before = JSON.parse((await runInProcess(args)).stdout) as Report;
      assert.equal(before.decision, "not-needed");
      const dir = stackDir(tmp, "lab", "  lakehouse:triggers:\n    manualEtl: true\n");
      const r = await runInProcess(["--stack", "lab", ...args], { env: { LAKEHOUSE_PROJECT_DIR: dir } });
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.stack, "lab");
      assert.deepEqual(report.triggersMet, ["trigger.manual-etl"]);
    });

    it("an encrypted stack value is noted on stderr and never printed", async () => {
      const dir = stackDir(
        tmp,
        "enc",
        "  lakehouse:triggers:\n    manualEtl: true\n  lakehouse:s3:\n    secretAccessKey:\n      secure: AAABAEncryptedBlob\n",
      );
      const r = await runInProcess(["--stack", "enc", ...from(HEALTHY_FILES), "--output", "json"], {
        env: { LAKEHOUSE_PROJECT_DIR: dir },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /lakehouse:s3\.secretAccessKey .* cannot decrypt/);
      assert.ok(!r.stdout.includes("AAABAEncryptedBlob") && !r.stderr.includes("AAABAEncryptedBlob"));
    });

    it("--stack live uses the stack's kubernetes:context unless --context is given", async () => {
      const kubeconfig = path.join(tmp, "ctx.kubeconfig");
      fs.writeFileSync(kubeconfig, kubeconfigYaml(await refusedUrl(), "homelab"));
      const dir = stackDir(
        tmp,
        "ctx",
        "  kubernetes:context: elsewhere\n  lakehouse:triggers:\n    manualEtl: true\n",
      );
      const env = { LAKEHOUSE_PROJECT_DIR: dir };
      const viaStack = await runInProcess(["--stack", "ctx", "--kubeconfig", kubeconfig], { env });
      assert.equal(viaStack.code, 2, viaStack.stderr);
      assert.match(viaStack.stderr, /using context "elsewhere" from .*Pulumi\.ctx\.yaml/);
      assert.match(viaStack.stderr, /"elsewhere"/);
      const viaFlag = await runInProcess(
        ["--stack", "ctx", "--kubeconfig", kubeconfig, "--context", "homelab"],
        { env },
      );
      assert.equal(viaFlag.code, 3, viaFlag.stderr);
      assert.doesNotMatch(viaFlag.stderr, /using context/);
    });

    it("a missing stack file -> exit 2 naming it", async () => {
      const r = await runInProcess(["--stack", "nope", ...from(HEALTHY_FILES)], {
        env: { LAKEHOUSE_PROJECT_DIR: tmp },
      });
      assert.equal(r.code, 2);
      assert.ok(r.stderr.includes(path.join(tmp, "Pulumi.nope.yaml")), r.stderr);
    });

    it("malformed YAML -> exit 2 naming the file and line:column", async () => {
      const file = path.join(tmp, "bad.yaml");
      fs.writeFileSync(file, "kind: List\nitems:\n  - kind: Node\n    metadata: {name: [x\n");
      const r = await runInProcess(["--from", file]);
      assert.equal(r.code, 2);
      assert.ok(
        new RegExp(`${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: malformed YAML`).test(r.stderr),
        r.stderr,
      );
    });

    it("a missing --from file -> exit 2 naming it", async () => {
      const r = await runInProcess(["--from", path.join(tmp, "absent.json")]);
      assert.equal(r.code, 2);
      assert.ok(r.stderr.includes(path.join(tmp, "absent.json")));
    });

    it("under `npm run`, relative paths are taken from where the user ran it (INIT_CWD)", async () => {
      const r = await runInProcess(["--from", "small.json", "--from", HEALTHY_FILES[1], "--output", "json"], {
        env: { npm_lifecycle_event: "preflight", INIT_CWD: tmp },
        cwd: os.tmpdir(),
      });
      assert.equal(r.code, 4, r.stderr);
      assert.ok(JSON.parse(r.stdout).origin.includes(small));
    });
  });

  describe("live", () => {
    it("not needed on unmeasured triggers (refused API, nothing declared) says so on stderr", async () => {
      const kubeconfig = path.join(tmp, "refused-nn.kubeconfig");
      fs.writeFileSync(kubeconfig, kubeconfigYaml(await refusedUrl(), "refused"));
      const r = await runInProcess(["--kubeconfig", kubeconfig, "--output", "json"]);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(r.code, report.decision === "not-needed" ? 4 : 3);
      if (report.decision === "not-needed") {
        assert.match(
          r.stderr,
          /"not needed" is based on incomplete facts: trigger\.storage-usage \(unknown\)/,
        );
      }
      assert.doesNotMatch(r.stderr, STACK_LINE);
    });
  });

  describe("capture", () => {
    it("--out naming a directory: exit 2 before the cluster is contacted", async () => {
      const kubeconfig = path.join(tmp, "refused-dir.kubeconfig");
      fs.writeFileSync(kubeconfig, kubeconfigYaml(await refusedUrl(), "refused"));
      const r = await runInProcess(["capture", "--out", tmp, "--kubeconfig", kubeconfig]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /is a directory; expected a file path/);
      assert.doesNotMatch(r.stderr, /capturing the live cluster/);
    });

    it("an unreachable API: exit 1 with one line, nothing written", async () => {
      const kubeconfig = path.join(tmp, "refused.kubeconfig");
      fs.writeFileSync(kubeconfig, kubeconfigYaml(await refusedUrl(), "refused"));
      const out = path.join(tmp, "never.json");
      const r = await runInProcess(["capture", "--out", out, "--kubeconfig", kubeconfig]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /could not read anything from the Kubernetes API .*never\.json was not written/);
      assert.doesNotMatch(r.stderr, STACK_LINE);
      assert.equal(fs.existsSync(out), false);
    });
  });

  describe("unexpected errors", () => {
    const failingStdout = async (env: Record<string, string>) => {
      let stderr = "";
      const code = await run([...from(HEALTHY_FILES), "--output", "json"], {
        stdout: {
          write: () => {
            throw new Error("write EPIPE\nsecond line");
          },
        },
        stderr: { write: (t: string) => (stderr += t) },
        env,
        isTTY: false,
        cwd: tmp,
      });
      return { code, stderr };
    };

    it("exit 1 with one line and no stack trace", async () => {
      const r = await failingStdout({});
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        "preflight: unexpected error: write EPIPE (set LAKEHOUSE_DEBUG=1 for the stack trace)\n",
      );
      assert.doesNotMatch(r.stderr, STACK_LINE);
    });

    it("the stack trace with LAKEHOUSE_DEBUG=1", async () => {
      const r = await failingStdout({ LAKEHOUSE_DEBUG: "1" });
      assert.equal(r.code, 1);
      assert.match(r.stderr, STACK_LINE);
    });
  });
});
