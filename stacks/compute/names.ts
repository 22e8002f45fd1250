import type { LakehouseConfig } from "../../preflight/config/schema";
import { platformLabels } from "../platform/labels";

/**
 * Kubernetes names of the compute phase's objects. Fixed (not Pulumi auto-names) because the alerts, the
 * post-deploy verification, the Airflow DAG, the runbook and operators' `kubectl` commands all refer to them.
 */
export const COMPUTE_NAMES = {
  /** Flux HelmRepository of the operator chart. */
  operatorRepository: "spark-operator",
  /** Helm release (and Flux HelmRelease) of the Spark Operator; the chart names its objects after it. */
  operatorRelease: "spark-operator",
  /** The chart's controller Deployment (`<release>-controller`). */
  operatorController: "spark-operator-controller",
  /** The chart's webhook Deployment (`<release>-webhook`) and Service (`<release>-webhook-svc`). */
  operatorWebhook: "spark-operator-webhook",
  operatorWebhookService: "spark-operator-webhook-svc",
  /** ServiceAccount (and Role, RoleBinding) of Spark drivers. */
  sparkServiceAccount: "lakehouse-spark",
  /** ConfigMap with the sample job's PySpark file, mounted into driver and executors. */
  jobConfigMap: "lakehouse-ingest-job",
  /** Role/RoleBinding letting the Airflow workers submit and watch SparkApplications. */
  airflowRole: "lakehouse-airflow-spark",
  /** NetworkPolicy letting the API server reach the operator webhook. */
  webhookNetworkPolicy: "lakehouse-allow-spark-webhook",
  /** PrometheusRule of the phase. */
  rules: "lakehouse-compute",
} as const;

/** The SparkApplication CRD (served by the operator chart's `crds/`). */
export const SPARK_API_GROUP = "sparkoperator.k8s.io";
export const SPARK_API_VERSION = "v1beta2";

/** Where the job files are mounted in driver and executor pods. */
export const JOB_MOUNT = "/opt/lakehouse/jobs";
/** Where the pinned jars are downloaded (an emptyDir shared by the init container and Spark). */
export const JARS_MOUNT = "/opt/lakehouse/jars";

/** File names in the DAG ConfigMap (the DAG submission contract): the DAG reads the manifest from its own folder. */
export const DAG_FILE = "lakehouse_ingest.py";
export const MANIFEST_FILE = "lakehouse_ingest.spark-application.yaml";
/** The sample job's PySpark file (the sample job contract). */
export const JOB_FILE = "lakehouse_ingest.py";

/** Operator webhook port (chart default). */
export const WEBHOOK_PORT = 9443;
/** Operator metrics port (chart default). */
export const OPERATOR_METRICS_PORT = 8080;

/** Labels of a compute object: the platform's labels plus name/instance. */
export function computeLabels(component: string, name: string): Record<string, string> {
  return {
    ...platformLabels("compute", component),
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": "lakehouse",
  };
}

/** The Airflow workers' ServiceAccount: `compute.airflowServiceAccount`, else the Airflow chart's `<release>-worker`. */
export function airflowServiceAccount(config: LakehouseConfig): string {
  return config.compute.airflowServiceAccount || `${config.cluster.airflowRelease}-worker`;
}

/** Airflow's API Service: `compute.airflowApiService`, else the Airflow 3 chart's `<release>-api-server`. */
export function airflowApiService(config: LakehouseConfig): string {
  return config.compute.airflowApiService || `${config.cluster.airflowRelease}-api-server`;
}

/** Namespaces the operator watches: `compute.jobNamespaces`, else the platform namespace. */
export function jobNamespaces(config: LakehouseConfig): string[] {
  return config.compute.jobNamespaces.length > 0
    ? [...config.compute.jobNamespaces]
    : [config.platform.namespace];
}

/** The Iceberg catalog name in Spark SQL (renderSparkConf's default). */
export const SPARK_CATALOG = "lakehouse";
