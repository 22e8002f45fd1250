/**
 * Runs the pack's policies on a list of planned resources without the Pulumi CLI: what `npm run plan` and the
 * tests use. It mirrors what CrossGuard does with the same policies and the same `--policy-pack-config` file:
 *
 * - enforcement: a policy's own entry in the pack config, else `all`, else the policy's default;
 *   `remediate` is reported as `mandatory` (no policy here remediates), `disabled` skips the policy;
 * - config: the policy's entry (minus `enforcementLevel`) over its `configSchema` defaults, validated against
 *   the schema by Ajv (every JSON Schema keyword) and, stricter than the CLI, rejecting unknown keys so typos surface;
 * - `validateResource` for each resource, `validateStack` once with every resource (parents and dependencies
 *   resolved by URN);
 * - waiver problems (expired or invalid waivers) are reported as advisory, and so is a policy that cannot run
 *   because a value is unknown during preview (CrossGuard's UnknownValueError);
 * - a PlannedResource without `dependencies` has unknown dependencies (Pulumi's mocks do not report them):
 *   `phase-order` then judges only which phases are present, not the dependsOn edges of that resource.
 *
 * Policies must be synchronous (every policy of this pack is); a policy returning a promise is a bug.
 */
import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { InputError } from "../preflight/model";
import type { PackPolicy } from "./lib/policy";
import { DEPENDENCIES_UNKNOWN, isObj } from "./lib/resources";
import { CLOCK, WAIVER_NOTICE } from "./lib/waivers";
import { POLICIES } from "./policies";
import type { Enforcement, PlannedResource, PolicyViolation } from "./types";

const LEVELS: readonly Enforcement[] = ["advisory", "mandatory", "remediate", "disabled"];

interface EvaluateOptions {
  /** "Today" for waiver expiry. @default new Date() */
  now?: Date;
  /** The policies to run. @default POLICIES */
  policies?: readonly PackPolicy[];
}

interface ResolvedPolicyConfig {
  enforcement: Enforcement;
  config: Record<string, unknown>;
}

/**
 * Evaluates every policy on the planned resources and returns the violations, mandatory ones first (then in
 * policy order). Throws {@link InputError} when the pack config is invalid (unknown policy, bad level, a value
 * of the wrong type), naming the key, what was seen and what was expected.
 */
export function evaluatePolicies(
  resources: PlannedResource[],
  packConfig?: unknown,
  options: EvaluateOptions = {},
): PolicyViolation[] {
  const policies = options.policies ?? POLICIES;
  const resolved = resolvePackConfig(packConfig, policies);
  const now = options.now ?? new Date();
  const stackResources = toPolicyResources(resources);
  const out: PolicyViolation[] = [];

  for (const p of policies) {
    const { enforcement: level, config } = resolved.get(p.name) as ResolvedPolicyConfig;
    if (level === "disabled") continue;
    const enforcement: Enforcement = level === "remediate" ? "mandatory" : level;
    const hooks = {
      [CLOCK]: () => now,
      [WAIVER_NOTICE]: (message: string) => out.push({ policy: p.name, enforcement: "advisory", message }),
    };
    const getConfig = <T extends object>() => structuredClone(config) as T;

    if (p.validateResource) {
      const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
      for (const r of stackResources) {
        const args: ResourceValidationArgs = Object.assign(
          {
            type: r.type,
            props: r.props,
            urn: r.urn,
            name: r.name,
            opts: r.opts,
            stackTags: new Map<string, string>(),
            isType: r.isType,
            asType: ((cls: unknown) => (r.isType(cls as never) ? r.props : undefined)) as never,
            getConfig,
            notApplicable,
          },
          hooks,
        );
        const report: ReportViolation = (message) =>
          out.push({ policy: p.name, enforcement, message, urn: r.urn });
        const unknown = (message: string) =>
          out.push({ policy: p.name, enforcement: "advisory", message, urn: r.urn });
        for (const v of validations) run(p.name, () => v(args, report), unknown);
      }
    }

    const stackArgs: StackValidationArgs = Object.assign(
      { resources: stackResources, stackTags: new Map<string, string>(), getConfig, notApplicable },
      hooks,
    );
    const report: ReportViolation = (message, urn) =>
      out.push(
        urn ? { policy: p.name, enforcement, message, urn } : { policy: p.name, enforcement, message },
      );
    run(
      p.name,
      () => p.validateStack(stackArgs, report),
      (message) => out.push({ policy: p.name, enforcement: "advisory", message }),
    );
  }
  const rank = (e: Enforcement) => (e === "mandatory" ? 0 : 1);
  return out
    .map((v, i) => ({ v, i }))
    .sort((a, b) => rank(a.v.enforcement) - rank(b.v.enforcement) || a.i - b.i)
    .map(({ v }) => v);
}

