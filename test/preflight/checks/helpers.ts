/**
 * Test helpers for checks: the healthy anton fixture as Facts (parsed once, deep-cloned per use), one-line
 * mutations, config overrides through the real schema, and running one check by id.
 */
import * as assert from "assert/strict";
import * as path from "path";
import { CHECKS } from "../../../preflight/checks";
import { parseConfig } from "../../../preflight/config/load";
import type { LakehouseConfig } from "../../../preflight/config/schema";
import { runCheck } from "../../../preflight/evaluate";
import type { CheckResult, Collection, Facts, Kind, KubeObject } from "../../../preflight/model";
import { loadOfflineFacts } from "../../../preflight/offline/load";

export const FIXTURES = path.resolve(__dirname, "..", "..", "fixtures");
export const HEALTHY_FILES = [
  path.join(FIXTURES, "healthy", "cluster.json"),
  path.join(FIXTURES, "healthy", "metrics.json"),
];

let cached: Facts | undefined;

/** A fresh, mutable copy of the healthy fixture's facts. */
export function healthy(): Facts {
  cached ??= loadOfflineFacts(HEALTHY_FILES);
  return structuredClone(cached);
}

/** Config from raw `lakehouse:` values (keys without the prefix), through the real schema. */
export function config(raw: Record<string, unknown> = {}): LakehouseConfig {
  return parseConfig(raw, "test");
}

/** Items of a kind (throws when the kind is not `ok`, so a broken fixture fails loudly). */
export function items(facts: Facts, kind: Kind): KubeObject[] {
  const c = facts.kinds[kind];
  if (c.state !== "ok") throw new Error(`fixture: ${kind} is ${c.state}`);
  return c.items;
}

/** The object of `kind` named `name` (optionally in `ns`). */
export function find(facts: Facts, kind: Kind, name: string, ns?: string): KubeObject {
  const o = items(facts, kind).find(
    (x) => x.metadata?.name === name && (ns === undefined || x.metadata?.namespace === ns),
  );
  if (!o) throw new Error(`fixture: no ${kind} ${ns ? `${ns}/` : ""}${name}`);
  return o;
}

/** Removes objects of `kind` matching `pred`. */
export function remove(facts: Facts, kind: Kind, pred: (o: KubeObject) => boolean): void {
  const c = facts.kinds[kind];
  if (c.state === "ok") c.items = c.items.filter((o) => !pred(o));
}

export function setCollection(facts: Facts, kind: Kind, c: Collection): void {
  facts.kinds[kind] = c;
}

export const forbidden = (verb: string, resource: string): Collection => ({
  state: "forbidden",
  verb,
  resource,
  message: `${resource} is forbidden: User "system:serviceaccount:default:preflight" cannot ${verb} resource "${resource}"`,
});

/** Sets a condition's status (adding it when missing). */
export function setCondition(
  o: KubeObject,
  type: string,
  status: string,
  reason = "Test",
  message = "",
): void {
  o.status ??= {};
  const conds = ((o.status.conditions as Record<string, unknown>[] | undefined) ??= []);
  const c = conds.find((x) => x.type === type);
  if (c) Object.assign(c, { status, reason, message });
  else conds.push({ type, status, reason, message });
}

/** Runs the registered check `id`. */
export function run(id: string, facts: Facts, cfg: LakehouseConfig = config()): CheckResult {
  const def = CHECKS.find((c) => c.id === id);
  if (!def) throw new Error(`no check ${id}`);
  return runCheck(def, facts, cfg, new Date("2026-11-25T18:00:00Z"));
}

/** A table case: mutate the healthy facts (and/or config) and expect a status and key words. */
export interface Case {
  name: string;
  mutate?: (f: Facts) => void;
  config?: Record<string, unknown>;
  status: CheckResult["status"];
  observed?: RegExp;
  remediation?: RegExp;
  met?: boolean | null;
}

/** Declares one mocha test per case for check `id`. */
export function table(id: string, cases: Case[]): void {
  describe(id, () => {
    for (const c of cases) {
      it(c.name, () => {
        const f = healthy();
        c.mutate?.(f);
        const r = run(id, f, config(c.config));
        assert.equal(r.status, c.status, `observed: ${r.observed}`);
        if (c.observed) assert.match(r.observed, c.observed);
        if (c.remediation) assert.match(r.remediation, c.remediation);
        if ("met" in c) assert.equal(r.met, c.met);
        // Every result reads as one line an operator can act on; no remediation on pass.
        for (const s of [r.observed, r.expected, r.remediation]) assert.ok(!s.includes("\n"), s);
        assert.ok(r.observed.length > 0 && r.expected.length > 0);
        if (r.status === "pass" || r.status === "skipped") assert.equal(r.remediation, "");
        else assert.ok(r.remediation.length > 0, `${r.status} without remediation`);
      });
    }
  });
}
