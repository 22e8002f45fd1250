/**
 * Dated waivers, implemented once as a wrapper around every policy.
 *
 * CrossGuard passes each policy only its own config (`args.getConfig()` returns the policy's entry of the pack
 * config, minus `enforcementLevel`), so a waiver lives in the config of the policy it waives:
 *
 * ```json
 * { "pinned-images": { "waivers": [
 *     { "resource": "trino", "reason": "upstream image has no tag yet (issue 42)", "expires": "2026-12-31" } ] } }
 * ```
 *
 * - `resource` is the resource's URN or its Pulumi logical name.
 * - A waiver applies through the end of its `expires` day (UTC). An expired waiver no longer applies: the
 *   violation comes back (its message says the waiver expired) and the waiver itself is reported.
 * - A waiver without `resource`, `reason` or a valid `expires` date is invalid: it never applies and is reported.
 *
 * Waiver problems are reported once per run from the wrapper's `validateStack`. Under `pulumi preview` they carry
 * the policy's own enforcement level (CrossGuard has one level per policy); `evaluatePolicies` (and so
 * `npm run plan`) reports them as advisory through the {@link WAIVER_NOTICE} hook.
 */
import type { ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { LakehousePolicy, PackPolicy } from "./policy";
import { isObj } from "./resources";

interface Waiver {
  /** URN or logical name of the waived resource. */
  resource: string;
  /** Why the violation is accepted (shown in reports). */
  reason: string;
  /** Last day the waiver applies, `YYYY-MM-DD` (UTC). */
  expires: string;
}

type WaiverStatus = "active" | "expired" | "invalid";

interface WaiverState {
  index: number;
  status: WaiverStatus;
  /** As given (fields may be missing when invalid). */
  waiver: Partial<Waiver>;
  /** Why it is invalid or expired, in one sentence. */
  problem?: string;
}

/** Optional hook `evaluatePolicies` puts on the args: receives waiver problems (reported as advisory). */
export const WAIVER_NOTICE = Symbol.for("lakehouse.policy.waiverNotice");
/** Optional hook on the args: the clock, so tests and `plan` can pin "today". */
export const CLOCK = Symbol.for("lakehouse.policy.clock");

interface Hooks {
  [WAIVER_NOTICE]?: (message: string) => void;
  [CLOCK]?: () => Date;
}

/** The `waivers` property every policy's configSchema gets. Loose on purpose: the policy reports bad entries. */
const WAIVERS_SCHEMA: PolicyConfigJSONSchema = {
  type: "array",
  description:
    "Dated waivers for this policy: [{ resource: URN or logical name, reason: why, expires: YYYY-MM-DD }].",
  items: {
    type: "object",
    properties: {
      resource: { type: "string" },
      reason: { type: "string" },
      expires: { type: "string" },
    },
  },
  default: [],
};

/** `YYYY-MM-DD` of a date, in UTC. */
function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function validDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && isoDay(d) === s;
}

/** Classifies the waivers of one policy's config for the given day (`YYYY-MM-DD`). Pure. */
export function parseWaivers(raw: unknown, today: string): WaiverState[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((entry, index): WaiverState => {
    if (!isObj(entry)) {
      return { index, status: "invalid", waiver: {}, problem: "it is not an object" };
    }
    const w: Partial<Waiver> = {
      resource: typeof entry.resource === "string" ? entry.resource : undefined,
      reason: typeof entry.reason === "string" ? entry.reason : undefined,
      expires: typeof entry.expires === "string" ? entry.expires : undefined,
    };
    const missing: string[] = [];
    if (!w.resource?.trim()) missing.push("resource");
    if (!w.reason?.trim()) missing.push("reason");
    if (!w.expires?.trim()) missing.push("expires");
    if (missing.length)
      return { index, status: "invalid", waiver: w, problem: `it has no ${missing.join(", ")}` };
    if (!validDay(w.expires as string)) {
      return {
        index,
        status: "invalid",
        waiver: w,
        problem: `its expires '${w.expires}' is not a date in the form YYYY-MM-DD`,
      };
    }
    if ((w.expires as string) < today) {
      return { index, status: "expired", waiver: w, problem: `it expired on ${w.expires}` };
    }
    return { index, status: "active", waiver: w };
  });
}

/** The first valid (active or expired) waiver for a resource, by URN or logical name. */
function findWaiver(states: WaiverState[], urn: string | undefined, name: string | undefined) {
  return states.find(
    (s) => s.status !== "invalid" && (s.waiver.resource === urn || (name && s.waiver.resource === name)),
  );
}

/** One sentence per expired or invalid waiver. */
function waiverProblem(policy: string, s: WaiverState): string {
  const what = `Waiver #${s.index + 1} of policy '${policy}'${s.waiver.resource ? ` for '${s.waiver.resource}'` : ""}`;
  if (s.status === "expired") {
    return (
      `${what} (reason: ${s.waiver.reason}) expired on ${s.waiver.expires} and no longer applies: fix the ` +
      `resource, or renew the waiver with a new expires date and reason.`
    );
  }
  return (
    `${what} is invalid and does not apply: ${s.problem}; a waiver needs resource (URN or name), ` +
    `reason and expires (YYYY-MM-DD).`
  );
}

function today(args: object): string {
  const clock = (args as Hooks)[CLOCK];
  return isoDay(clock ? clock() : new Date());
}

function waiversOf(args: ResourceValidationArgs | StackValidationArgs): WaiverState[] {
  const cfg = args.getConfig<{ waivers?: unknown }>() ?? {};
  return parseWaivers(cfg.waivers, today(args));
}

/** A reportViolation that drops waived violations and notes expired waivers on the ones that come back. */
function filtering(
  report: ReportViolation,
  states: WaiverState[],
  nameOf: (urn: string | undefined) => string | undefined,
  fixedUrn?: string,
): ReportViolation {
  return (message: string, urn?: string) => {
    const target = fixedUrn ?? urn;
    const w = target ? findWaiver(states, target, nameOf(target)) : undefined;
    if (w?.status === "active") return;
    const note = w?.status === "expired" ? ` (its waiver expired on ${w.waiver.expires})` : "";
    if (urn === undefined) report(message + note);
    else report(message + note, urn);
  };
}

/** Wraps a policy with the waiver logic and adds `waivers` to its configSchema. */
export function withWaivers(p: LakehousePolicy): PackPolicy {
  const { validateResource, validateStack, configSchema, ...rest } = p;
  const schema = {
    ...(configSchema ?? {}),
    properties: { ...(configSchema?.properties ?? {}), waivers: WAIVERS_SCHEMA },
  };
  const wrapped: PackPolicy = {
    ...rest,
    configSchema: schema,
    validateStack: (args, report) => {
      const states = waiversOf(args);
      const notice = (args as Hooks)[WAIVER_NOTICE];
      for (const s of states) {
        if (s.status !== "active") (notice ?? report)(waiverProblem(p.name, s));
      }
      if (!validateStack) return undefined;
      const byUrn = new Map(args.resources.map((r) => [r.urn, r.name]));
      return validateStack(
        args,
        filtering(report, states, (urn) => (urn ? byUrn.get(urn) : undefined)),
      );
    },
  };
  if (validateResource) {
    wrapped.validateResource = (args, report) =>
      validateResource(
        args,
        filtering(report, waiversOf(args), () => args.name, args.urn),
      );
  }
  return wrapped;
}