class NotApplicable extends Error {}

function notApplicable(reason?: string): never {
  throw new NotApplicable(reason ?? "not applicable");
}

/**
 * Runs one validation. Like CrossGuard, a value unknown during preview (the policy's proxy throws
 * UnknownValueError) becomes an advisory "can't run" note instead of a failure.
 */
function run(policy: string, fn: () => unknown, unknown: (message: string) => void): void {
  try {
    const out = fn();
    if (out && typeof (out as Promise<unknown>).then === "function") {
      throw new Error(
        `Policy '${policy}' returned a promise; evaluatePolicies runs synchronous policies only.`,
      );
    }
  } catch (e) {
    if (e instanceof NotApplicable) return;
    if (e instanceof Error && e.constructor.name === "UnknownValueError") {
      unknown(`can't run policy '${policy}' during preview: ${e.message}`);
      return;
    }
    throw e;
  }
}

/** PlannedResources as CrossGuard's PolicyResources: parents and dependencies resolved by URN. */
function toPolicyResources(resources: PlannedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const list = resources.map((r) => {
    const opts: PolicyResourceOptions & { retainOnDelete?: boolean } = {
      protect: r.opts?.protect ?? false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
      ...(r.parent ? { parent: r.parent } : {}),
      ...(r.opts?.retainOnDelete !== undefined ? { retainOnDelete: r.opts.retainOnDelete } : {}),
    };
    const pr: PolicyResource = {
      type: r.type,
      props: r.props ?? {},
      urn: r.urn,
      name: r.name,
      opts,
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => (cls as unknown as { __pulumiType?: string }).__pulumiType === r.type,
      asType: () => undefined,
    };
    pr.asType = ((cls: never) => (pr.isType(cls) ? pr.props : undefined)) as never;
    byUrn.set(r.urn, pr);
    return pr;
  });
  resources.forEach((r, i) => {
    const pr = list[i];
    if (r.parent && byUrn.has(r.parent)) pr.parent = byUrn.get(r.parent);
    pr.dependencies = (r.dependencies ?? []).map((u) => byUrn.get(u)).filter((d): d is PolicyResource => !!d);
    if (r.dependencies === undefined) Object.assign(pr, { [DEPENDENCIES_UNKNOWN]: true });
  });
  return list;
}

