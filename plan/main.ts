/**
 * `npm run plan -- [--stack anton] [--from FILE ...] [--output table|json] [--policy-pack-config FILE]`
 *
 * Review without credentials or a Pulumi CLI: runs the real program (index.ts) under Pulumi's mock runtime as a
 * preview, with the offline preflight on snapshot files, feeds every recorded resource to the real policy pack,
 * and prints the verdict, the gates, the resources `pulumi up` would create (by phase; in JSON with their inputs,
 * secrets masked: ./mask.ts) and every violation. Relative paths are the caller's (npm's INIT_CWD under npm run).
 * Exit: 0 no mandatory violation, 5 a mandatory violation, 2 invalid input, 1 unexpected error.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError, PHASES } from "../preflight/model";
import type { PlannedResource, PolicyViolation } from "../policy-pack/types";
import { parseStrict } from "../cli/args";
import { EXIT, planExit, reportPlanFailure } from "../cli/exit";
import { userDir, type CliIO } from "../cli/io";
import { planOutputFormat, type PlanOutputFormat } from "../cli/output";
import { SECRET } from "./markers";
import type { maskInputs } from "./mask";
import type { MockRunResult, RecordedResource } from "./mockrun";

const ROOT = path.resolve(__dirname, "..");

export const USAGE = `Plan the lakehouse deployment offline: the real program under Pulumi's mock runtime, the real policy pack.

Usage:
  npm run plan -- [--stack NAME] [--from FILE ...] [--output table|json] [--policy-pack-config FILE]

Options:
  --stack NAME                Stack file Pulumi.NAME.yaml in the working directory (under npm run: the
                              project root). Default: anton.
  --from FILE                 Snapshot file(s) for the offline preflight (kubectl -o json, NodeMetricsList,
                              capture file, or a folder of them); repeatable. Default: every .json file in
                              examples/anton/.
  --output FORMAT             table (default) or json (one object on stdout, below).
  --policy-pack-config FILE   Policy pack config (enforcement levels, thresholds, waivers), as for
                              \`pulumi preview --policy-pack-config\`.
  -h, --help                  Show this help.

Relative --from and --policy-pack-config paths are taken from the folder you ran the command in (under
npm run too, through npm's INIT_CWD).

JSON output: stack, from, decision, summary, gates, phases, resources, violations, mandatoryViolations,
warnings. Each resource: phase, type, name, kubernetesName, namespace, urn, and inputs (what the engine would
receive: ConfigMap data, Helm values, Spark conf, ...). In inputs, Pulumi secrets, the data of Kubernetes
Secrets and values under credential keys (password, secretAccessKey, fs.s3a.secret.key, token, ..., also as
key=value lines, XML properties and -D options inside text) read ${SECRET}; values known only after up read
[unknown]. Details: docs/program.md. Use npm run -s so npm's banner stays off stdout:
  npm run -s plan -- --output json | jq '.resources[] | select(.name == "hive-metastore-conf") | .inputs.data'

Exit codes: 0 no mandatory violation, 5 a mandatory violation, 2 invalid input, 1 unexpected error.`;

interface PlanArgs {
  stack: string;
  from: string[];
  output: PlanOutputFormat;
  packConfig?: string;
}

/**
 * Parses argv (without `node script`). Relative paths are taken from `base`: the folder the user ran the command
 * in (see `userDir`).
 * @default base process.cwd()
 */
export function parsePlanArgs(argv: string[], base = process.cwd()): PlanArgs | "help" {
  const parsed = parseStrict(
    {
      args: argv,
      options: {
        stack: { type: "string" },
        from: { type: "string", multiple: true },
        output: { type: "string" },
        "policy-pack-config": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    },
    ({ message }) => new InputError(`${message}. Run \`npm run plan -- --help\` for usage.`),
  );
  const v = parsed.values;
  if (v.help) return "help";
  const output = planOutputFormat(v.output);
  let from = v.from ?? [];
  if (from.length === 0) {
    const dir = path.join(ROOT, "examples", "anton");
    from = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => path.join(dir, f));
  }
  for (const f of from) {
    if (!fs.existsSync(path.resolve(base, f)))
      throw new InputError(
        `--from: file ${f} does not exist${path.isAbsolute(f) ? "" : ` (looked for ${path.resolve(base, f)})`}. Fix: pass an existing snapshot file.`,
      );
  }
  const packConfig = v["policy-pack-config"];
  return {
    stack: v.stack ?? "anton",
    from: from.map((f) => path.resolve(base, f)),
    output,
    packConfig: packConfig === undefined ? undefined : path.resolve(base, packConfig),
  };
}

