/**
 * The one runner behind every face (CLI, Readiness resource, plan): collect facts (live or offline), evaluate
 * the checks, return the report. Faces only render or act on the report.
 */
import type { LakehouseConfig } from "./config/schema";
import { evaluate } from "./evaluate";
import type { Facts, Report } from "./model";
import { loadOfflineFacts } from "./offline/load";
import type { LiveOptions } from "./probes";

export type FactSource = { mode: "offline"; files: readonly string[] } | ({ mode: "live" } & LiveOptions);

export interface RunOptions {
  config: LakehouseConfig;
  /** Stack name for the report, or null when running on built-in defaults. */
  stack: string | null;
  source: FactSource;
  now?: Date;
}

/** Collects facts from the chosen source. Offline and live differ only here. */
export async function collectFacts(config: LakehouseConfig, source: FactSource): Promise<Facts> {
  if (source.mode === "offline") return loadOfflineFacts(source.files);
  // Loaded only for a live run: the Kubernetes and S3 clients take most of a process's start-up otherwise.
  const { collectLiveFacts } = await import("./probes");
  return collectLiveFacts(config, source);
}

/** Runs the whole assessment. Throws InputError for bad input; never for an unreachable cluster (that is `unknown`). */
export async function runPreflight(opts: RunOptions): Promise<Report> {
  const facts = await collectFacts(opts.config, opts.source);
  return evaluate(facts, { config: opts.config, stack: opts.stack, now: opts.now });
}
