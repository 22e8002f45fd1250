/**
 * Which folder may import which (docs/architecture.md, "Layers"), read from the import statements of every
 * source file. Fast: no program run, no engine.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Every relative import of every .ts file under `dir` (or of the one file `dir` names), as repo-relative module
 * files (`stacks/types.ts`).
 */
function importEdges(dir: string): { from: string; to: string }[] {
  const edges: { from: string; to: string }[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(p);
      } else if (p.endsWith(".ts")) scan(p);
    }
  };
  const scan = (p: string): void => {
    const text = fs.readFileSync(p, "utf8");
    // `import ... from "x"`, `export ... from "x"`, `import("x")`, `require("x")`
    const re = /(?:from\s+|import\(\s*|require\(\s*)["'](\.{1,2}\/[^"']+)["']/g;
    for (const m of text.matchAll(re)) {
      const target = path.resolve(path.dirname(p), m[1]);
      const file = [`${target}.ts`, path.join(target, "index.ts"), target].find((f) => fs.existsSync(f));
      edges.push({ from: path.relative(ROOT, p), to: path.relative(ROOT, file ?? target) });
    }
  };
  const start = path.join(ROOT, dir);
  if (fs.statSync(start).isDirectory()) walk(start);
  else scan(start);
  return edges;
}

/**
 * What verify/ may read from stacks/: the contracts a phase publishes (its names.ts: object names, ports, API
 * versions), the shared platform parts every phase uses (stacks/platform/), and the few renderers whose output
 * verification must submit exactly as the phase deploys it (listed, with the reason, in docs/architecture.md).
 */
const VERIFY_MAY_READ = [/^stacks\/[a-z]+\/names\.ts$/, /^stacks\/platform\/[^/]+\.ts$/];
const VERIFY_MAY_READ_RENDERERS = [
  // The SparkApplication the compute verification submits is the phase's own sample job, rendered by one function.
  "stacks/compute/sparkApplication.ts",
  // The metastore's lock-release bound is derived from the rendered metastore-site.xml settings.
  "stacks/foundation/metastoreSite.ts",
];

describe("layering (docs/architecture.md)", () => {
  it("nothing under stacks/ imports verify/ or program/", () => {
    const offenders = importEdges("stacks").filter((e) => /^(verify|program)\//.test(e.to));
    assert.deepStrictEqual(offenders, []);
  });

  it("verify/ reads only the contracts of stacks/ (names.ts, platform/, the listed renderers) and never program/", () => {
    const offenders = importEdges("verify").filter(
      (e) =>
        e.to.startsWith("program/") ||
        (e.to.startsWith("stacks/") &&
          !VERIFY_MAY_READ.some((r) => r.test(e.to)) &&
          !VERIFY_MAY_READ_RENDERERS.includes(e.to)),
    );
    assert.deepStrictEqual(offenders, []);
  });

  it("inside verify/: kube/ and http/ read no phase folder; a phase folder reads another only as listed", () => {
    const PHASE = /^verify\/(foundation|compute|analytics)\//;
    // analytics' verify.end-to-end runs the compute phase's sample job; compute implements analytics' IngestDriver (a type).
    const allowed = (from: string, to: string) =>
      (from.startsWith("verify/analytics/") && to.startsWith("verify/compute/")) ||
      (from === "verify/compute/sampleJobRun.ts" && to === "verify/analytics/observe.ts");
    const offenders = importEdges("verify").filter((e) => {
      if (!PHASE.test(e.to)) return false;
      if (/^verify\/(kube|http)\//.test(e.from)) return true;
      const from = PHASE.exec(e.from)?.[1];
      const to = PHASE.exec(e.to)?.[1];
      return from !== undefined && from !== to && !allowed(e.from, e.to);
    });
    assert.deepStrictEqual(offenders, []);
  });

  it("stacks/platform/ and the phases read of another phase only what it publishes (names.ts, dashboard.ts, pin lists)", () => {
    const phaseOf = (f: string) => /^stacks\/([a-z]+)\//.exec(f)?.[1];
    const offenders = importEdges("stacks").filter((e) => {
      if (!e.to.startsWith("stacks/")) return false;
      const from = phaseOf(e.from);
      const to = phaseOf(e.to);
      if (to === undefined || to === "platform" || to === from) return false; // stacks/types.ts, shared parts, own folder
      // Published by a phase for the others: its names (names.ts), its dashboard and metric names (dashboard.ts,
      // collected by the analytics phase's Dashboards component), its pin lists (*.json, read by platform/artifacts.ts).
      return !/^stacks\/[a-z]+\/(names\.ts|dashboard\.ts|[a-z-]+\.json)$/.test(e.to);
    });
    assert.deepStrictEqual(offenders, []);
  });

  it("preflight/ imports neither stacks/, verify/ nor program/", () => {
    const offenders = importEdges("preflight").filter((e) => /^(stacks|verify|program)\//.test(e.to));
    assert.deepStrictEqual(offenders, []);
  });

  it("harness/ and bench/ never import test/; nothing the product ships imports harness/, bench/ or test/", () => {
    const offenders = [
      ...importEdges("harness").filter((e) => /^(test|bench)\//.test(e.to)),
      ...importEdges("bench").filter((e) => e.to.startsWith("test/")),
      ...["index.ts", "cli", "plan", "policy-pack", "preflight", "program", "stacks", "verify"]
        .flatMap((d) => importEdges(d))
        .filter((e) => /^(harness|bench|test)\//.test(e.to)),
    ];
    assert.deepStrictEqual(offenders, []);
    // The scan sees the edges it allows: bench/ and test/ start their engines from harness/.
    assert.ok(importEdges("bench").some((e) => e.to.startsWith("harness/")));
    assert.ok(importEdges("test").some((e) => e.to.startsWith("harness/")));
  });

  it("the scan sees the edges it polices (program/ imports both stacks/ and verify/)", () => {
    const edges = importEdges("program");
    assert.ok(edges.some((e) => e.to.startsWith("stacks/")));
    assert.ok(edges.some((e) => e.to.startsWith("verify/")));
  });
});
