/**
 * The human format: a terminal report that answers "ready or not, and what blocks me" in its first lines,
 * then the gates, every check grouped by category (with what was expected and the fix for those that did not
 * pass), the assessment's decision matrix and the measured capacity. Wraps to `width` columns.
 */
import type { CapacitySummary, CheckResult, DecisionMatrixRow, Phase, Report, Status } from "../model";
import { PHASES } from "../model";
import { formatBytes, formatCpu } from "../quantity";
import {
  categoryTitle,
  clampWidth,
  DECISION_STYLE,
  DECISION_TITLE,
  groupByCategory,
  painter,
  isDecidedTrigger,
  STATUS_STYLE,
  statusCounts,
  statusLabel,
  wrap,
  type Paint,
  type RenderOptions,
} from "./style";

const INDENT = "  ";

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

/** A left column followed by wrapped text; continuation lines are indented to the text column. */
function hanging(first: string, firstWidth: number, text: string, width: number): string[] {
  const lines = wrap(text, width - firstWidth);
  return lines.map((l, i) => (i === 0 ? pad(first, firstWidth) : " ".repeat(firstWidth)) + l);
}

function statusCell(r: CheckResult, paint: Paint): { text: string; visible: number } {
  const l = statusLabel(r);
  const plain = `${l.symbol} ${l.label}`;
  return { text: paint(plain, l.style), visible: plain.length };
}

/** The checks, grouped by category, one block per check. */
function checksSection(results: readonly CheckResult[], width: number, paint: Paint): string[] {
  const out: string[] = [];
  const statusWidth = 11;
  const idWidth = Math.min(32, Math.max(0, ...results.map((r) => r.id.length))) + 2;
  const textCol = INDENT.length + statusWidth + idWidth;
  const textWidth = width - textCol;
  for (const group of groupByCategory(results)) {
    out.push("", paint(categoryTitle(group.category), "bold"));
    for (const r of group.results) {
      const st = statusCell(r, paint);
      const body = [`${r.title}: ${r.observed || "(nothing observed)"}`];
      if (isDecidedTrigger(r)) {
        // A trigger is a question, not a defect: how to declare it is all an operator needs.
        if (!r.met && r.remediation) body.push(`to declare: ${r.remediation}`);
      } else if (r.status !== "pass" && r.status !== "skipped") {
        if (r.expected) body.push(`expected: ${r.expected}`);
        if (r.remediation) body.push(`fix: ${r.remediation}`);
      } else if (r.status === "skipped" && r.remediation) {
        body.push(`note: ${r.remediation}`);
      }
      const lines = body.flatMap((b, i) =>
        i === 0 ? wrap(b, textWidth) : wrap(b, textWidth - 2).map((l) => `  ${l}`),
      );
      const lead = INDENT + st.text + " ".repeat(statusWidth - st.visible);
      const rest = lines.map((l) => (" ".repeat(textCol) + l).trimEnd());
      if (r.id.length + 2 > idWidth) {
        // An id too long for its column gets a line of its own rather than pushing the text off the grid.
        out.push(lead + paint(r.id, "bold"), ...rest);
      } else {
        out.push(lead + paint(pad(r.id, idWidth), "bold") + lines[0], ...rest.slice(1));
      }
    }
  }
  return out;
}

function gatesSection(report: Report, width: number, paint: Paint): string[] {
  const out = ["", paint("Gates", "bold")];
  for (const p of PHASES) {
    const g = report.gates[p];
    if (!g) continue;
    const state = g.open ? paint("✓ open  ", "green") : paint("✗ closed", "red");
    const why = g.open ? g.reason || "" : g.reason || `closed by ${g.blockedBy.join(", ")}`;
    const first = `${INDENT}${pad(p, 12)}`;
    const lines = wrap(why, width - first.length - 10);
    out.push(`${first}${state}  ${lines[0] ?? ""}`.trimEnd());
    for (const l of lines.slice(1)) out.push(" ".repeat(first.length + 10) + l);
  }
  return out;
}

/** The assessment's decision matrix: Condition | Met | Priority | Action. */
function matrixSection(rows: readonly DecisionMatrixRow[], width: number, paint: Paint): string[] {
  if (rows.length === 0) return [];
  const cw = Math.min(32, Math.max(9, ...rows.map((r) => r.condition.length))) + 2;
  const mw = 9;
  const pw = 10;
  const lead = INDENT.length + cw + mw + pw;
  const out = ["", paint("Decision matrix", "bold")];
  out.push(paint(INDENT + pad("Condition", cw) + pad("Met", mw) + pad("Priority", pw) + "Action", "dim"));
  for (const r of rows) {
    const cond = wrap(r.condition, cw - 2);
    const action = wrap(r.action, width - lead);
    const metStyle = r.met === "unknown" ? "magenta" : "bold";
    const n = Math.max(cond.length, action.length);
    for (let i = 0; i < n; i++) {
      const c = pad(cond[i] ?? "", cw);
      const m = i === 0 ? paint(pad(r.met, mw), metStyle) : " ".repeat(mw);
      const p = i === 0 ? pad(r.priority, pw) : " ".repeat(pw);
      out.push((INDENT + c + m + p + (action[i] ?? "")).trimEnd());
    }
  }
  return out;
}

