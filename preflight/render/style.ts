/**
 * Shared vocabulary of the three renderers: output formats, status symbols and labels, category titles,
 * ANSI colour (only when asked) and word wrapping. Pure.
 */
import { styleText } from "node:util";
import type { Category, CheckResult, Decision, Status } from "../model";
import { STATUSES } from "../model";

/** Output formats every CLI of the project offers. */
export const OUTPUT_FORMATS = ["table", "json", "markdown"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface RenderOptions {
  /**
   * ANSI colour in the `table` format. The CLI turns it on only when stdout is a TTY and NO_COLOR is unset;
   * `json` and `markdown` never colour.
   * @default false
   */
  color?: boolean;
  /**
   * Line width the `table` format wraps to (clamped to 80..160).
   * @default 100
   */
  width?: number;
}

/** Symbols are paired with words so that the table reads the same without colour (NO_COLOR, pipes, logs). */
const STATUS_SYMBOL: Record<Status, string> = {
  pass: "✓",
  warn: "!",
  fail: "✗",
  unknown: "?",
  skipped: "-",
};

/** Markdown has no colour: emoji carry the status instead. */
export const STATUS_EMOJI: Record<Status, string> = {
  pass: "✅",
  warn: "⚠️",
  fail: "❌",
  unknown: "❓",
  skipped: "⏭️",
};

/** Category sections in the assessment's order. */
const CATEGORY_ORDER: readonly Category[] = ["trigger", "prerequisite", "knowledge", "state", "risk"];

const CATEGORY_TITLE: Record<Category, string> = {
  trigger: "Triggers",
  prerequisite: "Prerequisites",
  knowledge: "Knowledge prerequisites",
  state: "Current state",
  risk: "Risks",
};

export const DECISION_TITLE: Record<Decision, string> = {
  ready: "READY",
  blocked: "BLOCKED",
  "not-needed": "NOT NEEDED",
};

/** The styles the renderers use (names of Node's util.inspect.colors). */
type Style = "bold" | "dim" | "red" | "green" | "yellow" | "magenta" | "cyan";

export type Paint = (text: string, ...styles: Style[]) => string;

/**
 * A painter that wraps text in ANSI codes (Node's util.styleText) when `color` is true, and returns it untouched
 * otherwise. The caller decides (TTY and NO_COLOR, in the CLI), so styleText's own stream check is off.
 */
export function painter(color: boolean): Paint {
  if (!color) return (text) => text;
  return (text, ...styles) =>
    styles.length === 0 || text === "" ? text : styleText(styles, text, { validateStream: false });
}

export const STATUS_STYLE: Record<Status, Style> = {
  pass: "green",
  warn: "yellow",
  fail: "red",
  unknown: "magenta",
  skipped: "dim",
};

export const DECISION_STYLE: Record<Decision, Style> = {
  ready: "green",
  blocked: "red",
  "not-needed": "cyan",
};

/** Results grouped by category in the assessment's order; unknown categories (other CLIs) come last. */
export function groupByCategory(
  results: readonly CheckResult[],
): { category: string; results: CheckResult[] }[] {
  const groups = new Map<string, CheckResult[]>();
  for (const c of CATEGORY_ORDER) groups.set(c, []);
  for (const r of results) {
    const list = groups.get(r.category) ?? [];
    list.push(r);
    groups.set(r.category, list);
  }
  return [...groups.entries()]
    .filter(([, rs]) => rs.length > 0)
    .map(([category, rs]) => ({ category, results: rs }));
}

export function categoryTitle(category: string): string {
  return (CATEGORY_TITLE as Record<string, string>)[category] ?? category;
}

/** True for a trigger whose condition was decided: it shows as met / not met rather than pass / fail. */
export function isDecidedTrigger(r: CheckResult): boolean {
  return r.category === "trigger" && typeof r.met === "boolean";
}

/**
 * What the status cell shows. A trigger that is not met is not a failure (the JSON keeps its `status`), so
 * triggers read "met" / "not met"; every other check shows its status.
 */
export function statusLabel(r: CheckResult): { symbol: string; label: string; style: Style; emoji: string } {
  if (isDecidedTrigger(r)) {
    return r.met
      ? { symbol: "✓", label: "met", style: "green", emoji: "✅" }
      : { symbol: "·", label: "not met", style: "dim", emoji: "➖" };
  }
  return {
    symbol: STATUS_SYMBOL[r.status],
    label: r.status,
    style: STATUS_STYLE[r.status],
    emoji: STATUS_EMOJI[r.status],
  };
}

/**
 * "triggers: 2 of 9 met; checks: 12 pass, 1 warn, 2 fail" in the fixed status order, leaving out zeros.
 * Decided triggers are counted apart so that an unmet trigger never reads as a failed check.
 */
export function statusCounts(results: readonly CheckResult[]): string {
  const triggers = results.filter(isDecidedTrigger);
  const rest = results.filter((r) => !isDecidedTrigger(r));
  const parts = STATUSES.map((s) => [s, rest.filter((r) => r.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const checks = parts.length > 0 ? parts.join(", ") : "none";
  if (triggers.length === 0) return parts.length > 0 ? checks : "no checks";
  return `triggers ${triggers.filter((r) => r.met).length} of ${triggers.length} met; checks ${checks}`;
}

/**
 * Word-wraps `text` to lines of at most `width` characters. Words longer than a line (URLs, long ids) are
 * broken hard so that nothing runs past the edge.
 */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(10, width);
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (let word of para.split(/\s+/).filter((x) => x.length > 0)) {
      while (word.length > w) {
        if (line) {
          out.push(line);
          line = "";
        }
        out.push(word.slice(0, w));
        word = word.slice(w);
      }
      if (!line) line = word;
      else if (line.length + 1 + word.length <= w) line += ` ${word}`;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out;
}

export function clampWidth(width: number | undefined): number {
  const w = width ?? 100;
  return Math.min(160, Math.max(80, Math.floor(w)));
}
