/**
 * Runs the real program (index.ts) under Pulumi's mock runtime and records what it registers: the engine of
 * `npm run plan` and of the program tests. Pulumi's own mocks are the stand-in for the engine here; the program,
 * the preflight, the components and (in `plan`) the policies are the real ones.
 *
 * Pitfalls this handles (see facts.md): mocks are set BEFORE the program module is loaded; the program is a
 * function (importing it registers nothing); the mock returns inputs as state so outputs are known in preview;
 * `disconnect()` is awaited before reading the record, or part of it would be missing.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Report } from "../preflight/model";
import type { RunOptions } from "../preflight/runner";
import type { PhaseDefinition } from "../stacks/types";

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** Inputs as the engine would receive them (Outputs resolved). */
  inputs: Record<string, unknown>;
  /**
   * The same inputs in wire form, before the runtime pushes secretness up to the top-level property: a Pulumi
   * secret is a `{ [specialSigKey]: specialSecretSig, value }` object exactly where the program marked it, an
   * unknown is `unknownValue`. What `plan` masks and prints.
   */
  wireInputs?: Record<string, unknown>;
  parent?: string;
  /** URNs of `dependsOn` and of the resources whose outputs the inputs use. */
  dependencies: string[];
  custom: boolean;
  protect: boolean;
  retainOnDelete: boolean;
}

interface LogLine {
  severity: "info" | "warning" | "error";
  message: string;
}

interface MockRunOptions {
  /** @default "lakehouse" */
  project?: string;
  stack: string;
  /** true = `pulumi preview` (isDryRun), false = `pulumi up`. */
  preview: boolean;
  /** Full config map as Pulumi hands it to the program: `"lakehouse:thresholds": "<json>"`, ... */
  config: Record<string, string>;
  /** Seams passed to the program's main(). */
  assess?: (opts: RunOptions) => Promise<Report>;
  definitions?: readonly PhaseDefinition[];
}

export interface MockRunResult {
  resources: RecordedResource[];
  /** The program's stack outputs (absent when it failed). */
  outputs?: Record<string, unknown>;
  /** The program's error, when it failed (`name` is "InputError" for bad input). */
  error?: { name: string; message: string };
  logs: LogLine[];
}

type Main = (options?: {
  assess?: MockRunOptions["assess"];
  definitions?: MockRunOptions["definitions"];
}) => Promise<Record<string, unknown>>;

/** Resolves an Output (or plain value, deeply) to a plain value; unknowns become undefined. */
async function resolve(v: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(v)) {
    return new Promise((ok) => {
      let done = false;
      (v as pulumi.Output<unknown>).apply((x) => {
        done = true;
        ok(resolve(x));
        return x;
      });
      // In preview an unknown output never fires its apply.
      setTimeout(() => !done && ok(undefined), 2000).unref();
    });
  }
  if (Array.isArray(v)) return Promise.all(v.map(resolve));
  if (v && typeof v === "object" && !(v instanceof pulumi.Resource)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await resolve(x);
    return out;
  }
  return v;
}

/** Captures the runtime's console logging (what pulumi.log writes when there is no engine). */
function captureLogs(logs: LogLine[]): () => void {
  const orig = { log: console.log, warn: console.warn, error: console.error };
  const grab =
    (fallback: LogLine["severity"]) =>
    (...args: unknown[]) => {
      const text = args.map(String).join(" ");
      const m = /^(info|warning|error): \[runtime\] ([\s\S]*)$/.exec(text);
      logs.push(
        m ? { severity: m[1] as LogLine["severity"], message: m[2] } : { severity: fallback, message: text },
      );
    };
  console.log = grab("info");
  console.warn = grab("warning");
  console.error = grab("error");
  return () => Object.assign(console, orig);
}

/** The parts of a RegisterResourceRequest we read (google-protobuf getters). */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(fn: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback = (err: unknown, resp?: { getUrn(): string }) => void;
interface Monitor {
  registerResource(req: RegisterRequest, cb: Callback): unknown;
}

/** Runs the program once. Call it once per process: Pulumi's runtime state is process-wide. */
export async function runUnderMocks(opts: MockRunOptions): Promise<MockRunResult> {
  const inputs = new Map<string, Record<string, unknown>>();
  const resources: RecordedResource[] = [];
  const logs: LogLine[] = [];
  const key = (type: string, name: string) => `${type}::${name}`;
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        inputs.set(key(args.type, args.name), args.inputs);
        return { id: args.custom === false ? undefined : `${args.name}-id`, state: args.inputs };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    opts.project ?? "lakehouse",
    opts.stack,
    opts.preview,
  );
  pulumi.runtime.setAllConfig(opts.config);

  // The mock monitor hands newResource neither the parent nor the dependencies; the request has both, and the
  // response has the URN. Wrapping the monitor records them exactly.
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: RegisterRequest, cb: Callback) =>
    register(req, (err, resp) => {
      if (!err && resp) {
        const deps = new Set(req.getDependenciesList());
        req.getPropertydependenciesMap().forEach((v) => v.getUrnsList().forEach((u) => deps.add(u)));
        resources.push({
          type: req.getType(),
          name: req.getName(),
          urn: resp.getUrn(),
          inputs: inputs.get(key(req.getType(), req.getName())) ?? {},
          wireInputs: req.getObject()?.toJavaScript(),
          parent: req.getParent() || undefined,
          dependencies: [...deps].filter((u) => u !== req.getParent()),
          custom: req.getCustom(),
          protect: req.getProtect(),
          retainOnDelete: req.getRetainondelete(),
        });
      }
      cb(err, resp);
    });

  const restore = captureLogs(logs);
  let outputs: Record<string, unknown> | undefined;
  let error: MockRunResult["error"];
  try {
    // Loaded only now, after setMocks: the program and the providers bind to the mock runtime.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require("../index") as Main;
    const out = await main({ assess: opts.assess, definitions: opts.definitions });
    outputs = (await resolve(out)) as Record<string, unknown>;
  } catch (e) {
    error = e instanceof Error ? { name: e.name, message: e.message } : { name: "Error", message: String(e) };
  } finally {
    await pulumi.runtime.disconnect();
    restore();
  }
  return { resources, outputs, error, logs };
}

/** Pulumi's runtime form of a stack file's values: structured values as JSON text, scalars as strings. */
export function toRuntimeConfig(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}