/**
 * The stack file's config as Pulumi would hand it to the program, with snapshotFiles forced to `files`. Like the
 * Pulumi CLI it reads `Pulumi.<stack>.yaml` from the working directory (npm runs scripts from the project root).
 */
export async function stackRuntimeConfig(
  stack: string,
  files: readonly string[],
  dir = process.cwd(),
): Promise<Record<string, string>> {
  // Validates first (InputError naming key/seen/expected), exactly as the program will. Loaded here, past
  // --help and the argument checks, as the Pulumi runtime below.
  const { loadStackFile } = await import("../preflight/config/load");
  const { stackConfig } = loadStackFile(stack, dir);
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stackConfig ?? {})) {
    // Encrypted values cannot be decrypted here and no offline step needs them.
    if (v && typeof v === "object" && "secure" in v) continue;
    values[k] = v;
  }
  values["lakehouse:snapshotFiles"] = [...files];
  // The Pulumi runtime is loaded only now, past --help and the argument checks: it is most of the start-up.
  const { toRuntimeConfig } = await import("./mockrun");
  return toRuntimeConfig(values);
}

export interface PlanResource {
  phase: string;
  type: string;
  name: string;
  kubernetesName?: string;
  namespace?: string;
  urn: string;
  /** The inputs the engine would receive, secrets masked (plan/mask.ts). */
  inputs: Record<string, unknown>;
}

/** The phase of a resource: its `lakehouse:<phase>:` ancestor in the URN, else its `lakehouse.dev/phase` label. */
export function phaseOf(r: RecordedResource): string {
  const chain = (r.urn.split("::")[2] ?? "").split("$");
  for (const t of chain) {
    const m = /^lakehouse:([a-z]+):/.exec(t);
    // Shared machinery (lakehouse:delivery:*) is no phase: its resources belong to the phase that uses it.
    if (m && (m[1] === "base" || (PHASES as readonly string[]).includes(m[1]))) return m[1];
  }
  const meta = (r.inputs.metadata ?? {}) as { labels?: Record<string, string> };
  if (meta.labels?.["lakehouse.dev/phase"]) return meta.labels["lakehouse.dev/phase"];
  // A phase's own dynamic resources (e.g. its Verification) carry the phase as an input.
  if (typeof r.inputs.phase === "string" && (PHASES as readonly string[]).includes(r.inputs.phase))
    return r.inputs.phase;
  if (r.type.endsWith(":Readiness")) return "readiness";
  return "program";
}

function withoutProvider(inputs: Record<string, unknown>): Record<string, unknown> {
  const { __provider: _ignored, ...rest } = inputs;
  return rest;
}

export function toPlanned(rs: readonly RecordedResource[]): PlannedResource[] {
  return rs.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: withoutProvider(r.inputs),
    parent: r.parent,
    dependencies: r.dependencies,
    opts: { protect: r.protect, retainOnDelete: r.retainOnDelete },
  }));
}

export interface PlanResult {
  stack: string;
  from: string[];
  decision: string;
  summary: string;
  gates: unknown;
  phases: unknown;
  resources: PlanResource[];
  violations: PolicyViolation[];
  mandatoryViolations: number;
  warnings: string[];
}

export function buildResult(
  args: PlanArgs,
  run: MockRunResult,
  violations: PolicyViolation[],
  mask: typeof maskInputs,
): PlanResult {
  const out = run.outputs ?? {};
  const resources = run.resources.map((r) => {
    const meta = (r.inputs.metadata ?? {}) as { name?: string; namespace?: string };
    return {
      phase: phaseOf(r),
      type: r.type,
      name: r.name,
      kubernetesName: typeof meta.name === "string" ? meta.name : undefined,
      namespace: typeof meta.namespace === "string" ? meta.namespace : undefined,
      urn: r.urn,
      inputs: mask(r.wireInputs ?? r.inputs),
    };
  });
  return {
    stack: args.stack,
    from: args.from,
    decision: String(out.decision),
    summary: String(out.summary ?? ""),
    gates: out.gates,
    phases: out.phases,
    resources,
    violations,
    mandatoryViolations: violations.filter((v) => v.enforcement === "mandatory").length,
    warnings: run.logs.filter((l) => l.severity === "warning").map((l) => l.message),
  };
}

