/**
 * Phase 2, Compute: the Spark Operator (Flux HelmRelease), the Spark drivers' identity, the sample PySpark job
 * and its SparkApplication manifest, what Airflow needs to schedule it, and the phase's alerts. Ordering is by
 * dependsOn (the identity and the operator before anything that submits jobs), never by nesting.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { PhaseContext, PhaseDefinition } from "../types";
import { AirflowIntegration } from "./airflowIntegration";
import { ComputeAlerts } from "./alerts";
import { DAG_FILE, JOB_FILE } from "./names";
import { SampleJob } from "./sampleJob";
import { SparkJobIdentity } from "./sparkJobIdentity";
import { SparkOperator } from "./sparkOperator";

const REPO = path.resolve(__dirname, "..", "..");
/** The sample job (the sample job contract) and the DAG, relative to the repository. */
const JOB_PATH = path.join("stacks", "compute", "jobs", JOB_FILE);
export const DAG_PATH = path.join("dags", DAG_FILE);

/** Reads a file the phase ships; the error names the file and what it is for. Called at deploy, never at import. */
export function readShippedFile(rel: string, what: string, root = REPO): string {
  try {
    return fs.readFileSync(path.join(root, rel), "utf8");
  } catch (e) {
    throw new Error(
      `The compute phase ships ${rel} (${what}) to the cluster, but it cannot be read: ${(e as Error).message}. ` +
        "Restore the file from the repository (git checkout -- " +
        `${rel}) or set lakehouse:phases.compute to false.`,
      { cause: e },
    );
  }
}

interface ComputeComponents {
  identity: SparkJobIdentity;
  operator: SparkOperator;
  sampleJob: SampleJob;
  airflow: AirflowIntegration;
  alerts: ComputeAlerts;
}

/** Builds the compute components. Exported for tests; the program calls `computePhase.deploy`. */
export function deployCompute(
  ctx: PhaseContext,
  files: { jobSource?: string; dagSource?: string } = {},
): ComputeComponents {
  const { config, base } = ctx;
  const opts = (deps: readonly pulumi.Resource[] = []): pulumi.ComponentResourceOptions => ({
    dependsOn: [...ctx.dependsOn, ...deps],
    ...(base.provider ? { providers: [base.provider] } : {}),
  });
  const jobSource = files.jobSource ?? readShippedFile(JOB_PATH, "the sample PySpark job");
  const dagSource = files.dagSource ?? readShippedFile(DAG_PATH, "the Airflow DAG that schedules it");

  const identity = new SparkJobIdentity("spark-identity", { base }, opts());
  const operator = new SparkOperator("spark-operator", { config, base }, opts([identity]));
  const sampleJob = new SampleJob("sample-job", { config, base, jobSource }, opts([identity]));
  // The DAG can submit as soon as its ConfigMap exists: only after the operator (its CRD) and the job files.
  const airflow = new AirflowIntegration(
    "airflow-integration",
    { config, base, dagSource, manifestYaml: sampleJob.manifestYaml },
    opts([operator, sampleJob]),
  );
  const alerts = new ComputeAlerts("compute-alerts", { config, base }, opts());
  return { identity, operator, sampleJob, airflow, alerts };
}

export const computePhase: PhaseDefinition = {
  phase: "compute",
  title: "Compute: Spark Operator (Flux), the sample PySpark Iceberg job, the Airflow DAG that schedules it",
  deploy(ctx) {
    const c = deployCompute(ctx);
    return {
      resources: [c.identity, c.operator, c.sampleJob, c.airflow, c.alerts],
      // Verified once Flux reports the operator Ready and the DAG ConfigMap exists.
      ready: [c.operator.ready, c.airflow.dagConfigMap],
    };
  },
};
