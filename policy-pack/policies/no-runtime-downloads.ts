/**
 * no-runtime-downloads (mandatory, stack): no pod of the platform downloads from outside the cluster when it
 * starts. A pod that fetches its jars or wheels from Maven Central or PyPI at every start cannot come back after
 * a node drain while the internet link (or the registry) is down, and pays the bytes on every restart; the
 * in-cluster artifact cache (stacks/foundation/artifactCache.ts) is where they come from instead.
 *
 * What it reads, for every container and init container of every pod template (Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, Pod, Job, CronJob) and of every SparkApplication (a resource, or a manifest a ConfigMap
 * carries for a scheduler, `*.spark-application.yaml`):
 * - its command and args, and every script they run from a mounted ConfigMap of the plan (`sh /conf/x.sh`
 *   runs the ConfigMap key `x.sh`), comment lines (and a Python script's docstrings) aside;
 * - a URL whose host is not in-cluster (`*.svc`, `*.cluster.local`, loopback, or `allowedHosts`), `pip install`
 *   without `--no-index`, and OS/npm package installs (`apt-get install`, `apk add`, `yum`/`dnf install`,
 *   `npm install`/`npm ci`);
 * - for SparkApplications also `spark.jars.packages` / `spark.jars.repositories` (Ivy resolves them from Maven
 *   Central), `deps.packages` / `deps.repositories`, and remote `spark.jars`/`spark.files`/`spark.pyFiles`/
 *   `spark.archives`, `deps.*` and `mainApplicationFile` URLs.
 *
 * Exempt: the pod templates whose `app.kubernetes.io/name` label is in `stagers` (the artifact cache's staging
 * Job, the one place allowed to reach the source). Not read: env values (an S3 endpoint outside the cluster is
 * the platform's own object store, not a download) and images (pulled by the kubelet; pinned-images covers them).
 */
import { configOf, type LakehousePolicy } from "../lib/policy";
import {
  asArray,
  asObj,
  displayName,
  isKube,
  isPlatform,
  kindOf,
  safe,
  str,
  type Obj,
} from "../lib/resources";
import {
  containersOf,
  podTemplates,
  sparkApps,
  sparkRoles,
  sparkSpec,
  type Container,
} from "../lib/workloads";

const noRuntimeDownloadsDefaults = {
  /** `app.kubernetes.io/name` of the pod templates allowed to fetch from outside: the cache's staging Job. */
  stagers: ["artifact-cache-stage"],
  /** Extra hosts (exact, or `.suffix`) counted as in-cluster, e.g. a registry mirror inside the cluster. */
  allowedHosts: [] as string[],
};

