/**
 * The machine format: the report exactly as the runner built it (`decision`, `checks`, `gates`,
 * `decisionMatrix`, ...), one JSON object, so scripts read the same fields the other faces use.
 */
import type { CheckResult, Gate, Phase, Report, Status } from "../model";

/** Added to the JSON report when the CLI runs with `--phase`: that phase's gate, the thing the exit code follows. */
interface PhaseFocus extends Gate {
  phase: Phase;
}

/** The report as one JSON object (pretty-printed, newline-terminated). With `phase`, adds a `focus` field. */
export function renderReportJson(report: Report, opts: { phase?: Phase } = {}): string {
  const doc: Report & { focus?: PhaseFocus } = opts.phase
    ? { ...report, focus: { ...report.gates[opts.phase], phase: opts.phase } }
    : report;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** A generic result list as one JSON object: `{ title, status, summary?, results }`. */
export function renderResultsJson(doc: {
  title: string;
  status: Status;
  summary?: string;
  results: readonly CheckResult[];
}): string {
  return `${JSON.stringify({ title: doc.title, status: doc.status, summary: doc.summary, results: doc.results }, null, 2)}\n`;
}
