/** plan's pure parts: flags, phase grouping, what the policies receive. */
import * as assert from "assert";
import * as path from "path";
import { InputError } from "../../preflight/model";
import type { RecordedResource } from "../../plan/mockrun";
import { parsePlanArgs, phaseOf, toPlanned } from "../../plan/main";

const rec = (over: Partial<RecordedResource>): RecordedResource => ({
  type: "kubernetes:core/v1:ConfigMap",
  name: "x",
  urn: "urn:pulumi:anton::lakehouse::kubernetes:core/v1:ConfigMap::x",
  inputs: {},
  dependencies: [],
  custom: true,
  protect: false,
  retainOnDelete: false,
  ...over,
});

describe("plan helpers", () => {
  it("defaults to the anton stack, the example snapshot and a table", () => {
    const a = parsePlanArgs([]);
    assert.notStrictEqual(a, "help");
    if (a === "help") return;
    assert.strictEqual(a.stack, "anton");
    assert.strictEqual(a.output, "table");
    assert.ok(a.from.length >= 1);
    for (const f of a.from) assert.strictEqual(path.basename(path.dirname(f)), "anton");
  });

  it("rejects unknown flags and formats as invalid input", () => {
    assert.throws(() => parsePlanArgs(["--stak", "x"]), InputError);
    assert.throws(() => parsePlanArgs(["--output", "yaml"]), /expected table or json/);
    assert.strictEqual(parsePlanArgs(["-h"]), "help");
  });

  it("takes the phase from the URN's lakehouse:<phase>: ancestor, then the label, then a phase input", () => {
    assert.strictEqual(
      phaseOf(
        rec({
          urn: "urn:pulumi:a::lakehouse::lakehouse:foundation:HiveMetastore$kubernetes:apps/v1:Deployment::m",
        }),
      ),
      "foundation",
    );
    assert.strictEqual(
      phaseOf(rec({ inputs: { metadata: { labels: { "lakehouse.dev/phase": "compute" } } } })),
      "compute",
    );
    assert.strictEqual(
      phaseOf(rec({ type: "pulumi-nodejs:dynamic/lakehouse:Verification", inputs: { phase: "analytics" } })),
      "analytics",
    );
    assert.strictEqual(phaseOf(rec({ type: "pulumi-nodejs:dynamic/lakehouse:Readiness" })), "readiness");
    assert.strictEqual(phaseOf(rec({})), "program");
  });

  it("hands the policies inputs without the serialised provider, with parent, dependencies and options", () => {
    const [p] = toPlanned([
      rec({
        inputs: { a: 1, __provider: "serialised" },
        parent: "urn:p",
        dependencies: ["urn:d"],
        retainOnDelete: true,
      }),
    ]);
    assert.deepStrictEqual(p.props, { a: 1 });
    assert.strictEqual(p.parent, "urn:p");
    assert.deepStrictEqual(p.dependencies, ["urn:d"]);
    assert.deepStrictEqual(p.opts, { protect: false, retainOnDelete: true });
  });
});
