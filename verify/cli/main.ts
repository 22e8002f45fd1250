/**
 * `npm run verify -- --phase foundation ...`: a thin adapter over the verification runner. Parses flags, loads
 * the stack config, runs the in-cluster checks, renders them with the preflight's renderers and maps the
 * overall status to the shared exit codes (0 verified, 3 a criterion failed or could not be checked,
 * 2 invalid input, 1 unexpected). Progress goes to stderr, the result to stdout.
 */
import * as path from "path";
import { InputError, PHASES, type Phase } from "../../preflight/model";
import { parseStrict } from "../../cli/args";
import { EXIT, reportFailure, runAsProgram, verifyExit } from "../../cli/exit";
import { processIO, projectDir, userDir, type CliIO } from "../../cli/io";
import { oneOf, outputFormat, renderOptions, type OutputFormat } from "../../cli/output";
import { renderResults } from "../../preflight/render";

/** The CLI I/O seam (cli/io.ts), re-exported for the tests that import it from here. */
export type { CliIO };
import { parseServiceRef, type PrometheusSource } from "../http/prometheus";
import type { TrinoSource } from "../analytics/endpoint";
import type { VerificationResult, VerifyOptions } from "../runner";

const HELP_HINT = "Run `npm run verify -- --help` for usage.";

