/**
 * no-plaintext-secrets (mandatory): no keys, passwords or tokens as literal values in container env, ConfigMap
 * data, Helm values or SparkApplication configuration. Env from `valueFrom.secretKeyRef`, run-time placeholders
 * (`${ENV:X}`) and Secret resources are fine. Messages name where the secret is, never its value.
 */
import { configOf, type LakehousePolicy } from "../lib/policy";
import { asArray, asObj, displayName, isKube, isObj, kindOf, str, type Obj } from "../lib/resources";
import { secretInKeyValue, secretInText } from "../lib/secrets";
import {
  containersOf,
  helmValues,
  podTemplates,
  sparkApps,
  sparkRoles,
  sparkSpec,
  SPARK_MANIFEST_SUFFIX,
  walk,
} from "../lib/workloads";

const noPlaintextSecretsDefaults = {
  /** Keys (exact names, e.g. an env var or a values path) that look secret but are not. */
  allowKeys: [] as string[],
};

const SECRET_KINDS = ["Secret", "SealedSecret", "ExternalSecret"];

export const noPlaintextSecrets: LakehousePolicy = {
  name: "no-plaintext-secrets",
  description:
    "No keys, passwords or tokens as literal values in env, ConfigMaps, Helm values or SparkApplications.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Put the value in a Secret (or External Secrets) and reference it with valueFrom.secretKeyRef / envFrom.",
  configSchema: {
    properties: {
      allowKeys: { type: "array", items: { type: "string" }, default: noPlaintextSecretsDefaults.allowKeys },
    },
  },
  validateResource: (args, report) => {
    if (SECRET_KINDS.includes(kindOf(args.type)) || args.type.startsWith("pulumi:")) return;
    const cfg = configOf(args, noPlaintextSecretsDefaults);
    const kind = kindOf(args.type);
    const name = displayName(args);
    const props = args.props as Obj;
    const found = (where: string, why: string) =>
      report(`${kind} '${name}' must not hold a plaintext secret in ${where}: ${why}; move it to a Secret.`);

    const checkEnv = (env: unknown, where: string) => {
      for (const e of asArray(env)) {
        if (!isObj(e) || e.valueFrom !== undefined) continue;
        const key = str(e.name);
        if (!key || cfg.allowKeys.includes(key)) continue;
        const why = secretInKeyValue(key, e.value);
        if (why) found(`${where} env '${key}'`, why);
      }
    };

    for (const t of podTemplates(args.type, props)) {
      for (const { name: cname, c } of containersOf(t.spec)) {
        checkEnv(c.env, `container '${cname}'`);
        // `--password=...` on a command line ends up in `ps` output and the pod spec alike.
        for (const field of ["command", "args"]) {
          asArray(c[field]).forEach((a, i) => {
            const why = typeof a === "string" ? secretInText(a) : undefined;
            if (why) found(`container '${cname}' ${field}[${i}]`, why);
          });
        }
      }
    }

    if (isKube(args.type, "ConfigMap")) {
      for (const [k, v] of Object.entries(asObj(props.data))) {
        if (cfg.allowKeys.includes(k)) continue;
        // A SparkApplication manifest is judged field by field below, like a SparkApplication resource.
        if (k.endsWith(SPARK_MANIFEST_SUFFIX)) continue;
        const why = secretInKeyValue(k, v);
        if (why) found(`data '${k}'`, why);
      }
    }

    const values = helmValues(args.type, props);
    if (values) {
      walk(values, (path, key, v) => {
        if (cfg.allowKeys.includes(path) || cfg.allowKeys.includes(key)) return;
        // Env-var shaped entries ({ name, value }) are judged by their name.
        if (isObj(v) && typeof v.name === "string" && "value" in v && v.valueFrom === undefined) {
          const why = secretInKeyValue(v.name, v.value);
          if (why && !cfg.allowKeys.includes(v.name)) found(`values '${path}' (env '${v.name}')`, why);
          return;
        }
        if (key === "value" || key === "name") return;
        const why = typeof v === "string" || typeof v === "number" ? secretInKeyValue(key, v) : undefined;
        if (why) found(`values '${path}'`, why);
      });
    }

    for (const app of sparkApps(args.type, props)) {
      const roles = sparkRoles(app.type, app.props);
      const spec = sparkSpec(app.type, app.props);
      const at = app.key ? `manifest '${app.key}' ` : "";
      for (const section of ["sparkConf", "hadoopConf"]) {
        for (const [k, v] of Object.entries(asObj(spec[section]))) {
          if (cfg.allowKeys.includes(k)) continue;
          const why = secretInKeyValue(k, v);
          if (why) found(`${at}${section} '${k}'`, why);
        }
      }
      for (const r of roles) checkEnv(r.spec.env, `${at}${r.role}`);
    }

    // Annotations are free text that tools copy around; catch obvious shapes there too.
    for (const [k, v] of Object.entries(asObj(asObj(props.metadata).annotations))) {
      const why = typeof v === "string" ? secretInText(v) : undefined;
      if (why && !cfg.allowKeys.includes(k)) found(`annotation '${k}'`, why);
    }
  },
};
