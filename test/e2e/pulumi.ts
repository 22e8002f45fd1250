/**
 * The real Pulumi engine for the e2e tests: the Pulumi CLI v3.248 and the Kubernetes provider v4.25 built by
 * .ci/setup.d/50-pulumi.sh, driven through the Automation API with the project's own `main()` as an INLINE
 * program (the Node.js language host cannot be had here: see README "Real engine tests"). The policy pack runs
 * through the engine's analyzer fallback (`pulumi-analyzer-policy-nodejs`) and the dynamic resources
 * (Readiness, Verification) through `pulumi-resource-pulumi-nodejs`: the two 2-line shims 50-pulumi.sh installs
 * next to the CLI (the engine looks there first), which resolve @pulumi/pulumi from the folder the engine starts
 * them in (the pack's, the project's).
 *
 * Each stack gets its own temp dir: a local file backend (`PULUMI_BACKEND_URL=file://...`), its own
 * `PULUMI_HOME`, a passphrase secrets provider, and a project dir holding symlinks to the repo's Pulumi.yaml
 * (so every declared config default applies exactly as for a user), index.ts and node_modules, plus the stack file, written from
 * Pulumi.anton.yaml with the test's overrides (so the repo's own stack file is never touched).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  LocalWorkspace,
  PulumiCommand,
  type EngineEvent,
  type PulumiFn,
  type Stack,
} from "@pulumi/pulumi/automation";
import * as YAML from "yaml";
import { CACHE_BIN, CACHE_DIR } from "../../harness/kube-control-plane";

export const REPO = path.resolve(__dirname, "../..");
export const PULUMI_BINARIES = [
  "pulumi",
  "pulumi-resource-kubernetes",
  "pulumi-analyzer-policy-nodejs",
  "pulumi-resource-pulumi-nodejs",
];

/** Missing Pulumi binaries in the cache; empty when all are there. */
export function missingPulumi(): string[] {
  return PULUMI_BINARIES.filter((b) => {
    try {
      fs.accessSync(path.join(CACHE_BIN, b), fs.constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
}

export function pulumiHint(): string {
  const m = missingPulumi();
  return m.length === 0
    ? ""
    : `The Pulumi CLI / Kubernetes provider are not installed in ${CACHE_BIN}: run \`bash .ci/setup.d/50-pulumi.sh\` ` +
        `(builds them from Go modules, ~15 min cold) (missing: ${m.join(", ")}).`;
}

export interface E2eStack {
  stack: Stack;
  /** Temp dir: project/, state/, home/. */
  dir: string;
  /** The stack file the engine reads (project/Pulumi.<stack>.yaml). */
  stackFile: string;
  /** Rewrites the stack's config: Pulumi.anton.yaml's values with `overrides` on top (keys `ns:key`). */
  configure(overrides: Record<string, unknown>): void;
  /** Engine events of the last operation run through {@link E2eStack.events}. */
  events: EngineEvent[];
  /** Output of the last operation. */
  output: string[];
  /** Removes the temp dir. */
  cleanup(): void;
}

/** The config of Pulumi.anton.yaml (the stack the README's commands use). */
function antonConfig(): Record<string, unknown> {
  const doc = YAML.parse(fs.readFileSync(path.join(REPO, "Pulumi.anton.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  return doc.config;
}

/**
 * Creates a stack `stackName` on a fresh local backend. `program` is the project's own entry point.
 * `env` is added to the engine's environment (e.g. KUBECONFIG for the provider).
 */
export async function createStack(
  stackName: string,
  program: PulumiFn,
  env: Record<string, string>,
): Promise<E2eStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-e2e-pulumi-"));
  const project = path.join(dir, "project");
  for (const d of [project, path.join(dir, "state"), path.join(dir, "home")])
    fs.mkdirSync(d, { recursive: true });
  fs.symlinkSync(path.join(REPO, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
  // The engine checks that the project's `main` exists even for an inline program (which it never runs).
  fs.symlinkSync(path.join(REPO, "index.ts"), path.join(project, "index.ts"));
  // The engine starts pulumi-resource-pulumi-nodejs (dynamic providers) in the project dir; the shim resolves
  // @pulumi/pulumi from there.
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(project, "node_modules"));
  const pulumiCommand = await PulumiCommand.get({ root: CACHE_DIR, skipVersionCheck: true });
  const envVars: Record<string, string> = {
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_CONFIG_PASSPHRASE: "lakehouse-e2e",
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PATH: [CACHE_BIN, process.env.PATH ?? "/usr/bin:/bin"].join(":"),
    ...env,
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName, projectName: "lakehouse", program },
    { workDir: project, pulumiCommand, envVars },
  );
  const stackFile = path.join(project, `Pulumi.${stackName}.yaml`);
  const e: E2eStack = {
    stack,
    dir,
    stackFile,
    events: [],
    output: [],
    configure(overrides) {
      const existing = fs.existsSync(stackFile)
        ? ((YAML.parse(fs.readFileSync(stackFile, "utf8")) as Record<string, unknown>) ?? {})
        : {};
      const config = { ...antonConfig(), ...overrides };
      fs.writeFileSync(stackFile, YAML.stringify({ ...existing, config }));
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return e;
}

/** Options for an operation that records its engine events and output into `s`. */
export function recording(s: E2eStack): {
  onEvent: (e: EngineEvent) => void;
  onOutput: (o: string) => void;
  color: "never";
} {
  s.events = [];
  s.output = [];
  return { onEvent: (ev) => s.events.push(ev), onOutput: (o) => s.output.push(o), color: "never" };
}

/** The policy violations of the last operation: `[policyName, enforcementLevel, message]`. */
export function violations(s: E2eStack): { policy: string; level: string; message: string; urn: string }[] {
  return s.events
    .filter((e) => e.policyEvent)
    .map((e) => ({
      policy: e.policyEvent!.policyName,
      level: e.policyEvent!.enforcementLevel,
      message: e.policyEvent!.message,
      urn: e.policyEvent!.resourceUrn ?? "",
    }));
}

/** `op` and URN of every step the last operation planned or ran (resourcePre events). */
export function steps(s: E2eStack): { op: string; urn: string; type: string }[] {
  return s.events
    .filter((e) => e.resourcePreEvent)
    .map((e) => ({
      op: e.resourcePreEvent!.metadata.op,
      urn: e.resourcePreEvent!.metadata.urn,
      type: e.resourcePreEvent!.metadata.type,
    }));
}

/** Diagnostic messages (warnings, errors) of the last operation. */
export function diagnostics(s: E2eStack, severity?: string): string[] {
  return s.events
    .filter((e) => e.diagnosticEvent && (!severity || e.diagnosticEvent.severity === severity))
    .map((e) => e.diagnosticEvent!.message);
}
