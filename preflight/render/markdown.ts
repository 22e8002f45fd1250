/**
 * The markdown format: a report to paste into an issue or a runbook. Same content as the table: decision,
 * gates, the assessment's decision matrix (Condition | Met | Priority | Action), every check, capacity.
 */
import type { CheckResult, Phase, Report, Status } from "../model";
import { PHASES } from "../model";
import { capacityLines } from "./table";
import {
  categoryTitle,
  DECISION_TITLE,
  groupByCategory,
  isDecidedTrigger,
  STATUS_EMOJI,
  statusCounts,
  statusLabel,
} from "./style";

/** Escapes text for a table cell: pipes would split the cell, newlines would end the row. */
export function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>").trim() || " ";
}

function code(id: string): string {
  return `\`${id}\``;
}

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

function status(s: Status): string {
  return `${STATUS_EMOJI[s]} ${s}`;
}

function checksSection(results: readonly CheckResult[], level: string): string[] {
  const out: string[] = [];
  for (const group of groupByCategory(results)) {
    out.push("", `${level} ${categoryTitle(group.category)}`, "");
    out.push(
      ...table(
        ["Status", "Check", "Observed", "Expected", "Remediation"],
        group.results.map((r) => [
          `${statusLabel(r).emoji} ${statusLabel(r).label}`,
          `${code(r.id)}<br>${cell(r.title)}`,
          cell(r.observed),
          cell(r.expected),
          r.status === "pass" || (isDecidedTrigger(r) && r.met) ? " " : cell(r.remediation),
        ]),
      ),
    );
  }
  return out;
}

const MET: Record<string, string> = { yes: "✅ yes", no: "❌ no", unknown: "❓ unknown" };

/** The whole report as markdown. `phase` puts that phase's gate in the headline. */
export function renderReportMarkdown(report: Report, opts: { phase?: Phase } = {}): string {
  const out: string[] = [];
  out.push(`## Lakehouse readiness: ${DECISION_TITLE[report.decision]}`, "");
  if (opts.phase) {
    const g = report.gates[opts.phase];
    out.push(
      `**Phase ${opts.phase}: gate ${g.open ? "open" : "closed"}**${g.open ? "" : ` (blocked by ${g.blockedBy.map(code).join(", ") || "unknown"})`}`,
      "",
    );
  }
  out.push(`> ${report.summary.replace(/\r?\n/g, " ")}`, "");
  out.push(
    ...table(
      ["Stack", "Source", "Generated", "Checks"],
      [
        [
          cell(report.stack ?? "none (built-in defaults)"),
          cell(`${report.mode}: ${report.origin}`),
          cell(report.generatedAt),
          cell(statusCounts(report.checks)),
        ],
      ],
    ),
    "",
  );
  out.push(
    `- **Triggers met:** ${report.triggersMet.length ? report.triggersMet.map(code).join(", ") : "none"}`,
  );
  out.push(`- **Blocking:** ${report.blocking.length ? report.blocking.map(code).join(", ") : "none"}`);
  out.push(`- **Warnings:** ${report.warnings.length ? report.warnings.map(code).join(", ") : "none"}`);

  out.push("", "### Gates", "");
  out.push(
    ...table(
      ["Phase", "Gate", "Blocked by", "Reason"],
      PHASES.filter((p) => report.gates[p]).map((p) => {
        const g = report.gates[p];
        return [
          p,
          g.open ? "✅ open" : "❌ closed",
          g.blockedBy.length ? g.blockedBy.map(code).join(", ") : " ",
          cell(g.reason),
        ];
      }),
    ),
  );

  out.push("", "### Decision matrix", "");
  out.push(
    ...table(
      ["Condition", "Met", "Priority", "Action"],
      report.decisionMatrix.map((r) => [
        cell(r.condition),
        MET[r.met] ?? cell(r.met),
        r.priority,
        cell(r.action),
      ]),
    ),
  );

  out.push("", "### Checks");
  out.push(...checksSection(report.checks, "####"));

  if (report.capacity) {
    out.push("", "### Capacity", "");
    for (const l of capacityLines(report.capacity)) out.push(`- ${l}`);
  }
  return `${out.join("\n")}\n`;
}

/** A generic result list (e.g. `verify`'s post-deploy checks) as markdown. */
export function renderResultsMarkdown(doc: {
  title: string;
  status: Status;
  summary?: string;
  results: readonly CheckResult[];
}): string {
  const out: string[] = [`## ${doc.title}: ${status(doc.status)}`, ""];
  if (doc.summary) out.push(`> ${doc.summary.replace(/\r?\n/g, " ")}`, "");
  out.push(`Checks: ${statusCounts(doc.results)}`);
  out.push(...checksSection(doc.results, "###"));
  return `${out.join("\n")}\n`;
}
