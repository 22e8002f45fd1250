/**
 * Renderers: the report (or any list of check results) as `table`, `json` or `markdown`. All three say the
 * same things; only the layout differs. Pure: they return text, the caller decides where it goes.
 */
import type { CheckResult, Phase, Report, Status } from "../model";
import { renderReportJson, renderResultsJson } from "./json";
import { renderReportMarkdown, renderResultsMarkdown } from "./markdown";
import type { OutputFormat, RenderOptions } from "./style";
import { renderReportTable, renderResultsTable } from "./table";

export { OUTPUT_FORMATS, type OutputFormat } from "./style";

/** Options of `renderReport`: colour and width for `table`, plus an optional phase in focus. */
interface ReportRenderOptions extends RenderOptions {
  /** Puts this phase's gate in the headline (table, markdown) or a `focus` field (json). */
  phase?: Phase;
}

/** A list of results with an overall status, e.g. the post-deploy checks of `verify`. */
interface ResultsDocument {
  /** Headline, e.g. "Lakehouse verification (foundation)". */
  title: string;
  /** Overall status; see `overallStatus`. */
  status: Status;
  /** One sentence, optional. */
  summary?: string;
  results: readonly CheckResult[];
}

/** Renders the preflight report. */
export function renderReport(report: Report, format: OutputFormat, opts: ReportRenderOptions = {}): string {
  switch (format) {
    case "json":
      return renderReportJson(report, { phase: opts.phase });
    case "markdown":
      return renderReportMarkdown(report, { phase: opts.phase });
    case "table":
      return renderReportTable(report, opts);
  }
}

/** Renders a generic result list in the same formats (shared with `verify`). */
export function renderResults(doc: ResultsDocument, format: OutputFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case "json":
      return renderResultsJson(doc);
    case "markdown":
      return renderResultsMarkdown(doc);
    case "table":
      return renderResultsTable(doc, opts);
  }
}

/**
 * The overall status of a result list, fail closed: `fail` when a critical result failed or is unknown,
 * else `warn` when anything is not pass/skipped, else `pass` (`skipped` when every result was skipped).
 */
export function overallStatus(results: readonly CheckResult[]): Status {
  if (results.some((r) => r.critical && (r.status === "fail" || r.status === "unknown"))) return "fail";
  if (results.some((r) => r.status !== "pass" && r.status !== "skipped")) return "warn";
  if (results.length > 0 && results.every((r) => r.status === "skipped")) return "skipped";
  return "pass";
}
