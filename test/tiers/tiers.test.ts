/**
 * The test tiers (test/tiers/tiers.cjs): every test file is in exactly one tier, no fast-tier file starts an
 * engine, and mocha refuses `.only` and pending tests (.mocharc.json: forbidOnly, forbidPending).
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { npmRun } from "../npm";

interface Tiers {
  ENGINE_DIRS: string[];
  ENGINE_FILES: string[];
  tierOf(file: string): "fast" | "engines" | "e2e";
  testFiles(): string[];
  mochaConfig(tier: string): { spec: string[] };
}

const REPO = path.join(__dirname, "..", "..");
const tiers = createRequire(__filename)("./tiers.cjs") as Tiers;

/** Imports that start a real engine (a harness module that spawns one, or the PySpark runner). */
const ENGINE_IMPORT =
  /from "[./]*\/(?:harness\/(?:radosgw|postgres|hive-metastore|lakehouse|trino|airflow|kube-control-plane|pushgateway|artifact-cache)|compute-engines\/spark|e2e\/env)"/;

describe("test tiers", () => {
  it("every test file is in exactly one tier, and the three tiers together are what `npm test` runs", () => {
    const all = tiers.testFiles();
    const byTier = ["fast", "engines", "e2e"].map((t) => tiers.mochaConfig(t).spec);
    assert.deepEqual([...byTier.flat()].sort(), all);
    assert.equal(new Set(byTier.flat()).size, all.length);
    assert.ok(all.includes("test/tiers/tiers.test.ts"));
    for (const f of tiers.ENGINE_FILES)
      assert.ok(fs.existsSync(path.join(REPO, f)), `${f} (listed in tiers.cjs)`);
    for (const d of tiers.ENGINE_DIRS)
      assert.ok(fs.existsSync(path.join(REPO, d)), `${d} (listed in tiers.cjs)`);
  });

  it("no fast-tier file imports an engine harness", () => {
    const offenders = tiers
      .mochaConfig("fast")
      .spec.filter((f) => ENGINE_IMPORT.test(fs.readFileSync(path.join(REPO, f), "utf8")));
    assert.deepEqual(offenders, []);
    // The check itself sees the engine tier's imports.
    assert.ok(
      tiers
        .mochaConfig("engines")
        .spec.filter((f) => ENGINE_IMPORT.test(fs.readFileSync(path.join(REPO, f), "utf8"))).length > 10,
    );
  });
});

describe("the tier scripts, as a user types them", function () {
  this.timeout(180_000);

  it("`npm run e2e -- --dry-run` (the alias of test:e2e, arguments passed through) lists exactly the e2e tier", async () => {
    const r = await npmRun(["e2e", "--", "--dry-run", "--reporter", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as { tests: { file: string }[] };
    const files = [...new Set(report.tests.map((t) => path.relative(REPO, t.file)))].sort();
    assert.deepEqual(files, tiers.mochaConfig("e2e").spec);
  });
});

describe("mocha refuses .only and pending tests", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tiers-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs mocha with the repository's .mocharc.json on one spec file; resolves its exit code and output. */
  function mocha(body: string): Promise<{ code: number | null; out: string }> {
    const file = path.join(dir, `t${Math.random().toString(36).slice(2)}.test.ts`);
    fs.writeFileSync(file, body);
    const bin = path.join(REPO, "node_modules", "mocha", "bin", "mocha.js");
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, "--reporter", "dot", file], {
        cwd: REPO,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, out }));
    });
  }

  it("a file with it.only fails the run", async () => {
    const r = await mocha(`it.only("only", () => undefined);\nit("other", () => undefined);\n`);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /`\.only` forbidden/);
  });

  it("a pending test (it.skip, it without a body, this.skip) fails the run; a plain test passes", async () => {
    for (const body of [
      `it.skip("s", () => undefined);`,
      `it("no body");`,
      `it("skips", function () { this.skip(); });`,
    ]) {
      const r = await mocha(`${body}\n`);
      assert.notEqual(r.code, 0, `${body}: ${r.out}`);
      assert.match(r.out, /Pending test forbidden/, body);
    }
    const ok = await mocha(`it("runs", () => undefined);\n`);
    assert.equal(ok.code, 0, ok.out);
  });
});