export const USAGE = `Lakehouse post-deploy verification: does the deployed phase meet its success criteria?

Usage:
  npm run verify -- --phase foundation|compute [--stack NAME] [--kubeconfig FILE] [--context NAME]
                    [--output table|json|markdown] [--timeout SECONDS] [--keep-jobs]
                    [--prometheus-url URL | --prometheus-service NS/SERVICE:PORT | --no-prometheus]
                    [--backup-prefix PREFIX] [--python-image IMAGE] [--restore-image IMAGE]
  npm run verify -- --phase analytics [--stack NAME] [--kubeconfig FILE] [--context NAME]
                    [--output table|json|markdown] [--timeout SECONDS] [--keep-jobs]
                    [--trino-url URL | --trino-service NS/SERVICE:PORT] [--table SCHEMA.TABLE]

Foundation: each check runs as a short-lived Job in the platform namespace (created through the Kubernetes
API, so it works from a laptop outside the cluster network), is waited for, its log read, and deleted.
Compute: the operator's objects are read; the Airflow check and verify.sample-job run Jobs (and the sample
SparkApplication, then one triggered run of the DAG) the same way.
Analytics: the checks query Trino's HTTP API (client protocol) through the Kubernetes API's service proxy.

Checks (foundation):
  verify.metastore-available       get_all_databases over Thrift; availability over 30 days from Prometheus
  verify.iceberg-roundtrip         scratch namespace + Iceberg table via the metastore: 2 appends, read back,
                                   time travel to the first snapshot, purge
  verify.metadata-backup-restore   newest backup younger than foundation.backupMaxAgeHours, sha256 ok,
                                   restores into a scratch database with the live tables and row counts
  verify.artifact-cache            every pinned jar and wheel is in the in-cluster artifact cache
                                   (artifacts.bucket) with its sha256, read back through the RGW endpoint
  verify.metastore-lock-timeout    a table lock taken and abandoned on a scratch name is released within
                                   foundation.metastoreLockTimeoutSeconds + 30 s (waits that long: 5.5 min by
                                   default, longer than --timeout if need be); reports the oldest lock seen

Checks (compute):
  verify.spark-operator-ready      HelmRelease Ready, controller Deployment available, SparkApplication CRD
                                   serves v1beta2, webhook available with a ready endpoint (if enabled)
  verify.airflow-dag               a Job in the Airflow namespace asks Airflow's REST API (credentials from
                                   the Secret lakehouse:compute.airflowApiSecret) that DAG lakehouse_ingest is
                                   loaded with no import error and unpaused (paused = warn); then, after the
                                   sample job, triggers one run of it through that API on a generated file
                                   under its own scratch prefix and tables: success within --timeout, the rows
                                   read back; a failure names the DAG run, its task and the SparkApplication;
                                   cleaned up after; unreachable = unknown, never a pass
  verify.sample-job                the sample SparkApplication (sampleJobManifest) on a generated file under
                                   its own scratch prefix and tables: COMPLETED within --timeout, the rows
                                   and the snapshot read back through the catalog equal what was generated;
                                   a failure names the driver pod and shows its log tail; cleaned up after

Checks (analytics):
  verify.trino-available           the coordinator answers; sizing.trinoWorker.replicas workers are active
  verify.iceberg-catalog           SHOW SCHEMAS FROM iceberg; a pipeline table reads back with the row count
                                   its Iceberg snapshot records
  verify.multi-table-join          TPC-H Q5 (6 Iceberg tables) returns the tpch connector's answer
  verify.query-latency             TPC-H Q1, Q3, Q5, Q6, Q10 and a time-travel read on TPC-H scale
                                   analytics.verifyScaleFactor (built once by CTAS into analytics.verifySchema,
                                   reused), 3 runs each: every median < thresholds.queryLatencySeconds;
                                   reports each query's scan rate and the heaviest exchange between stages
  verify.end-to-end                a generated landing file through the sample job, read back through Trino:
                                   rows in = rows out, daily aggregate = the one computed from the file

Options:
  --phase PHASE              Phase to verify: foundation, compute or analytics. Default: foundation.
  --stack NAME               Read names and thresholds from Pulumi.NAME.yaml. Default: built-in defaults.
  --kubeconfig FILE          Default: $KUBECONFIG, ~/.kube/config, or in-cluster.
  --context NAME             Kube context. Default: the stack's kubernetes:context with --stack, else the
                             kubeconfig's current context.
  --output FORMAT            table (default), json (one object on stdout) or markdown.
  --timeout SECONDS          How long each Job, SparkApplication or triggered DAG run (foundation,
                             compute) or each query (analytics) may run. Default: 600.
  --prometheus-url URL       Query Prometheus directly at URL.
  --prometheus-service REF   Query NS/SERVICE:PORT through the API server's service proxy.
                             Default: <cluster.monitoringNamespace>/prometheus-operated:9090.
  --no-prometheus            Do not measure availability (the availability part then warns).
  --backup-prefix PREFIX     Prefix of the backups in the backup bucket. Default: metastore.
  --python-image IMAGE       Image for the Python checks (default python:3.11.10-slim-bookworm + pip).
  --restore-image IMAGE      Image for restore.sh (default: images.backup of the stack).
  --keep-jobs                Leave the Jobs, their ConfigMap and the sample SparkApplication for debugging
                             (their TTLs remove them in 1 h); analytics: also leave verify.end-to-end's
                             landing file and e2e_<run>_* tables.
  --trino-url URL            analytics: reach Trino at URL (e.g. http://localhost:8080 after a port-forward).
  --trino-service REF        analytics: Trino's Service NS/SERVICE:PORT through the API server's service proxy.
                             Default: <platform.namespace>/<analytics.releaseName>:8080.
  --table SCHEMA.TABLE       analytics: the Iceberg table verify.iceberg-catalog reads back. Default: the
                             table verify.end-to-end writes.
  -h, --help                 Show this help.

Exit codes:
  0  verified (warnings allowed)
  1  unexpected error
  2  invalid input (flag, stack config, kubeconfig)
  3  a criterion failed or could not be checked
`;

export interface ParsedArgs {
  help: boolean;
  phase: Phase;
  stack?: string;
  kubeconfig?: string;
  context?: string;
  output: OutputFormat;
  timeoutSeconds: number;
  prometheus?: PrometheusSource;
  backupPrefix?: string;
  pythonImage?: string;
  restoreImage?: string;
  keepJobs: boolean;
  trino?: TrinoSource;
  table?: string;
}

