/**
 * Runs the foundation phase's components (deployFoundation) once under Pulumi mocks in THIS process and prints
 * what was registered as JSON on stdout. The tests start it as a child process per case: Pulumi's runtime
 * state is process-wide.
 *
 * argv[2]: JSON { config: <the lakehouse: values, without the prefix>, preview: boolean, report?: <Report fields> }
 */
import * as pulumi from "@pulumi/pulumi";
import { configSchema } from "../../../preflight/config/schema";
import type { Report } from "../../../preflight/model";

export interface Recorded {
  type: string;
  name: string;
  parent?: string;
  urn: string;
  inputs: Record<string, unknown>;
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

/** Paths of values the mock sees as secrets. */
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

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as { config: unknown; preview: boolean; report?: Partial<Report> };
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
        const key = `${req.getType()}::${req.getName()}`;
        const inp = inputs.get(key) ?? {};
        recorded.push({
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent() || undefined,
          urn: resp.getUrn(),
          inputs: inp,
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
  const config = Object.freeze(configSchema.parse(args.config));
  // Loaded after setMocks so the providers bind to the mock runtime.
  const { deployFoundation } = await import("../../../stacks/foundation");
  let error: string | undefined;
  try {
    deployFoundation({
      config,
      report: (args.report ?? {}) as Report,
      base: {
        namespace: config.platform.namespace,
        priorityClassCritical: config.platform.priorityClasses.critical,
        priorityClassBatch: config.platform.priorityClasses.batch,
        resources: [],
      },
      dependsOn: [],
    });
  } catch (e) {
    error = (e as Error).message;
  }
  await pulumi.runtime.disconnect();
  // On a line of its own: pulumi.log under mocks prints to stdout too.
  process.stdout.write(`\n${JSON.stringify({ resources: recorded, error })}\n`);
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e));
  process.exitCode = 1;
});
