/**
 * Output format and where results go, for every CLI of the project: the `--output` choice (preflight and verify:
 * table, json or markdown through the preflight's renderers; plan: table or json), the colour and width a
 * table gets. (Results go to stdout, everything for people to stderr; cli/exit.ts ends the process.)
 */
import { InputError } from "../preflight/model";
import { OUTPUT_FORMATS, type OutputFormat, type RenderOptions } from "../preflight/render/style";
import type { CliIO } from "./io";

export { OUTPUT_FORMATS, type OutputFormat };

/** The formats `npm run plan -- --output` takes. */
export const PLAN_OUTPUT_FORMATS = ["table", "json"] as const;
export type PlanOutputFormat = (typeof PLAN_OUTPUT_FORMATS)[number];

/**
 * A flag's value as one of `allowed`, else an InputError: `--output "yaml" is not one of table, json, markdown.`
 * and the CLI's help hint (the wording preflight and verify share for --output and --phase).
 */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[], hint: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InputError(`${flag} "${value}" is not one of ${allowed.join(", ")}. ${hint}`);
  }
  return value as T;
}

/** `--output` of preflight and verify: table when not given, else one of OUTPUT_FORMATS. */
export function outputFormat(value: string | undefined, hint: string): OutputFormat {
  return value === undefined ? "table" : oneOf("--output", value, OUTPUT_FORMATS, hint);
}

/** `--output` of plan: table when not given, else table or json (plan's own wording, a contract). */
export function planOutputFormat(value: string | undefined): PlanOutputFormat {
  const output = value ?? "table";
  if (!(PLAN_OUTPUT_FORMATS as readonly string[]).includes(output)) {
    throw new InputError(`--output: "${output}" is not a format; expected table or json.`);
  }
  return output as PlanOutputFormat;
}

/**
 * How a table is drawn for this process: colour only for `table` on a terminal without NO_COLOR, the
 * terminal's width when stdout is one (json and markdown ignore both).
 */
export function renderOptions(io: Pick<CliIO, "isTTY" | "env" | "columns">, format: string): RenderOptions {
  return {
    color: format === "table" && io.isTTY && !io.env.NO_COLOR,
    width: io.isTTY ? io.columns : undefined,
  };
}
