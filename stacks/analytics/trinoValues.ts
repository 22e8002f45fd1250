/**
 * The trino chart's values (trinodb/charts 1.42.2, charts/trino/values.yaml) for this platform, rendered by one
 * pure function from typed config, the derived memory settings and the rendered catalogs. Everything the
 * analytics phase decides about Trino is here, so the mock tests can assert it value by value.
 */
import type { LakehouseConfig } from "../../preflight/config/schema";
import { containerResources } from "../../preflight/config/sizing";
import { CATALOG_NAMES } from "./catalogs";
import { trinoMemory, type TrinoMemory } from "./trinoMemory";
import { trinoServerValues } from "./trinoNodeConfig";
import type { BucketCredentials } from "../platform/s3";

/** uid/gid of the `trino` user in trinodb/trino images (the chart's default securityContext). */
const TRINO_UID = 1000;

/** Env vars the catalogs read the warehouse keys from (`${ENV:...}` in catalogs.ts). */
const S3_KEY_ENV = { accessKey: "AWS_ACCESS_KEY_ID", secretKey: "AWS_SECRET_ACCESS_KEY" } as const;

/**
 * A worker is given twice the shutdown grace period plus this before SIGKILL: the chart requires at least 2x
 * (Trino waits the grace period once before it stops accepting tasks and once after the last task ends).
 */
const TERMINATION_MARGIN_SECONDS = 30;

interface TrinoValuesInput {
  /** Parsed config: `analytics.*`, `images.trino`, `sizing.trinoCoordinator/trinoWorker`. */
  readonly config: LakehouseConfig;
  readonly priorityClassCritical: string;
  readonly priorityClassBatch: string;
  /** catalog name -> properties text (renderCatalogs + `analytics.additionalCatalogs`). */
  readonly catalogs: Readonly<Record<string, string>>;
  /** Where the warehouse bucket's keys are (the foundation's bucket Secret). */
  readonly credentials: BucketCredentials;
}

const CATALOG_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * Merges the rendered catalogs with `lakehouse:analytics.additionalCatalogs`, refusing a name that is taken or not
 * a Trino catalog name, and any literal key: catalog text ends up in a ConfigMap, so credentials must be
 * `${ENV:NAME}` references. Pure.
 */
