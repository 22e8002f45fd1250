/**
 * What a CLI loads before it can answer: `--help` and a mistyped flag load none of the heavy libraries (the config
 * schema's zod, the YAML parser, ajv, the Kubernetes, S3 and Pulumi clients), and an offline preflight never
 * loads the Kubernetes or S3 client. Each CLI runs as a whole process, the way `npm run` starts it, with a
 * preload that records every module request; never timed (the figures are `npm run bench:preflight`'s).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const HEAVY = ["zod", "yaml", "ajv", "@kubernetes/client-node", "@aws-sdk/client-s3", "@pulumi/pulumi"];

describe("CLI start: what loads before the answer", function () {
  this.timeout(60_000);
  let dir: string;
  let preload: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-loading-"));
    preload = path.join(dir, "record.cjs");
    // Every request passed to require (and to import(), which the loader turns into require), written at exit.
    fs.writeFileSync(
      preload,
      `const Module = require("node:module");
const seen = new Set();
const load = Module._load;
Module._load = function (request, ...rest) { seen.add(request); return load.call(this, request, ...rest); };
process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(path.join(dir, "loaded.json"))}, JSON.stringify([...seen])));
`,
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs `node -r ./cli/register.cjs <entry> ...args`; its exit status and the module requests it made. */
  function loads(entry: string, args: string[]): { status: number | null; requests: string[] } {
    const r = spawnSync(process.execPath, ["-r", "./cli/register.cjs", "-r", preload, entry, ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    const requests = JSON.parse(fs.readFileSync(path.join(dir, "loaded.json"), "utf8")) as string[];
    return { status: r.status, requests };
  }

  const heavyIn = (requests: string[]) => requests.filter((r) => HEAVY.includes(r));

  for (const [entry, args, status] of [
    ["preflight/cli/main.ts", ["--help"], 0],
    ["preflight/cli/main.ts", ["--outptu", "json"], 2],
    ["verify/cli/main.ts", ["--help"], 0],
    ["verify/cli/main.ts", ["--timeout", "5"], 2],
    ["plan/main.ts", ["--help"], 0],
    ["plan/main.ts", ["--output", "markdown"], 2],
  ] as const) {
    it(`${entry} ${args.join(" ")}: exit ${status}, none of ${HEAVY.join(", ")} loaded`, () => {
      const r = loads(entry, [...args]);
      assert.equal(r.status, status);
      assert.ok(r.requests.length > 0, "the preload recorded nothing");
      assert.deepEqual(heavyIn(r.requests), []);
    });
  }

  it("an offline preflight loads the config schema but neither the Kubernetes nor the S3 client, nor YAML for JSON files", () => {
    const r = loads("preflight/cli/main.ts", [
      "--from",
      "examples/anton/cluster.json",
      "--from",
      "examples/anton/metrics.json",
      "--output",
      "json",
    ]);
    assert.equal(r.status, 0);
    assert.deepEqual(heavyIn(r.requests), ["zod"]);
  });
});