const OPTIONS = {
  phase: { type: "string" },
  stack: { type: "string" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  output: { type: "string", short: "o" },
  timeout: { type: "string" },
  "prometheus-url": { type: "string" },
  "prometheus-service": { type: "string" },
  "no-prometheus": { type: "boolean" },
  "backup-prefix": { type: "string" },
  "python-image": { type: "string" },
  "restore-image": { type: "string" },
  "keep-jobs": { type: "boolean" },
  "trino-url": { type: "string" },
  "trino-service": { type: "string" },
  table: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parses argv (without `node script`). Throws InputError naming the flag for anything typed wrong. */
export function parseCli(argv: readonly string[]): ParsedArgs {
  const v = parseStrict(
    { args: [...argv], options: OPTIONS, allowPositionals: false },
    ({ code, message: msg, subject: flag }) =>
      new InputError(
        code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag
          ? `unknown option '${flag}'. ${HELP_HINT}`
          : `${msg.replace(/\.$/, "")}. ${HELP_HINT}`,
      ),
  ).values;
  for (const k of Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]) {
    if (v[k] === "") throw new InputError(`--${k} needs a value. ${HELP_HINT}`);
  }
  const phase: Phase = oneOf("--phase", v.phase ?? "foundation", PHASES, HELP_HINT);
  const output = outputFormat(v.output, HELP_HINT);
  const timeoutSeconds = v.timeout === undefined ? 600 : Number(v.timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 10 || timeoutSeconds > 7200) {
    throw new InputError(
      `--timeout "${v.timeout}" is not a whole number of seconds between 10 and 7200. ${HELP_HINT}`,
    );
  }
  const promFlags = [v["prometheus-url"], v["prometheus-service"], v["no-prometheus"]].filter(
    (x) => x !== undefined,
  );
  if (promFlags.length > 1) {
    throw new InputError(
      `--prometheus-url, --prometheus-service and --no-prometheus exclude each other; give one. ${HELP_HINT}`,
    );
  }
  let prometheus: PrometheusSource | undefined;
  if (v["prometheus-url"] !== undefined) {
    if (!/^https?:\/\/[^/\s]+/.test(v["prometheus-url"])) {
      throw new InputError(`--prometheus-url "${v["prometheus-url"]}" is not an http(s) URL. ${HELP_HINT}`);
    }
    prometheus = { kind: "url", url: v["prometheus-url"] };
  } else if (v["prometheus-service"] !== undefined) {
    const ref = parseServiceRef(v["prometheus-service"]);
    if (!ref) {
      throw new InputError(
        `--prometheus-service "${v["prometheus-service"]}" is not NAMESPACE/SERVICE:PORT (e.g. monitoring/prometheus-operated:9090). ${HELP_HINT}`,
      );
    }
    prometheus = { kind: "service", ...ref };
  } else if (v["no-prometheus"]) {
    prometheus = { kind: "none", reason: "--no-prometheus was given" };
  }
  if (v["trino-url"] !== undefined && v["trino-service"] !== undefined) {
    throw new InputError(`--trino-url and --trino-service exclude each other; give one. ${HELP_HINT}`);
  }
  let trino: TrinoSource | undefined;
  if (v["trino-url"] !== undefined) {
    if (!/^https?:\/\/[^/\s]+/.test(v["trino-url"])) {
      throw new InputError(`--trino-url "${v["trino-url"]}" is not an http(s) URL. ${HELP_HINT}`);
    }
    trino = { kind: "url", url: v["trino-url"] };
  } else if (v["trino-service"] !== undefined) {
    const ref = parseServiceRef(v["trino-service"]);
    if (!ref) {
      throw new InputError(
        `--trino-service "${v["trino-service"]}" is not NAMESPACE/SERVICE:PORT (e.g. lakehouse/trino:8080). ${HELP_HINT}`,
      );
    }
    trino = { kind: "service", ...ref };
  }
  if (v.table !== undefined && !/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/.test(v.table)) {
    throw new InputError(
      `--table "${v.table}" is not SCHEMA.TABLE in lower case (the Iceberg catalog is implied), e.g. lakehouse.events. ${HELP_HINT}`,
    );
  }
  return {
    help: !!v.help,
    phase,
    stack: v.stack,
    kubeconfig: v.kubeconfig,
    context: v.context,
    output,
    timeoutSeconds,
    prometheus,
    backupPrefix: v["backup-prefix"],
    pythonImage: v["python-image"],
    restoreImage: v["restore-image"],
    keepJobs: !!v["keep-jobs"],
    trino,
    table: v.table,
  };
}

/** Exit code of a verification: the shared contract (cli/exit.ts). */
export const exitCode: (result: Pick<VerificationResult, "status">) => number = verifyExit;

/**
 * Runs the CLI and resolves to the exit code. Never throws. `verify` is injectable for tests (default: the
 * runner). The Kubernetes client and the runner are loaded only past `--help` and argument checks: they are
 * most of a process's start-up.
 */
export async function run(
  argv: readonly string[],
  io: CliIO,
  verify?: (o: VerifyOptions) => Promise<VerificationResult>,
): Promise<number> {
  try {
    const args = parseCli(argv);
    if (args.help) {
      io.stdout.write(USAGE);
      return EXIT.ready;
    }
    // The config schema (zod) and YAML parser load past --help and the flag checks, like the clients below.
    const { defaultConfig, loadStackFile } = await import("../../preflight/config/load");
    const loaded = args.stack ? loadStackFile(args.stack, projectDir(io.env)) : defaultConfig();
    const { config } = loaded;
    // Like the preflight: `--stack` verifies the cluster `pulumi up` deployed to (its kubernetes:context),
    // not whatever the kubeconfig's current context happens to be, unless --context says otherwise.
    const stackContext = loaded.stackConfig?.["kubernetes:context"];
    const contextName =
      args.context ?? (typeof stackContext === "string" && stackContext !== "" ? stackContext : undefined);
    const base = userDir(io, "verify");
    const { loadKubeConfig } = await import("../../preflight/probes/kube");
    const { kc, context, server } = loadKubeConfig(
      args.kubeconfig && path.resolve(base, args.kubeconfig),
      contextName,
      io.env as NodeJS.ProcessEnv,
    );
    io.stderr.write(
      `verify: ${args.phase} phase on ${server} (context ${context}); each ${args.phase === "analytics" ? "query" : args.phase === "compute" ? "Job and the sample SparkApplication" : "Job"} may take up to ${args.timeoutSeconds} s.\n`,
    );
    const runVerification = verify ?? (await import("../runner")).runVerification;
    const result = await runVerification({
      config,
      phase: args.phase,
      kc,
      stack: args.stack ?? null,
      jobTimeoutMs: args.timeoutSeconds * 1000,
      prometheus: args.prometheus,
      targets: {
        backupPrefix: args.backupPrefix,
        pythonImage: args.pythonImage,
        restoreImage: args.restoreImage,
      },
      keepJobs: args.keepJobs,
      trino: args.trino,
      pipelineTable: args.table,
      log: (m) => io.stderr.write(`${m}\n`),
    });
    io.stdout.write(
      renderResults(
        { title: result.title, status: result.status, summary: result.summary, results: result.results },
        args.output,
        renderOptions(io, args.output),
      ),
    );
    if (result.leftovers.length > 0) {
      io.stderr.write(`verify: could not delete ${result.leftovers.join(", ")}; delete them by hand.\n`);
    }
    return exitCode(result);
  } catch (e) {
    return reportFailure("verify", e, io);
  }
}

if (require.main === module) {
  runAsProgram(() => run(process.argv.slice(2), processIO()));
}
