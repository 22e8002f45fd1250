/**
 * restore.sh's and reconcile.sh's argument checks (fast tier: they run before any database or bucket is
 * touched, so no engine is needed): each bad combination exits 2 with one JSON line naming the problem.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { runScript, SCRIPTS } from "./helpers";

const RESTORE = path.join(SCRIPTS, "restore.sh");
const RECONCILE = path.join(SCRIPTS, "reconcile.sh");

describe("restore.sh / reconcile.sh: argument checks", () => {
  const cases: { script: string; args: string[]; error: RegExp }[] = [
    { script: RESTORE, args: ["--reconcile-only"], error: /--reconcile-only needs --target-db NAME/ },
    {
      script: RESTORE,
      args: ["--reconcile-only", "--target-db", "m", "--no-reconcile"],
      error: /--reconcile-only and --no-reconcile contradict each other/,
    },
    {
      script: RESTORE,
      args: ["--target-db", "m", "--replace", "--dry-run"],
      error: /--dry-run goes with --reconcile-only/,
    },
    {
      script: RESTORE,
      args: ["--target-db", "m", "--since", "2026-12-01T00:00:00Z"],
      error: /--since goes with/,
    },
    {
      script: RESTORE,
      args: ["--verify", "--no-reconcile"],
      error: /--verify always reconciles the scratch copy/,
    },
    { script: RECONCILE, args: [], error: /give --db NAME/ },
    { script: RECONCILE, args: ["--db", "x;drop"], error: /is not a plain database name/ },
    {
      script: RECONCILE,
      args: ["--db", "m", "--since", "yesterday-ish"],
      error: /--since 'yesterday-ish' is not a time/,
    },
  ];
  for (const c of cases) {
    it(`${path.basename(c.script)} ${c.args.join(" ")} -> exit 2`, async () => {
      const r = await runScript(c.script, c.args, {});
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.json?.ok, false);
      assert.match(String(r.json?.error), c.error);
      assert.match(r.stderr, c.error);
    });
  }
});
