/**
 * The pack loads the way the Pulumi engine loads it. `pulumi preview --policy-pack policy-pack` starts
 * `@pulumi/pulumi/cmd/run-policy-pack` in `policy-pack/`, which compiles the pack with ts-node WITH type checking
 * and with its own defaults unless `policy-pack/tsconfig.json` exists. The other pack tests load it with
 * `ts-node/register/transpile-only` and the repo's tsconfig, so they could not see that the engine's defaults
 * (ES2020 lib) reject `new Error(msg, { cause })` in preflight/model.ts: every user's preview failed before the
 * program ran. This runs the engine's own runner on the pack (no engine needed: the pack prints its gRPC port
 * once it has compiled and started) and fails on any TypeScript error it reports.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as assert from "node:assert/strict";
import { stopPid, waitForOutput } from "../../harness/proc";

const PACK = path.resolve(__dirname, "../../policy-pack");

/**
 * Starts the engine's policy-pack runner on the pack and resolves its gRPC port, or rejects with its output
 * when it exits (a TypeScript error ends it) or prints no port in time. Once the port is seen the runner is
 * stopped: that exit is the expected one (waitForOutput has settled and listens no more).
 */
async function loadLikeTheEngine(timeoutMs: number): Promise<number> {
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
  // The engine passes its own address; the pack only dials it to log, so an unused one is fine here.
  const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
    cwd: PACK,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TS_NODE_PROJECT: "", TS_NODE_TRANSPILE_ONLY: "" },
  });
  try {
    const m = await waitForOutput(child, /^(\d+)\s*$/m, "the pack's runner printing its port", timeoutMs);
    return Number(m[1]);
  } finally {
    await stopPid(child.pid ?? 0);
  }
}

describe("policy pack compiles the way the Pulumi engine compiles it", function () {
  this.timeout(300_000);

  it("has its own tsconfig.json with the language level the repository uses", () => {
    const file = path.join(PACK, "tsconfig.json");
    assert.ok(fs.existsSync(file), "policy-pack/tsconfig.json is missing");
    const opts = JSON.parse(fs.readFileSync(file, "utf8")).compilerOptions;
    const root = JSON.parse(fs.readFileSync(path.join(PACK, "../tsconfig.json"), "utf8")).compilerOptions;
    // The runner reads only this file's compilerOptions (no `extends`), so they must be spelled out here.
    assert.equal(opts.target, root.target);
    assert.deepEqual(opts.lib, root.lib);
    assert.equal(opts.module, "commonjs");
    assert.equal(opts.strict, true);
  });

  it("type-checks and starts under @pulumi/pulumi/cmd/run-policy-pack (the engine's runner)", async () => {
    const port = await loadLikeTheEngine(280_000);
    assert.ok(port > 0, `port ${port}`);
  });
});
