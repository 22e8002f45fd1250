/**
 * Runs one scenario under Pulumi mocks in THIS process and prints what was registered as JSON on stdout. Tests
 * start it as a child process per case (Pulumi's runtime state is process-wide) with `runMocked()` below.
 *
 * argv[2]: JSON { scenario: absolute path of a module exporting `build(input)`, input, preview }
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { configSchema } from "../../preflight/config/schema";
import type { Report } from "../../preflight/model";
import type { PhaseContext } from "../../stacks/types";

export interface Recorded {
  type: string;
  name: string;
  parent?: string;
  urn: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- mock inputs are untyped JSON
  inputs: Record<string, any>;
  dependencies: string[];
  retainOnDelete: boolean;
  protect: boolean;
  /** The `ignoreChanges` option. */
  ignoreChanges: string[];
  /** The `import` option ("" when not set). */
  importId: string;
  /** Paths of the inputs Pulumi sends as secrets (its secret signature on the wire). */
  secretPaths: string[];
}

export interface MockedRun {
  resources: Recorded[];
  error?: string;
}

function secretPaths(v: unknown, at = ""): string[] {
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return [at];
    return Object.entries(o).flatMap(([k, x]) => secretPaths(x, at ? `${at}.${k}` : k));
  }
  return [];
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getIgnorechangesList(): string[];
  getImportid(): string;
  getObject(): { toJavaScript(): unknown } | undefined;
}
type Callback = (err: unknown, resp?: { getUrn(): string }) => void;

/**
 * For a phase scenario: the context the registry would hand the phase, for the `lakehouse:` values alone (parsed
 * by the one schema), a report, no base resources and nothing before it.
 */
export function phaseContext(rawConfig: unknown, report: Partial<Report> = {}): PhaseContext {
  const config = Object.freeze(configSchema.parse(rawConfig));
  return {
    config,
    report: report as Report,
    base: {
      namespace: config.platform.namespace,
      priorityClassCritical: config.platform.priorityClasses.critical,
      priorityClassBatch: config.platform.priorityClasses.batch,
      resources: [],
    },
    dependsOn: [],
  };
}

const ROOT = path.resolve(__dirname, "../..");

/** Starts this file on `scenario` in a child process and resolves to its record. */
export function runMocked(scenario: string, input: unknown, preview = true): Promise<MockedRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        __filename,
        JSON.stringify({ scenario: path.resolve(scenario), input, preview }),
      ],
      {
        cwd: ROOT,
        timeout: 180_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
      },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`run-mocked failed: ${err.message}\n${stderr}`));
        // The last line is the record (pulumi.log lines may come before it: under mocks they go to stdout).
        resolve(JSON.parse(stdout.trim().split("\n").pop() ?? "") as MockedRun);
      },
    );
  });
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as { scenario: string; input: unknown; preview: boolean };
  const inputs = new Map<string, Record<string, unknown>>();
  const recorded: Recorded[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(a) {
        inputs.set(`${a.type}::${a.name}`, a.inputs);
        return { id: `${a.name}-id`, state: a.inputs };
      },
      call(a) {
        return a.inputs;
      },
    },
    "lakehouse",
    "test",
    args.preview,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: Callback): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: Callback) =>
    register(req, (err, resp) => {
      if (!err && resp) {
        recorded.push({
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent() || undefined,
          urn: resp.getUrn(),
          inputs: inputs.get(`${req.getType()}::${req.getName()}`) ?? {},
          dependencies: req.getDependenciesList(),
          retainOnDelete: req.getRetainondelete(),
          protect: req.getProtect(),
          ignoreChanges: req.getIgnorechangesList(),
          importId: req.getImportid(),
          // The wire form still carries Pulumi's secret signature (the mock's `inputs` are unwrapped).
          secretPaths: secretPaths(req.getObject()?.toJavaScript()),
        });
      }
      cb(err, resp);
    });
  // Loaded after setMocks so the providers bind to the mock runtime.
  const mod = (await import(args.scenario)) as { build(input: unknown): void | Promise<void> };
  let error: string | undefined;
  try {
    await mod.build(args.input);
  } catch (e) {
    error = (e as Error).message;
  }
  await pulumi.runtime.disconnect();
  // On a line of its own: pulumi.log under mocks prints to stdout too.
  process.stdout.write(`\n${JSON.stringify({ resources: recorded, error })}\n`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(String(e?.stack ?? e));
    process.exitCode = 1;
  });
}