function percent(part: number | null, whole: number): string {
  return part === null || whole <= 0 ? "" : ` = ${Math.round((part / whole) * 1000) / 10} %`;
}

/** One line for the nodes and the utilisation line, one per resource. */
export function capacityLines(c: CapacitySummary): string[] {
  const used = (v: number | null, whole: number, fmt: (n: number) => string) =>
    v === null ? "no metrics" : `${fmt(v)} in use${percent(v, whole)}`;
  return [
    `${c.nodes} schedulable node${c.nodes === 1 ? "" : "s"}; utilisation line ${c.maxUtilizationPercent} %`,
    `CPU: ${formatCpu(c.freeCpu)} free of ${formatCpu(c.allocatableCpu)} allocatable (requests ${formatCpu(c.requestedCpu)}; ${used(c.usedCpu, c.allocatableCpu, formatCpu)})`,
    `memory: ${formatBytes(c.freeMemory)} free of ${formatBytes(c.allocatableMemory)} allocatable (requests ${formatBytes(c.requestedMemory)}; ${used(c.usedMemory, c.allocatableMemory, formatBytes)})`,
  ];
}

function listLine(label: string, ids: readonly string[], width: number, paint: Paint): string[] {
  if (ids.length === 0) return [];
  return hanging(`${label}: `, label.length + 2, ids.join(", "), width).map((l, i) =>
    i === 0 ? paint(l.slice(0, label.length + 1), "bold") + l.slice(label.length + 1) : l,
  );
}

/** The whole report as a terminal table. `phase` puts that phase's gate in the headline. */
export function renderReportTable(report: Report, opts: RenderOptions & { phase?: Phase } = {}): string {
  const width = clampWidth(opts.width);
  const paint = painter(opts.color ?? false);
  const out: string[] = [];
  out.push(
    `${paint("Lakehouse readiness:", "bold")} ${paint(DECISION_TITLE[report.decision], "bold", DECISION_STYLE[report.decision] as never)}`,
  );
  if (opts.phase) {
    const g = report.gates[opts.phase];
    out.push(
      `${paint(`Phase ${opts.phase}:`, "bold")} gate ${g.open ? paint("OPEN", "bold", "green") : paint("CLOSED", "bold", "red")}${g.open ? "" : ` (blocked by ${g.blockedBy.join(", ") || "unknown"})`}`,
    );
  }
  out.push(...wrap(report.summary, width));
  const source = `${report.mode} (${report.origin})`;
  out.push(
    ...wrap(
      `stack: ${report.stack ?? "none (built-in defaults)"} · source: ${source} · at ${report.generatedAt}`,
      width,
    ).map((l) => paint(l, "dim")),
  );
  out.push("");
  out.push(...listLine("Triggers met", report.triggersMet, width, paint));
  if (report.triggersMet.length === 0) out.push(`${paint("Triggers met:", "bold")} none`);
  out.push(...listLine("Blocking", report.blocking, width, paint));
  out.push(...listLine("Warnings", report.warnings, width, paint));
  out.push(`${paint("Checks:", "bold")} ${statusCounts(report.checks)}`);
  out.push(...gatesSection(report, width, paint));
  out.push(...checksSection(report.checks, width, paint));
  out.push(...matrixSection(report.decisionMatrix, width, paint));
  if (report.capacity) {
    out.push("", paint("Capacity", "bold"));
    for (const l of capacityLines(report.capacity)) out.push(...hanging(INDENT, INDENT.length, l, width));
  }
  return `${out.join("\n")}\n`;
}

/** A generic result list (e.g. `verify`'s post-deploy checks) in the same layout. */
export function renderResultsTable(
  doc: { title: string; status: Status; summary?: string; results: readonly CheckResult[] },
  opts: RenderOptions = {},
): string {
  const width = clampWidth(opts.width);
  const paint = painter(opts.color ?? false);
  const out: string[] = [];
  out.push(
    `${paint(`${doc.title}:`, "bold")} ${paint(doc.status.toUpperCase(), "bold", STATUS_STYLE[doc.status] as never)}`,
  );
  if (doc.summary) out.push(...wrap(doc.summary, width));
  out.push(`${paint("Checks:", "bold")} ${statusCounts(doc.results)}`);
  out.push(...checksSection(doc.results, width, paint));
  return `${out.join("\n")}\n`;
}
