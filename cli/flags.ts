/**
 * Command-line flags for the benchmarks (npm run bench:*): `node:util` parseArgs in strict mode, with errors that name the flag,
 * what was given and what is expected, instead of a stack trace.
 */
import type { ParseArgsConfig } from "node:util";
import { parseStrict } from "./args";

export type FlagSpec = Record<
  string,
  { type: "string" | "boolean"; default?: string | boolean; help: string }
>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses `argv` against `spec`; `--help` yields `{ help: true }`. Unknown flags and stray words are errors. */
export function parseFlags<S extends FlagSpec>(
  command: string,
  argv: string[],
  spec: S,
): { help: boolean; values: { [K in keyof S]: S[K]["type"] extends "boolean" ? boolean : string } } {
  const options: NonNullable<ParseArgsConfig["options"]> = {
    ...Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, { type: v.type, default: v.default }])),
    help: { type: "boolean", short: "h", default: false },
  };
  const { values, positionals } = parseStrict(
    { args: argv, options, allowPositionals: true },
    ({ message }) => new UsageError(`${command}: ${message.replace(/\. To specify.*$/s, "")}. See --help.`),
  );
  if (positionals.length > 0) {
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positionals[0])}. See --help.`);
  }
  return { help: values.help === true, values: values as never };
}

/** Help text listing every flag with its default. */
export function usage(command: string, summary: string, spec: FlagSpec): string {
  const lines = Object.entries(spec).map(([k, v]) => {
    const flag = v.type === "boolean" ? `--${k}` : `--${k} VALUE`;
    const def = v.default === undefined || v.default === false ? "" : ` (default ${String(v.default)})`;
    return `  ${flag.padEnd(22)} ${v.help}${def}`;
  });
  return `usage: npm run ${command} -- [flags]\n\n${summary}\n\n${lines.join("\n")}\n  ${"--help".padEnd(22)} this text\n`;
}

/** A flag's value as a number within [min, max], or a UsageError naming the flag. */
export function numberFlag(command: string, name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(
      `${command}: --${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}.`,
    );
  }
  return n;
}

/** A flag's value as one of `allowed`, or a UsageError listing them. */
export function choiceFlag<T extends string>(
  command: string,
  name: string,
  value: string,
  allowed: readonly T[],
): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `${command}: --${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}.`,
    );
  }
  return value as T;
}