/** Validates the pack config and resolves each policy's enforcement and config (with schema defaults). */
export function resolvePackConfig(
  packConfig: unknown,
  policies: readonly PackPolicy[] = POLICIES,
): Map<string, ResolvedPolicyConfig> {
  if (packConfig === undefined || packConfig === null) packConfig = {};
  if (!isObj(packConfig)) {
    throw new InputError(
      `The policy pack config must be a JSON object keyed by policy name (or "all"), but it is ${describe(packConfig)}. ` +
        `See policy-pack/config.example.json.`,
    );
  }
  const names = new Set(policies.map((p) => p.name as string));
  for (const key of Object.keys(packConfig)) {
    if (key !== "all" && !names.has(key)) {
      throw new InputError(
        `The policy pack config names an unknown policy '${key}'; expected one of: all, ${[...names].join(", ")}.`,
      );
    }
  }
  let all: Enforcement | undefined;
  if (packConfig.all !== undefined) {
    const a = packConfig.all;
    const level = isObj(a) ? a.enforcementLevel : a;
    all = checkLevel(level, "all");
  }
  const out = new Map<string, ResolvedPolicyConfig>();
  for (const p of policies) {
    const entry = packConfig[p.name];
    let enforcement: Enforcement = all ?? p.enforcementLevel;
    const config: Record<string, unknown> = {};
    const props = p.configSchema.properties;
    for (const [k, s] of Object.entries(props)) {
      if (s.default !== undefined) config[k] = structuredClone(s.default);
    }
    if (typeof entry === "string") {
      enforcement = checkLevel(entry, p.name);
    } else if (isObj(entry)) {
      for (const [k, v] of Object.entries(entry)) {
        if (k === "enforcementLevel") {
          enforcement = checkLevel(v, `${p.name}.enforcementLevel`);
          continue;
        }
        const s = props[k];
        if (!s) {
          throw new InputError(
            `The policy pack config key '${p.name}.${k}' is not an option of policy '${p.name}'; expected one of: ` +
              `enforcementLevel, ${Object.keys(props).join(", ")}.`,
          );
        }
        checkValue(v, s, `${p.name}.${k}`);
        config[k] = v;
      }
      for (const req of p.configSchema.required ?? []) {
        if (config[req] === undefined) {
          throw new InputError(
            `The policy pack config must set '${p.name}.${req}' (policy '${p.name}' requires it).`,
          );
        }
      }
    } else if (entry !== undefined) {
      throw new InputError(
        `The policy pack config entry '${p.name}' is ${describe(entry)}; expected an enforcement level ` +
          `(${LEVELS.join(", ")}) or an object of options.`,
      );
    }
    out.set(p.name, { enforcement, config });
  }
  return out;
}

function checkLevel(v: unknown, key: string): Enforcement {
  if (typeof v === "string" && (LEVELS as readonly string[]).includes(v)) return v as Enforcement;
  throw new InputError(
    `The policy pack config key '${key}' is ${describe(v)}; expected an enforcement level: ${LEVELS.join(", ")}.`,
  );
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `"${v}"`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

/**
 * JSON Schema validation of one config value by Ajv (draft-07, the dialect of Pulumi's policy config schemas), so
 * every keyword a policy's schema uses is honoured. Strict: a keyword Ajv does not know fails at compile time
 * instead of being ignored. Messages keep the pack's shape: key, what was seen, what was expected.
 */
const ajv = new Ajv({ strict: true, strictTypes: true, strictTuples: true, verbose: true, allErrors: false });
const validators = new WeakMap<object, ValidateFunction>();

function checkValue(v: unknown, s: PolicyConfigJSONSchema | boolean, key: string): void {
  if (typeof s === "boolean") return;
  let validate = validators.get(s);
  if (!validate) {
    validate = ajv.compile(s);
    validators.set(s, validate);
  }
  if (validate(v)) return;
  const e = validate.errors![0];
  throw new InputError(schemaMessage(e, `${key}${jsonPointerKey(e.instancePath)}`));
}

/** `/waivers/0/resource` -> `.waivers[0].resource`. */
function jsonPointerKey(pointer: string): string {
  return pointer
    .split("/")
    .slice(1)
    .map((seg) => seg.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join("");
}

function schemaMessage(e: ErrorObject, key: string): string {
  const seen = e.data;
  const schema = (e.parentSchema ?? {}) as PolicyConfigJSONSchema;
  const head = `The policy pack config key '${key}' is`;
  switch (e.keyword) {
    case "type": {
      const types = Array.isArray(schema.type) ? schema.type : [schema.type];
      return `${head} ${describe(seen)}; expected ${types.join(" or ")}${schema.description ? ` (${schema.description})` : ""}.`;
    }
    case "enum":
      return `${head} ${describe(seen)}; expected one of: ${(schema.enum ?? []).map((x) => JSON.stringify(x)).join(", ")}.`;
    case "minimum":
      return `${head} ${String(seen)}; expected at least ${String(e.schema)}.`;
    case "maximum":
      return `${head} ${String(seen)}; expected at most ${String(e.schema)}.`;
    default:
      // Ajv's own wording ("must match pattern ...", "must be multiple of 5", "must NOT have more than 3 items").
      return `${head} ${describe(seen)}; expected it to ${(e.message ?? "match its schema").replace(/^must NOT /, "NOT ").replace(/^must /, "")}.`;
  }
}
