/**
 * `lakehouse:compute:AirflowIntegration`: what the existing Airflow needs to schedule the sample job.
 * - a Role + RoleBinding in the platform namespace letting the Airflow workers' ServiceAccount (in the Airflow
 *   namespace) create, watch and delete SparkApplications and read their driver pod and its log, which is what
 *   `SparkKubernetesOperator` does; nothing cluster-wide, nothing on Secrets;
 * - a ConfigMap in the Airflow namespace with the DAG (dags/lakehouse_ingest.py, created unpaused unless
 *   `compute.dagPausedAtCreation`) and the SparkApplication manifest it submits
 *   (lakehouse_ingest.spark-application.yaml, the DAG submission contract), for Airflow installs that mount DAGs from a
 *   ConfigMap (docs/runbooks/compute.md shows git-sync instead).
 * Network: Airflow talks to the Kubernetes API only; the platform base already admits ingress from the Airflow
 * namespace (lakehouse-allow-airflow) for the driver UI and the metastore, so no extra policy is needed here.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { PlatformBaseRefs } from "../types";
import {
  COMPUTE_NAMES,
  DAG_FILE,
  MANIFEST_FILE,
  SPARK_API_GROUP,
  airflowServiceAccount,
  computeLabels,
} from "./names";

interface AirflowIntegrationArgs {
  /** Parsed config: `cluster.airflowNamespace/airflowRelease`, `compute.airflowServiceAccount/dagConfigMap`. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace). */
  readonly base: PlatformBaseRefs;
  /** Text of dags/lakehouse_ingest.py. */
  readonly dagSource: string;
  /** The SparkApplication manifest (YAML) the DAG submits. */
  readonly manifestYaml: pulumi.Input<string>;
}

/** The line of dags/lakehouse_ingest.py that {@link renderDagSource} sets from `compute.dagPausedAtCreation`. */
const PAUSED_LINE = /^PAUSED_UPON_CREATION = (True|False)$/m;

/**
 * The DAG file as the program ships it: dags/lakehouse_ingest.py with `PAUSED_UPON_CREATION` set from
 * `compute.dagPausedAtCreation`. Pure; throws naming the file when the line is not there (a DAG that is not
 * the lakehouse one, or an edited copy).
 */
export function renderDagSource(config: LakehouseConfig, dagSource: string): string {
  if (!PAUSED_LINE.test(dagSource)) {
    throw new Error(
      `dags/${DAG_FILE} has no line "PAUSED_UPON_CREATION = False" (or True) at the start of a line; the program ` +
        "sets it from lakehouse:compute.dagPausedAtCreation. Restore the file from the repository.",
    );
  }
  const value = config.compute.dagPausedAtCreation ? "True" : "False";
  return dagSource.replace(PAUSED_LINE, `PAUSED_UPON_CREATION = ${value}`);
}

/**
 * The DAG ConfigMap's data (the DAG submission contract), exactly as Airflow's DAG folder receives it: the rendered DAG and the
 * SparkApplication manifest it submits, side by side. Pure (generic so tests pass plain text, the program an
 * Output).
 */
export function dagConfigMapData<M>(
  config: LakehouseConfig,
  dagSource: string,
  manifestYaml: M,
): { [DAG_FILE]: string; [MANIFEST_FILE]: M } {
  return { [DAG_FILE]: renderDagSource(config, dagSource), [MANIFEST_FILE]: manifestYaml };
}

/** The Role's rules. Pure (the tests assert them exactly). */
export function airflowSparkRules(): k8s.types.input.rbac.v1.PolicyRule[] {
  return [
    {
      apiGroups: [SPARK_API_GROUP],
      resources: ["sparkapplications"],
      verbs: ["create", "get", "list", "watch", "delete", "patch"],
    },
    { apiGroups: [SPARK_API_GROUP], resources: ["sparkapplications/status"], verbs: ["get"] },
    { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
    { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
  ];
}

export class AirflowIntegration extends pulumi.ComponentResource {
  /** `<namespace>/<name>` of the DAG ConfigMap. */
  declare public readonly dagConfigMap: pulumi.Output<string>;
  /** The Airflow ServiceAccount granted the Role. */
  declare public readonly serviceAccount: pulumi.Output<string>;

  constructor(name: string, args: AirflowIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:compute:AirflowIntegration", name, {}, opts);
    const { config, base } = args;
    const ns = base.namespace;
    const airflowNs = config.cluster.airflowNamespace;
    const sa = airflowServiceAccount(config);
    const labels = computeLabels("airflow-integration", COMPUTE_NAMES.airflowRole);
    if (!args.dagSource.trim()) {
      throw new Error(
        `AirflowIntegration '${name}': the DAG file dags/${DAG_FILE} is empty; expected the lakehouse_ingest DAG.`,
      );
    }
    const role = new k8s.rbac.v1.Role(
      `${name}-role`,
      { metadata: { name: COMPUTE_NAMES.airflowRole, namespace: ns, labels }, rules: airflowSparkRules() },
      { parent: this },
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-binding`,
      {
        metadata: { name: COMPUTE_NAMES.airflowRole, namespace: ns, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: COMPUTE_NAMES.airflowRole },
        subjects: [{ kind: "ServiceAccount", name: sa, namespace: airflowNs }],
      },
      { parent: this, dependsOn: [role] },
    );
    const cm = new k8s.core.v1.ConfigMap(
      `${name}-dags`,
      {
        metadata: {
          name: config.compute.dagConfigMap,
          namespace: airflowNs,
          labels: computeLabels("airflow-dags", config.compute.dagConfigMap),
        },
        data: dagConfigMapData(config, args.dagSource, args.manifestYaml),
      },
      { parent: this },
    );
    this.dagConfigMap = pulumi.interpolate`${airflowNs}/${cm.metadata.name}`;
    this.serviceAccount = pulumi.output(`${airflowNs}/${sa}`);
    this.registerOutputs({ dagConfigMap: this.dagConfigMap, serviceAccount: this.serviceAccount });
  }
}
