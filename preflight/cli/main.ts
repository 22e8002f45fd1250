/**
 * `npm run preflight -- ...`: a thin adapter over the runner. It parses flags, loads the stack config, calls
 * `runPreflight` (or the live collection for `capture`), renders the report and maps the decision to the exit
 * code contract (`EXIT` in ../model). Everything it prints for people goes to stderr, except the report.
 */
import * as path from "path";
import type { LoadedConfig } from "../config/load";
import { InputError, PHASES, type Phase } from "../model";
import { renderReport } from "../render";
import type { FactSource } from "../runner";
import { parseStrict, type FlagProblem } from "../../cli/args";
import { EXIT, preflightExit, reportFailure, runAsProgram } from "../../cli/exit";
import { processIO, projectDir, userDir, type CliIO } from "../../cli/io";
import { oneOf, outputFormat, renderOptions, type OutputFormat } from "../../cli/output";

const HELP_HINT = "Run `npm run preflight -- --help` for usage.";

export const USAGE = `Lakehouse readiness preflight: should this cluster get the data platform, and if not, what blocks it?

Usage:
  npm run preflight -- [--stack NAME] [--kubeconfig FILE] [--context NAME] [--from FILE ...]
                       [--output table|json|markdown] [--phase foundation|compute|analytics]
  npm run preflight -- capture --out FILE [--stack NAME] [--kubeconfig FILE] [--context NAME]

Without --from it reads the live cluster (Kubernetes API and the Ceph S3 endpoint); with --from it
evaluates saved files instead (offline: checks that need a live endpoint report "skipped").

Options:
  --stack NAME         Read thresholds, names, declared triggers and attestations from Pulumi.NAME.yaml in
                       the project root. Default: the assessment's built-in defaults, nothing declared.
  --kubeconfig FILE    Kubeconfig for live mode. Default: $KUBECONFIG, ~/.kube/config, or in-cluster.
  --context NAME       Kube context for live mode. Default: the stack's kubernetes:context with --stack,
                       else the kubeconfig's current context.
  --from FILE          Offline mode: a file from \`kubectl get ... -o json\` (or YAML), a NodeMetricsList,
                       a capture file, or a folder of such files. Repeat for several.
  -o, --output FORMAT  table (default; colour only on a terminal without NO_COLOR), json (exactly one
                       object on stdout), or markdown (to paste into an issue or runbook).
  --phase PHASE        Focus on one phase's gate (foundation, compute or analytics): the exit code is 0
                       when that gate is open and 3 when it is closed.
  -h, --help           Show this help.

capture:
  --out FILE           Write the live cluster state (no S3 probe, no Secrets) to FILE, overwriting it.
                       Accepts --stack, --kubeconfig and --context as above.

Exit codes:
  0  ready: a trigger is met and no critical prerequisite fails (with --phase: that gate is open);
     capture: the file was written
  1  unexpected error (one line; LAKEHOUSE_DEBUG=1 adds the stack trace);
     capture: not a single kind could be read (nothing written)
  2  invalid input: unknown flag, invalid stack config, unreadable or malformed --from file, bad --out
  3  blocked: a critical prerequisite failed or could not be checked (with --phase: that gate is closed)
  4  not needed: no trigger condition is met

Environment:
  LAKEHOUSE_PROJECT_DIR   folder holding Pulumi.<stack>.yaml (default: the project root)
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3
                          S3 credentials and endpoint for the live S3 probe when the stack sets none
  NO_COLOR                no colour in the table
  LAKEHOUSE_DEBUG=1       print stack traces of unexpected errors

Examples:
  npm run preflight -- --from examples/anton/cluster.json --from examples/anton/metrics.json
  npm run preflight -- --stack anton
  npm run --silent preflight -- --stack anton --output json > report.json
  npm run -s preflight -- --stack anton --phase foundation --output markdown > readiness.md
  npm run preflight -- capture --out snapshot.json --context anton
  npm run preflight -- --stack anton --from snapshot.json

Offline files by hand (see docs/preflight-cli.md):
  kubectl get nodes,pods,pvc,storageclass,svc,deploy,statefulsets,crd,cephclusters,cephobjectstores,\\
    objectbucketclaims,helmreleases,kustomizations,gitrepositories,clustersecretstores -A -o json > cluster.json
  kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes > metrics.json
One List cannot say which kinds it was asked for, so a kind with no objects yet (no ObjectBucketClaims) reads
as "not collected". To record it, save one file per kind, named after it, and pass the folder:
  mkdir -p snapshot
  for k in nodes pods persistentvolumeclaims storageclasses services deployments statefulsets \\
      customresourcedefinitions cephclusters cephobjectstores objectbucketclaims helmreleases \\
      kustomizations gitrepositories clustersecretstores; do
    kubectl get "$k" -A -o json > "snapshot/$k.json" || rm -f "snapshot/$k.json"
  done
  kubectl get --raw /apis/metrics.k8s.io/v1beta1/nodes > snapshot/metrics.json
  npm run preflight -- --from snapshot
`;

