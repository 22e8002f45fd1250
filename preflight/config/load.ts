/**
 * Reading configuration at the edge: a `Pulumi.<stack>.yaml` file (the CLIs) or Pulumi's runtime config (the
 * program). Both end in `parseConfig`, which returns a frozen `LakehouseConfig` or throws an `InputError` that
 * names the file, the key, what was seen, what was expected and the fix.
 */
import * as fs from "fs";
import * as path from "path";
import type * as YamlModule from "yaml";
import type { z } from "zod";
import { InputError } from "../model";
import { CONFIG_KEYS, configSchema, type LakehouseConfig } from "./schema";

const NAMESPACE = "lakehouse";

export interface LoadedConfig {
  config: LakehouseConfig;
  /** Where it came from, for messages: a file path, "Pulumi config", or "built-in defaults". */
  source: string;
  /** Config keys whose value is a Pulumi secret that this process cannot decrypt (CLI only). */
  encryptedKeys: string[];
  /**
   * The stack file's whole `config` map, every namespace (`kubernetes:context`, ...) as written, secrets still
   * encrypted: for callers that need more than the `lakehouse:` keys, so they need not read the file again.
   * Only from `loadStackFile`.
   */
  stackConfig?: Readonly<Record<string, unknown>>;
}

/** Recursively freezes a plain object so nothing deeper can change configuration. */
function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

function isSecure(v: unknown): boolean {
  return !!v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;
}

/** Strips `{secure: ...}` leaves (encrypted Pulumi secrets), remembering their dotted keys. */
function dropSecure(v: unknown, key: string, found: string[]): unknown {
  if (isSecure(v)) {
    found.push(key);
    return undefined;
  }
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = dropSecure(x, `${key}.${k}`, found);
      if (y !== undefined) out[k] = y;
    }
    return out;
  }
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(raw: Record<string, unknown>, p: PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const k of p) {
    if (cur && typeof cur === "object") cur = (cur as Record<PropertyKey, unknown>)[k];
    else return undefined;
  }
  return cur;
}

/** Turns zod issues into one readable message naming `lakehouse:<key>`. */
function formatIssues(issues: z.core.$ZodIssue[], raw: Record<string, unknown>, source: string): string {
  const lines = issues.slice(0, 10).map((issue) => {
    const [head, ...rest] = issue.path.map(String);
    const key =
      head === undefined ? `${NAMESPACE}:` : `${NAMESPACE}:${head}${rest.map((r) => `.${r}`).join("")}`;
    if (issue.code === "unrecognized_keys") {
      const where = head === undefined ? "" : ` under ${key}`;
      const known =
        head === undefined
          ? CONFIG_KEYS.map((k) => `${NAMESPACE}:${k}`).join(", ")
          : Object.keys((valueAt(raw, issue.path) as object) ?? {}).join(", ");
      return `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}${where}; known keys: ${head === undefined ? known : "see docs/configuration.md"}. Fix: correct the spelling or remove the key.`;
    }
    // A cross-key rule (configSchema's superRefine) says what it saw and how to fix it itself.
    if (issue.code === "custom" && issue.message.includes("Fix: ")) return `${key} ${issue.message}`;
    const seen = describe(valueAt(raw, issue.path));
    return `${key}: ${issue.message}; saw ${seen}. Fix: set a valid value with \`pulumi config set --path ${key} <value>\` (see docs/configuration.md) or remove it to use the default.`;
  });
  const more = issues.length > 10 ? `\n  (and ${issues.length - 10} more)` : "";
  return `Invalid configuration in ${source}:\n  - ${lines.join("\n  - ")}${more}`;
}

/**
 * Parses the `lakehouse:` namespace. `raw` maps keys WITHOUT the `lakehouse:` prefix to values, either typed
 * (from YAML) or strings (Pulumi's runtime hands structured values over as JSON text).
 */
export function parseConfig(raw: Record<string, unknown>, source: string): LakehouseConfig {
  const normalised: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === "string" && /^\s*[[{]/.test(v)) {
      try {
        normalised[k] = JSON.parse(v);
      } catch (e) {
        throw new InputError(
          `Invalid configuration in ${source}: ${NAMESPACE}:${k} looks like JSON but does not parse (${(e as Error).message}). Fix: set it as YAML in the stack file, or with \`pulumi config set --path\`.`,
        );
      }
    } else normalised[k] = v;
  }
  const result = configSchema.safeParse(normalised);
  if (!result.success) throw new InputError(formatIssues(result.error.issues, normalised, source));
  return deepFreeze(result.data);
}

/** The built-in defaults: the assessment's own thresholds and names, nothing declared. */
export function defaultConfig(): LoadedConfig {
  return { config: parseConfig({}, "built-in defaults"), source: "built-in defaults", encryptedKeys: [] };
}

/** The YAML parser, loaded on first use: most runs read JSON only, and it is a tenth of a CLI's start-up. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = (): typeof YamlModule => require("yaml") as typeof YamlModule;

/** Parses YAML text with errors that name the file, line and column. */
export function parseYamlText(text: string, file: string): unknown {
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    const where = pos ? ` at line ${pos.line}, column ${pos.col}` : "";
    throw new InputError(
      `${file}: malformed YAML${where}: ${e.message.split("\n")[0]}. Fix: correct the YAML syntax at that position.`,
    );
  }
  return doc.toJS();
}

/**
 * Reads `Pulumi.<stack>.yaml` from `dir` (default: the project root) and parses its `lakehouse:` keys.
 * Keys of other namespaces (`kubernetes:context`, ...) are not validated; they come back in `stackConfig`.
 */
export function loadStackFile(stack: string, dir: string = process.cwd()): LoadedConfig {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new InputError(`--stack: "${stack}" is not a stack name (letters, digits, '-', '_', '.').`);
  }
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    const have = fs
      .readdirSync(dir)
      .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
      .map((f) => f.slice(7, -5));
    throw new InputError(
      `Stack file ${file} not found. Fix: pass an existing stack${have.length ? ` (found: ${have.join(", ")})` : ""}, or create it with \`pulumi stack init ${stack}\`.`,
    );
  }
  const doc = parseYamlText(text, file);
  const cfg = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof cfg !== "object" || Array.isArray(cfg)) {
    throw new InputError(`${file}: "config" must be a map of keys to values; saw ${describe(cfg)}.`);
  }
  const raw: Record<string, unknown> = {};
  const encryptedKeys: string[] = [];
  for (const [k, v] of Object.entries(cfg as Record<string, unknown>)) {
    if (!k.startsWith(`${NAMESPACE}:`)) continue;
    const key = k.slice(NAMESPACE.length + 1);
    const plain = dropSecure(v, `${NAMESPACE}:${key}`, encryptedKeys);
    if (plain !== undefined) raw[key] = plain;
  }
  return {
    config: parseConfig(raw, file),
    source: file,
    encryptedKeys,
    stackConfig: cfg as Record<string, unknown>,
  };
}

/**
 * Pulumi's runtime config (`pulumi.runtime.allConfig()`: `{"lakehouse:thresholds": "<json>", ...}`),
 * already decrypted by the engine.
 */
export function fromPulumiConfig(all: Record<string, string>, stack: string): LoadedConfig {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith(`${NAMESPACE}:`)) raw[k.slice(NAMESPACE.length + 1)] = v;
  }
  const source = `Pulumi config of stack "${stack}" (Pulumi.${stack}.yaml)`;
  return { config: parseConfig(raw, source), source, encryptedKeys: [] };
}