const IN_CLUSTER_SUFFIXES = [".svc", ".svc.cluster.local", ".cluster.local"];
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;
const URL_RE = /\b(?:https?|ftp):\/\/([^\s'"/:$`)}\\]+)[^\s'"`)}\\]*/g;
const INSTALLERS: [RegExp, string][] = [
  [/\b(apt-get|apt)\s+(-\S+\s+)*install\b/, "installs OS packages from the distribution's mirrors"],
  [/\bapk\s+(-\S+\s+)*add\b/, "installs OS packages from Alpine's mirrors"],
  [/\b(yum|dnf|microdnf)\s+(-\S+\s+)*install\b/, "installs OS packages from the distribution's mirrors"],
  [/\bnpm\s+(install|ci)\b/, "installs npm packages from the npm registry"],
];

/** The host a URL names, when it is outside the cluster; undefined for in-cluster and loopback hosts. */
export function outsideHost(url: string, allowed: readonly string[] = []): string | undefined {
  const m = /^(?:https?|ftp):\/\/([^\s'"/:$`)}\\]+)/.exec(url);
  if (!m) return undefined;
  const host = m[1].toLowerCase().replace(/^.*@/, "");
  if (LOOPBACK.test(host)) return undefined;
  const inside = [...IN_CLUSTER_SUFFIXES, ...allowed].some((s) =>
    s.startsWith(".") ? host.endsWith(s) || host === s.slice(1) : host === s.toLowerCase(),
  );
  return inside ? undefined : host;
}

/** True for a Python script: a `.py` ConfigMap key, or a `#!...python` first line. */
function isPython(key: string, text: string): boolean {
  return /\.py$/.test(key) || /^#!.*\bpython/.test(text);
}

/**
 * A Python script without its triple-quoted strings (docstrings are prose: "no pip install needed" or a docs
 * URL in one downloads nothing). Code that builds a command keeps its ordinary quotes and is still read. Pure.
 */
function pythonCode(text: string): string {
  return text.replace(/"""[\s\S]*?"""|'''[\s\S]*?'''/g, (m) => m.replace(/[^\n]/g, " "));
}

/**
 * What a script downloads from outside the cluster: one finding per URL or installer, comment lines aside (and,
 * with `python`, docstrings aside; `["pip", "install", ...]` counts like `pip install`). Pure.
 */
export function downloadsIn(text: string, allowed: readonly string[] = [], python = false): string[] {
  const out: string[] = [];
  for (const raw of (python ? pythonCode(text) : text).split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#")) continue;
    for (const m of line.matchAll(URL_RE)) {
      if (outsideHost(m[0], allowed)) out.push(`fetches ${m[0]}`);
    }
    if (/\bpip3?["',\s]+install\b/.test(line) && !/--no-index\b/.test(line)) {
      out.push("runs `pip install` without --no-index (packages from PyPI)");
    }
    for (const [re, what] of INSTALLERS) if (re.test(line)) out.push(what);
  }
  return [...new Set(out)];
}

/** ConfigMap data of the plan by namespace/name (and by name alone for manifests without a namespace). */
function configMapsOf(resources: readonly { type: string; props: Obj }[]): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const r of resources) {
    if (!isKube(r.type, "ConfigMap")) continue;
    const md = asObj(r.props.metadata);
    const name = str(md.name);
    if (!name) continue;
    out.set(`${str(md.namespace) ?? ""}/${name}`, asObj(r.props.data));
    if (!out.has(`*/${name}`)) out.set(`*/${name}`, asObj(r.props.data));
  }
  return out;
}

/**
 * The texts a container runs: its command and args, and each script they name that lives in a ConfigMap volume
 * it mounts (path under the mount = the ConfigMap key).
 */
function runTexts(
  c: Obj,
  podSpec: Obj,
  namespace: string,
  maps: Map<string, Obj>,
): { where: string; text: string; python: boolean }[] {
  const words = [...asArray(c.command), ...asArray(c.args)].filter((w): w is string => typeof w === "string");
  const out = [{ where: "its command", text: words.join("\n"), python: false }];
  const volumes = new Map<string, string>();
  for (const v of asArray(podSpec.volumes)) {
    const cm = str(asObj(asObj(v).configMap).name);
    const name = str(asObj(v).name);
    if (cm && name) volumes.set(name, cm);
  }
  for (const m of asArray(c.volumeMounts)) {
    const mount = asObj(m);
    const cm = volumes.get(str(mount.name) ?? "");
    const at = str(mount.mountPath)?.replace(/\/+$/, "");
    if (!cm || !at) continue;
    const data = maps.get(`${namespace}/${cm}`) ?? maps.get(`*/${cm}`);
    if (!data) continue;
    for (const w of words) {
      for (const token of w.split(/[\s;&|]+/)) {
        if (!token.startsWith(`${at}/`)) continue;
        const key = token.slice(at.length + 1);
        const body = data[key];
        if (typeof body === "string")
          out.push({ where: `the script ${cm}/${key} it runs`, text: body, python: isPython(key, body) });
      }
    }
  }
  return out;
}

const REMOTE_CONF = ["spark.jars", "spark.files", "spark.pyFiles", "spark.archives"];
const RESOLVING_CONF = ["spark.jars.packages", "spark.jars.repositories", "spark.jars.ivySettings"];

/** Findings in a SparkApplication spec outside its pod containers. Pure. */
function sparkDownloads(spec: Obj, allowed: readonly string[] = []): string[] {
  const out: string[] = [];
  const conf = asObj(spec.sparkConf);
  for (const k of RESOLVING_CONF) {
    if (str(conf[k])) out.push(`resolves ${k}=${String(conf[k])} through Ivy from Maven repositories`);
  }
  const remote = (where: string, v: unknown) => {
    for (const u of String(v).split(",")) {
      const url = u.trim();
      if (outsideHost(url, allowed)) out.push(`fetches ${url} (${where})`);
    }
  };
  for (const k of REMOTE_CONF) if (str(conf[k])) remote(k, conf[k]);
  const deps = asObj(spec.deps);
  for (const k of ["packages", "repositories"]) {
    if (asArray(deps[k]).length > 0) out.push(`resolves deps.${k} through Ivy from Maven repositories`);
  }
  for (const k of ["jars", "files", "pyFiles", "archives"]) {
    for (const v of asArray(deps[k])) remote(`deps.${k}`, v);
  }
  if (str(spec.mainApplicationFile)) remote("mainApplicationFile", spec.mainApplicationFile);
  return out;
}

function roleOf(c: Container): string {
  return c.list === "initContainers" ? "init container" : "container";
}

export const noRuntimeDownloads: LakehousePolicy = {
  name: "no-runtime-downloads",
  description:
    "No pod may download from outside the cluster at start (jars, wheels, packages): it copies them from the in-cluster artifact cache.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Pin the file in its phase's pin list (stacks/foundation/metastore-jars.json, stacks/compute/spark-jars.json, stacks/foundation/python-wheels.json; read by stacks/platform/artifacts.ts) so the staging Job puts it in the artifact cache, and copy it from there (cacheFetchContainer); or bake it into the image.",
  configSchema: {
    properties: {
      stagers: { type: "array", items: { type: "string" }, default: noRuntimeDownloadsDefaults.stagers },
      allowedHosts: {
        type: "array",
        items: { type: "string" },
        default: noRuntimeDownloadsDefaults.allowedHosts,
      },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf(args, noRuntimeDownloadsDefaults);
    const maps = configMapsOf(args.resources as unknown as { type: string; props: Obj }[]);
    for (const r of args.resources) {
      safe(() => {
        if (!isPlatform(r)) return;
        const kind = kindOf(r.type);
        const name = displayName(r);
        const props = r.props as Obj;
        const ns = str(asObj(props.metadata).namespace) ?? "";
        const judge = (who: string, podSpec: Obj, containers: Container[]) => {
          for (const c of containers) {
            for (const t of runTexts(c.c, podSpec, ns, maps)) {
              for (const f of downloadsIn(t.text, cfg.allowedHosts, t.python)) {
                report(
                  `${who} must not download from outside the cluster at pod start: ${roleOf(c)} '${c.name}' ${f} ` +
                    `(in ${t.where}); serve it from the in-cluster artifact cache (stacks/platform/artifacts.ts).`,
                  r.urn,
                );
              }
            }
          }
        };
        for (const t of podTemplates(r.type, props)) {
          if (cfg.stagers.includes(t.labels["app.kubernetes.io/name"] ?? "")) continue;
          judge(`${kind} '${name}'`, t.spec, containersOf(t.spec));
        }
        for (const app of sparkApps(r.type, props)) {
          const who = app.key ? `${kind} '${name}' (manifest '${app.key}')` : `${kind} '${name}'`;
          const spec = sparkSpec(app.type, app.props);
          // The driver's and executors' init containers; the volumes are the application's.
          for (const role of sparkRoles(app.type, app.props)) {
            judge(`${who} ${role.role}`, { volumes: spec.volumes }, containersOf(role.spec));
          }
          for (const f of sparkDownloads(spec, cfg.allowedHosts)) {
            report(
              `${who} must not download from outside the cluster at pod start: it ${f}; put the jars in the ` +
                `in-cluster artifact cache and on the class path instead (stacks/compute/spark-jars.json).`,
              r.urn,
            );
          }
        }
      }, undefined);
    }
  },
};
