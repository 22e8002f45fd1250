/**
 * Facts -> check results -> decision, gates and decision matrix. Pure.
 * PLACEHOLDER: filled in by the checks work (issue 2).
 */
import type { LakehouseConfig } from "./config/schema";
import type { Facts, Report } from "./model";

export interface EvaluateOptions {
  config: LakehouseConfig;
  stack: string | null;
  now?: Date;
}

export function evaluate(_facts: Facts, _opts: EvaluateOptions): Report {
  throw new Error("evaluate: not implemented yet");
}