export function renderTable(r: PlanResult, base = process.cwd()): string {
  const lines: string[] = [];
  lines.push(
    `Stack ${r.stack} (offline preview of ${r.from.map((f) => path.relative(base, f) || ".").join(", ")})`,
  );
  lines.push(`Verdict: ${r.decision.toUpperCase()}  ${r.summary}`, "");
  lines.push("Gates:");
  const gates = (r.gates ?? {}) as Record<string, { open: boolean; blockedBy: string[]; reason: string }>;
  for (const [p, g] of Object.entries(gates)) {
    lines.push(
      `  ${p.padEnd(11)} ${g.open ? "open  " : "CLOSED"}  ${g.open ? "" : g.blockedBy.join(", ") || g.reason}`,
    );
  }
  lines.push("", `Resources pulumi up would create (${r.resources.length}):`);
  const phases = [...new Set(r.resources.map((x) => x.phase))];
  const typeWidth = Math.max(4, ...r.resources.map((x) => x.type.length));
  const nameWidth = Math.max(4, ...r.resources.map((x) => (x.kubernetesName ?? x.name).length));
  for (const p of phases) {
    lines.push(`  [${p}]`);
    for (const x of r.resources.filter((y) => y.phase === p)) {
      const name = x.kubernetesName ?? x.name;
      lines.push(`    ${x.type.padEnd(typeWidth)}  ${name.padEnd(nameWidth)}  ${x.namespace ?? "-"}`);
    }
  }
  if (r.warnings.length)
    lines.push("", "Warnings:", ...r.warnings.map((w) => `  ${w.replace(/\n/g, "\n  ")}`));
  lines.push("", `Policy violations (${r.violations.length}, ${r.mandatoryViolations} mandatory):`);
  if (r.violations.length === 0) lines.push("  none");
  for (const v of r.violations)
    lines.push(`  ${v.enforcement.padEnd(9)} ${v.policy.padEnd(22)} ${v.message}`);
  return lines.join("\n") + "\n";
}

/** What plan needs of the CLI I/O (cli/io.ts): it neither colours nor wraps. */
export type PlanIO = Pick<CliIO, "stdout" | "stderr" | "env" | "cwd">;

export async function runPlan(
  argv: string[],
  io: PlanIO = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
): Promise<number> {
  try {
    const base = userDir(io, "plan");
    const args = parsePlanArgs(argv, base);
    if (args === "help") {
      io.stdout.write(USAGE + "\n");
      return EXIT.ready;
    }
    let packConfig: unknown;
    if (args.packConfig) {
      try {
        packConfig = JSON.parse(fs.readFileSync(args.packConfig, "utf8"));
      } catch (e) {
        throw new InputError(
          `--policy-pack-config: cannot read ${args.packConfig} as JSON (${(e as Error).message}).`,
        );
      }
    }
    const config = await stackRuntimeConfig(args.stack, args.from, io.cwd);
    const { runUnderMocks } = await import("./mockrun");
    const run = await runUnderMocks({ stack: args.stack, preview: true, config });
    for (const l of run.logs) io.stderr.write(`${l.severity}: ${l.message}\n`);
    if (run.error) {
      if (run.error.name === "InputError") throw new InputError(run.error.message);
      throw new Error(`The program failed under the mock runtime: ${run.error.message}`);
    }
    const { evaluatePolicies } = await import("../policy-pack/evaluate");
    const violations = evaluatePolicies(toPlanned(run.resources), packConfig);
    const result = buildResult(args, run, violations, (await import("./mask")).maskInputs);
    io.stdout.write(
      args.output === "json" ? JSON.stringify(result, null, 2) + "\n" : renderTable(result, base),
    );
    return planExit(result);
  } catch (e) {
    return reportPlanFailure(e, io);
  }
}

if (require.main === module) {
  runPlan(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