interface Parsed {
  command: "assess" | "capture" | "help";
  stack?: string;
  kubeconfig?: string;
  context?: string;
  from: string[];
  output: OutputFormat;
  phase?: Phase;
  out?: string;
}

/** Every flag the CLI accepts (the usage text must mention each). */
export const CLI_OPTIONS = {
  stack: { type: "string" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  from: { type: "string", multiple: true },
  output: { type: "string", short: "o" },
  phase: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Turns node's parseArgs errors into one sentence with the fix. */
function flagError({ code, message: msg, subject }: FlagProblem): InputError {
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    return new InputError(`unknown option '${subject ?? msg}'. ${HELP_HINT}`);
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return new InputError(`${msg.replace(/\.$/, "")}. ${HELP_HINT}`);
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    return new InputError(
      `unexpected argument '${subject ?? msg}'; the only subcommand is 'capture'. ${HELP_HINT}`,
    );
  }
  return new InputError(`${msg} ${HELP_HINT}`);
}

/** Parses argv (without `node script`). Throws InputError for anything a user typed wrong. */
export function parseCli(argv: readonly string[]): Parsed {
  const parsed = parseStrict({ args: [...argv], options: CLI_OPTIONS, allowPositionals: true }, flagError);
  const v = parsed.values;
  if (v.help) return { command: "help", from: [], output: "table" };
  const [sub, ...extra] = parsed.positionals;
  if (sub !== undefined && sub !== "capture") {
    throw new InputError(`unknown command '${sub}'; the only subcommand is 'capture'. ${HELP_HINT}`);
  }
  if (extra.length > 0) throw new InputError(`unexpected argument '${extra[0]}'. ${HELP_HINT}`);
  const command = sub === "capture" ? "capture" : "assess";
  const from = v.from ?? [];
  if (command === "capture") {
    for (const flag of ["from", "output", "phase"] as const) {
      if (v[flag] !== undefined) throw new InputError(`capture does not take --${flag}. ${HELP_HINT}`);
    }
    if (!v.out) throw new InputError(`capture needs --out FILE (where to write the snapshot). ${HELP_HINT}`);
  } else {
    if (v.out !== undefined) {
      throw new InputError(
        `--out belongs to the capture command (\`npm run preflight -- capture --out FILE\`).`,
      );
    }
    if (from.length > 0 && (v.kubeconfig !== undefined || v.context !== undefined)) {
      throw new InputError(
        `--kubeconfig and --context select a live cluster; they cannot be combined with --from (offline files). Fix: drop one or the other.`,
      );
    }
  }
  for (const [flag, value] of Object.entries({
    stack: v.stack,
    kubeconfig: v.kubeconfig,
    context: v.context,
  })) {
    if (value === "") throw new InputError(`--${flag} needs a value. ${HELP_HINT}`);
  }
  return {
    command,
    stack: v.stack,
    kubeconfig: v.kubeconfig,
    context: v.context,
    from,
    output: outputFormat(v.output, HELP_HINT),
    phase: v.phase === undefined ? undefined : oneOf("--phase", v.phase, PHASES, HELP_HINT),
    out: v.out,
  };
}

/**
 * The stack config, plus the kube context the stack deploys to. The Pulumi program talks to the cluster named
 * by `kubernetes:context`; assessing the kubeconfig's current context instead could judge a different cluster
 * than the one `pulumi up` would change, so `--stack` implies that context unless `--context` says otherwise.
 */
async function loadConfig(args: Parsed, io: CliIO): Promise<LoadedConfig & { stackContext?: string }> {
  // Loaded here, past --help and the flag checks: the config schema (zod) is most of what is left of a start.
  const { defaultConfig, loadStackFile } = await import("../config/load");
  if (!args.stack) return defaultConfig();
  const loaded = loadStackFile(args.stack, projectDir(io.env));
  if (loaded.encryptedKeys.length > 0) {
    io.stderr.write(
      `preflight: note: ${loaded.encryptedKeys.join(", ")} in ${loaded.source} ${loaded.encryptedKeys.length === 1 ? "is a Pulumi secret" : "are Pulumi secrets"} this CLI cannot decrypt; using the environment or the configured credentials Secret instead.\n`,
    );
  }
  const ctx = loaded.stackConfig?.["kubernetes:context"];
  return { ...loaded, stackContext: typeof ctx === "string" && ctx !== "" ? ctx : undefined };
}

/** `--context`, else the stack's `kubernetes:context` (said on stderr so nobody is surprised). */
function liveContext(
  args: Parsed,
  loaded: { stackContext?: string; source: string },
  io: CliIO,
): string | undefined {
  if (args.context || !loaded.stackContext || args.from.length > 0) return args.context;
  io.stderr.write(
    `preflight: using context "${loaded.stackContext}" from ${loaded.source} (kubernetes:context); --context overrides it.\n`,
  );
  return loaded.stackContext;
}

/** The exit code of a report: the decision, or with `phase` that phase's gate (cli/exit.ts). */
export const exitCode = preflightExit;

async function assess(args: Parsed, io: CliIO): Promise<number> {
  const loaded = await loadConfig(args, io);
  const { config } = loaded;
  const base = userDir(io);
  const files = args.from.map((f) => path.resolve(base, f));
  let source: FactSource;
  if (files.length > 0) {
    source = { mode: "offline", files };
  } else {
    const context = liveContext(args, loaded, io);
    io.stderr.write(
      `preflight: reading the live cluster${context ? ` (context ${context})` : ""}; each request times out after ${config.probe.requestTimeoutMs} ms.\n`,
    );
    source = { mode: "live", kubeconfig: args.kubeconfig && path.resolve(base, args.kubeconfig), context };
  }
  // Loaded here, not at the top: the runner pulls in the Kubernetes and S3 clients, which `--help` and a
  // mistyped flag should not wait for.
  const { runPreflight } = await import("../runner");
  const report = await runPreflight({ config, stack: args.stack ?? null, source });
  const undecided = report.checks.filter(
    (c) => c.category === "trigger" && (c.met === null || c.met === undefined),
  );
  if (report.decision === "not-needed" && undecided.length > 0) {
    // "Not needed" rests on triggers that are all known to be unmet; say so when some could not be measured.
    io.stderr.write(
      `preflight: note: "not needed" is based on incomplete facts: ${undecided.map((c) => `${c.id} (${c.status})`).join(", ")} could not be determined. Fix the access or input those checks name, or declare the trigger in the stack config.\n`,
    );
  }
  io.stdout.write(
    renderReport(report, args.output, { ...renderOptions(io, args.output), phase: args.phase }),
  );
  return exitCode(report, args.phase);
}

async function capture(args: Parsed, io: CliIO): Promise<number> {
  // Loaded lazily: the capture module pulls in nothing the assessment needs.
  const { captureLive, captureSummary, checkCaptureTarget, writeCapture } = await import("../capture");
  const loaded = await loadConfig(args, io);
  const base = userDir(io);
  const out = path.resolve(base, args.out as string);
  checkCaptureTarget(out);
  const context = liveContext(args, loaded, io);
  io.stderr.write(`preflight: capturing the live cluster${context ? ` (context ${context})` : ""}...\n`);
  const doc = await captureLive(loaded.config, {
    kubeconfig: args.kubeconfig && path.resolve(base, args.kubeconfig),
    context,
  });
  const states = Object.values(doc.lakehouse.collections).map((c) => c.state);
  if (states.every((s) => s === "error")) {
    const first = Object.values(doc.lakehouse.collections)[0]?.message ?? "no detail";
    io.stderr.write(
      `preflight: could not read anything from the Kubernetes API (${first}); ${args.out} was not written. Fix: check --kubeconfig/--context and that the API server is reachable.\n`,
    );
    return EXIT.unexpected;
  }
  writeCapture(out, doc);
  io.stderr.write(`${captureSummary(doc, args.out as string)}\n`);
  return EXIT.ready;
}

/** Runs the CLI and resolves to the exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  try {
    const args = parseCli(argv);
    if (args.command === "help") {
      io.stdout.write(USAGE);
      return EXIT.ready;
    }
    return args.command === "capture" ? await capture(args, io) : await assess(args, io);
  } catch (e) {
    return reportFailure("preflight", e, io);
  }
}

if (require.main === module) {
  runAsProgram(() => run(process.argv.slice(2), processIO()), { closedPipeIsFine: true });
}
