/**
 * Which folder may import which (docs/architecture.md, "Layers"), read from the import statements of every
 * source file. Fast: no program run, no engine.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

/** Every relative import of every .ts file under `dir`, as repo-relative module files (`stacks/types.ts`). */
function importEdges(dir: string): { from: string; to: string }[] {
  const edges: { from: string; to: string }[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) {
        const text = fs.readFileSync(p, "utf8");
        // `import ... from "x"`, `export ... from "x"`, `import("x")`, `require("x")`
        const re = /(?:from\s+|import\(\s*|require\(\s*)["'](\.{1,2}\/[^"']+)["']/g;
        for (const m of text.matchAll(re)) {
          const target = path.resolve(path.dirname(p), m[1]);
          const file = [`${target}.ts`, path.join(target, "index.ts"), target].find((f) => fs.existsSync(f));
          edges.push({ from: path.relative(ROOT, p), to: path.relative(ROOT, file ?? target) });
        }
      }
    }
  };
  walk(path.join(ROOT, dir));
  return edges;
}

describe("layering (docs/architecture.md)", () => {
  it("nothing under stacks/ imports verify/ or program/", () => {
    const offenders = importEdges("stacks").filter((e) => /^(verify|program)\//.test(e.to));
    assert.deepStrictEqual(offenders, []);
  });

  it("preflight/ imports neither stacks/, verify/ nor program/", () => {
    const offenders = importEdges("preflight").filter((e) => /^(stacks|verify|program)\//.test(e.to));
    assert.deepStrictEqual(offenders, []);
  });

  it("the scan sees the edges it polices (program/ imports both stacks/ and verify/)", () => {
    const edges = importEdges("program");
    assert.ok(edges.some((e) => e.to.startsWith("stacks/")));
    assert.ok(edges.some((e) => e.to.startsWith("verify/")));
  });
});