export function mergeCatalogs(
  rendered: Readonly<Record<string, string>>,
  additional: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = { ...rendered };
  for (const [name, text] of Object.entries(additional)) {
    const key = `lakehouse:analytics.additionalCatalogs.${name}`;
    if (!CATALOG_NAME.test(name)) {
      throw new Error(
        `${key}: "${name}" is not a Trino catalog name; use lower case letters, digits and '_', starting with a letter.`,
      );
    }
    if (name in rendered) {
      throw new Error(
        `${key}: the catalog "${name}" is rendered by the platform (${Object.keys(rendered).join(", ")}); choose another name.`,
      );
    }
    if (!/^connector\.name=\S+$/m.test(text)) {
      throw new Error(`${key} has no "connector.name=..." line; every Trino catalog needs one.`);
    }
    for (const line of text.split("\n")) {
      const m = /^\s*([^#=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
      if (!m) continue;
      const [, prop, value] = m;
      if (
        /(password|secret|token|access-key|credential)/i.test(prop) &&
        value &&
        !/^\$\{ENV:[A-Za-z_][A-Za-z0-9_]*\}$/.test(value)
      ) {
        throw new Error(
          `${key} sets ${prop} to a literal value; catalog files live in a ConfigMap, so write ` +
            `${prop}=\${ENV:SOME_VAR} and give the pods SOME_VAR from a Secret (docs/runbooks/analytics.md, "Add a catalog").`,
        );
      }
    }
    out[name] = text.endsWith("\n") ? text : `${text}\n`;
  }
  return out;
}

/** The values of the trino chart. Pure; throws (trinoMemory, mergeCatalogs) on sizes or catalogs Trino cannot run. */
export function trinoValues(input: TrinoValuesInput): {
  values: Record<string, unknown>;
  memory: TrinoMemory;
} {
  const { config } = input;
  const a = config.analytics;
  const memory = trinoMemory({
    coordinator: config.sizing.trinoCoordinator,
    worker: config.sizing.trinoWorker,
  });
  const grace = a.shutdownGracePeriodSeconds;
  // The server's memory, scheduling, JVM flags and graceful shutdown: the part of the values the chart turns into
  // each node's config.properties and jvm.config (renderTrinoNodeFiles renders those files as the chart does).
  const server = trinoServerValues({
    memory,
    environment: a.environment,
    workers: config.sizing.trinoWorker.replicas,
    shutdownGracePeriodSeconds: grace,
  });
  const podSecurity = {
    runAsNonRoot: true,
    runAsUser: TRINO_UID,
    runAsGroup: TRINO_UID,
    fsGroup: TRINO_UID,
    seccompProfile: { type: "RuntimeDefault" },
  };
  const values: Record<string, unknown> = {
    // One reference, exactly what `images.trino` says (and what pinned-images checks): 476, the Trino the tests
    // run (the newest trino-server on Maven Central). The chart's appVersion 480 is newer and untested here.
    image: {
      repository: config.images.trino,
      useRepositoryAsSoleImageReference: true,
      pullPolicy: "IfNotPresent",
    },
    server: server.server,
    coordinator: {
      ...server.coordinator,
      resources: containerResources(config.sizing.trinoCoordinator),
      priorityClassName: input.priorityClassCritical,
      terminationGracePeriodSeconds: 30,
    },
    worker: {
      ...server.worker,
      resources: containerResources(config.sizing.trinoWorker),
      // Workers are the batch class (the base's PriorityClasses): they wait for room, never preempt.
      priorityClassName: input.priorityClassBatch,
      // Trino waits the grace period twice (trinoServerValues: gracefulShutdown), then the pod gets its margin.
      terminationGracePeriodSeconds: 2 * grace + TERMINATION_MARGIN_SECONDS,
      // Spread workers over nodes so one node's loss takes one worker.
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: {
            matchLabels: { "app.kubernetes.io/name": "trino", "app.kubernetes.io/component": "worker" },
          },
        },
      ],
    },
    // Only the platform's catalogs. Helm merges these into the chart's default `catalogs` (tpch, tpcds) key by
    // key: tpch is overridden by ours, and tpcds is removed with null (Helm deletes a default set to null).
    catalogs: { tpcds: null, ...input.catalogs },
    // The warehouse keys reach Trino ONLY as env vars from the bucket Secret; the catalog files (a ConfigMap)
    // hold `${ENV:AWS_ACCESS_KEY_ID}` references that Trino resolves at start-up.
    env: [
      {
        name: S3_KEY_ENV.accessKey,
        valueFrom: {
          secretKeyRef: { name: input.credentials.secret, key: input.credentials.accessKeyIdKey },
        },
      },
      {
        name: S3_KEY_ENV.secretKey,
        valueFrom: {
          secretKeyRef: { name: input.credentials.secret, key: input.credentials.secretAccessKeyKey },
        },
      },
    ],
    securityContext: podSecurity,
    containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    // Metrics: Trino's native OpenMetrics endpoint (/metrics on every node) scraped by the phase's own
    // ServiceMonitors. The chart's ServiceMonitor scrapes only the JMX exporter port, which needs an RMI port, a
    // third-party exporter sidecar image and its rule file; the native endpoint needs nothing but a user name.
    serviceMonitor: { enabled: false },
    jmx: { enabled: false, exporter: { enabled: false } },
    // Labels the chart puts on every object it renders (its own app.kubernetes.io/* stay: no duplicate keys).
    commonLabels: { "app.kubernetes.io/part-of": "lakehouse", "lakehouse.dev/phase": "analytics" },
  };
  if (!(CATALOG_NAMES.iceberg in input.catalogs)) {
    throw new Error(`The Trino catalogs must include "${CATALOG_NAMES.iceberg}" (renderCatalogs).`);
  }
  return { values, memory };
}
