/**
 * The contract every check implements. Checks are pure: facts + configuration in, an outcome out. A check
 * never imports a client library and never does I/O.
 */
import type { LakehouseConfig } from "../config/schema";
import type { Category, CheckResult, Facts, Phase, Severity } from "../model";

interface CheckContext {
  readonly config: LakehouseConfig;
  /** "Now", injected so that age-based checks are deterministic in tests. */
  readonly now: Date;
}

/** What `evaluate` returns; the registry adds id, title, category, severity, critical and gates. */
export type CheckOutcome = Pick<CheckResult, "status" | "observed" | "expected" | "remediation"> &
  Partial<Pick<CheckResult, "met" | "data" | "severity">>;

export interface CheckDefinition {
  /** Stable id (a contract): `trigger.*`, `prereq.*`, `state.*`, `risk.*`. */
  readonly id: string;
  readonly title: string;
  readonly category: Category;
  readonly severity: Severity;
  /** Whether `fail`/`unknown` blocks the verdict; may depend on config (knowledge `enforce`). */
  readonly critical: boolean | ((config: LakehouseConfig) => boolean);
  /** Phases whose gates this check closes when it does not pass. */
  readonly gates: readonly Phase[];
  evaluate(facts: Facts, ctx: CheckContext): CheckOutcome;
}
