/**
 * The `Readiness` dynamic resource: the readiness verdict recorded in the stack's state, so that
 * `pulumi preview` shows it and its diff shows what changed since the last `up`.
 *
 * The assessment runs in the program (it needs the config, the probes and the checks); the provider only stores
 * what it is given. It is deliberately thin: Pulumi serialises the provider's functions into the state and runs
 * them in a separate process, where a captured zod schema or client fails to serialise (pulumi/pulumi#5294) and
 * `require("./relative")` fails. So the provider methods use nothing but their arguments and the plain functions
 * in this file.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Phase } from "../preflight/model";
import type { ReadinessState } from "../preflight/readiness";

/** The Readiness resource's inputs: the report's readiness state plus what this run deploys. */
interface ReadinessInputs extends ReadinessState {
  /** Phases whose resources this run registers. */
  deployedPhases: Phase[];
  /** Phases the operator switched off in `lakehouse:phases` (removing them is intended, not drift). */
  disabledPhases: Phase[];
}

const IGNORED = ["__provider"];

/** Top-level input fields whose value differs between two states (order-sensitive JSON comparison). */
export function changedFields(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  const keys = Array.from(new Set([...Object.keys(olds ?? {}), ...Object.keys(news ?? {})])).sort();
  return keys.filter(
    (k) => IGNORED.indexOf(k) < 0 && JSON.stringify(olds?.[k]) !== JSON.stringify(news?.[k]),
  );
}

/**
 * The engine-side drift guard, run at `up` only (the provider's `update` never runs in preview): a phase that the
 * last `up` deployed and that this run would not register, although the operator did not switch it off, is about
 * to be deleted because its gate closed. Returns the error message, or undefined when nothing deployed is lost.
 */
export function lostPhasesError(
  olds: Partial<ReadinessInputs>,
  news: Partial<ReadinessInputs>,
): string | undefined {
  const before = olds.deployedPhases ?? [];
  const now = news.deployedPhases ?? [];
  const disabled = news.disabledPhases ?? [];
  const lost = before.filter((p) => now.indexOf(p) < 0 && disabled.indexOf(p) < 0);
  if (lost.length === 0) return undefined;
  const gates = (news.gates ?? {}) as Partial<ReadinessInputs["gates"]>;
  const checks = Array.from(new Set(lost.flatMap((p) => gates[p]?.blockedBy ?? [])));
  const fixes = (news.blocking ?? [])
    .filter((b) => checks.indexOf(b.id) >= 0 && b.remediation)
    .map((b) => `${b.id}: ${b.remediation.replace(/\.?$/, ".")}`);
  return (
    `Readiness drift: phase(s) ${lost.join(", ")} were deployed by the last update but their gate is now closed ` +
    `(${checks.length ? `blocked by ${checks.join(", ")}` : `decision "${news.decision}"`}). Refusing to continue, ` +
    `because this update would delete the deployed phase(s). ` +
    (fixes.length ? `Fix: ${fixes.join(" ")} ` : "") +
    `To remove a phase on purpose, set lakehouse:phases.<phase> to false or run \`pulumi destroy\`.`
  );
}

/** The provider: stores inputs as outputs; `diff` reports changed fields; `update` refuses to lose phases. */
export const readinessProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, unknown>) {
    return { id: "readiness", outs: inputs };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const changed = changedFields(olds, news);
    const stables = Object.keys(news ?? {}).filter((k) => changed.indexOf(k) < 0 && IGNORED.indexOf(k) < 0);
    return { changes: changed.length > 0, replaces: [], stables };
  },
  async update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const error = lostPhasesError(olds as Partial<ReadinessInputs>, news as Partial<ReadinessInputs>);
    if (error) throw new Error(error);
    return { outs: news };
  },
};

/** `pulumi-nodejs:dynamic/lakehouse:Readiness`: the verdict, gates and blocking checks in the stack's state. */
export class Readiness extends pulumi.dynamic.Resource {
  declare public readonly decision: pulumi.Output<string>;
  declare public readonly gates: pulumi.Output<ReadinessInputs["gates"]>;
  declare public readonly blocking: pulumi.Output<ReadinessInputs["blocking"]>;

  constructor(name: string, inputs: ReadinessInputs, opts?: pulumi.CustomResourceOptions) {
    super(readinessProvider, name, { ...inputs }, opts, "lakehouse", "Readiness");
  }
}
