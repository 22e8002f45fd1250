/**
 * cli/register.cjs, the loader `npm run preflight|verify|plan` start with: TypeScript runs without a build step,
 * the transform is cached by content, and an edited file is never served stale.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REGISTER = path.join(__dirname, "..", "..", "cli", "register.cjs");
const CACHE = path.join(__dirname, "..", "..", "node_modules", ".cache", "lakehouse-ts");

describe("cli/register.cjs (the CLIs' TypeScript loader)", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "register-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (file: string): string =>
    execFileSync(process.execPath, ["-r", REGISTER, file], { encoding: "utf8", cwd: dir });

  it("runs TypeScript (types, enums, imports, dynamic import); an edit is picked up, each version cached once", () => {
    const marker = path.basename(dir);
    const lib = path.join(dir, "lib.ts");
    const main = path.join(dir, "main.ts");
    fs.writeFileSync(
      lib,
      `export enum Level { Low = 1, High = 2 }\nexport const label = (l: Level): string => Level[l];\n`,
    );
    const body = (word: string): string =>
      `import type { Level as L } from "./lib";\nimport { Level, label } from "./lib";\n` +
      `const l: L = Level.High;\nvoid import("./lib").then((m) => console.log("${word}-${marker}", label(l), m.Level.Low));\n`;
    fs.writeFileSync(main, body("first"));
    // Cached transforms of this main.ts (the word makes them unique to this run; other processes may add others).
    const cachedWith = (word: string): number =>
      fs
        .readdirSync(CACHE)
        .filter((f) => fs.readFileSync(path.join(CACHE, f), "utf8").includes(`"${word}-${marker}"`)).length;
    assert.equal(run(main), `first-${marker} High 1\n`);
    assert.equal(run(main), `first-${marker} High 1\n`, "served from the cache");
    assert.equal(cachedWith("first"), 1);
    fs.writeFileSync(main, body("second"));
    assert.equal(run(main), `second-${marker} High 1\n`, "an edited file is transformed again");
    assert.equal(cachedWith("second"), 1);
  });

  it("keeps line numbers: an error's stack points at the TypeScript line", () => {
    const file = path.join(dir, "throws.ts");
    fs.writeFileSync(
      file,
      `interface X {\n  a: number;\n}\nconst x: X = { a: 1 };\nif (x.a) throw new Error("boom");\n`,
    );
    assert.throws(
      () =>
        execFileSync(process.execPath, ["-r", REGISTER, file], { encoding: "utf8", cwd: dir, stdio: "pipe" }),
      (e: { stderr?: string }) => new RegExp(`${path.basename(file)}:5`).test(e.stderr ?? ""),
    );
  });
});
