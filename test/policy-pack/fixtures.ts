/**
 * A valid planned lakehouse, as the program registers it and @pulumi/kubernetes records it under mocks
 * (`apiVersion`/`kind`/`metadata`/`spec` inputs, URNs with the parent component's type chain), plus helpers to
 * change one thing per test case. Every policy passes on `validPlan()`.
 */
import { READINESS_MARKER, type ReadinessState } from "../../preflight/readiness";
import { evaluatePolicies } from "../../policy-pack/evaluate";
import { POLICIES } from "../../policy-pack/policies";
import type { PlannedResource, PolicyViolation } from "../../policy-pack/types";
import { configSchema } from "../../preflight/config/schema";
import { METASTORE_JARS, platformArtifacts, renderArtifactScript } from "../../stacks/platform/artifacts";
import {
  sampleJobArgs,
  sampleJobManifest,
  sampleJobManifestYaml,
} from "../../stacks/compute/sparkApplication";

const STACK = "urn:pulumi:anton::lakehouse::";
const GiB = 2 ** 30;

export function urnOf(chain: string[], name: string): string {
  return `${STACK}${chain.join("$")}::${name}`;
}

const labels = (phase: string, component: string) => ({
  "app.kubernetes.io/part-of": "lakehouse",
  "app.kubernetes.io/managed-by": "pulumi",
  "app.kubernetes.io/component": component,
  "lakehouse.dev/phase": phase,
});

export function readyState(): ReadinessState {
  return {
    marker: READINESS_MARKER,
    decision: "ready",
    summary: "All critical checks pass; every gate is open.",
    mode: "offline",
    gates: {
      foundation: { open: true, blockedBy: [] },
      compute: { open: true, blockedBy: [] },
      analytics: { open: true, blockedBy: [] },
    },
    blocking: [],
    warnings: [],
    triggersMet: ["trigger.storage-growth"],
    capacity: {
      nodes: 3,
      allocatableCpu: 24,
      allocatableMemory: 96 * GiB,
      requestedCpu: 6,
      requestedMemory: 24 * GiB,
      freeCpu: 18,
      freeMemory: 72 * GiB,
      usedCpu: 4,
      usedMemory: 30 * GiB,
      maxUtilizationPercent: 70,
    },
  };
}

export function blockedState(): ReadinessState {
  const s = readyState();
  s.decision = "blocked";
  s.summary = "1 critical check blocks the lakehouse.";
  s.gates.compute = { open: false, blockedBy: ["prereq.spark-operator-crd"] };
  s.gates.analytics = { open: false, blockedBy: ["prereq.spark-operator-crd"] };
  s.blocking = [
    {
      id: "prereq.spark-operator-crd",
      status: "fail",
      observed: "CRD sparkapplications.sparkoperator.k8s.io not found",
      remediation: "Install the Spark Operator chart 2.5.x with webhook.enable=true.",
    },
  ];
  return s;
}

/** A container that satisfies every policy. */
export function goodContainer(name: string, image: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    image,
    resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } },
    readinessProbe: { tcpSocket: { port: 9083 }, periodSeconds: 10 },
    livenessProbe: { tcpSocket: { port: 9083 }, periodSeconds: 20 },
    securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false },
    ...extra,
  };
}

const BASE = ["lakehouse:base:PlatformBase"];
const FOUNDATION = ["lakehouse:foundation:HiveMetastore"];
const COMPUTE = ["lakehouse:compute:SparkOperator"];
const ANALYTICS = ["lakehouse:analytics:Trino"];

function child(chain: string[], type: string, name: string, props: Record<string, unknown>): PlannedResource {
  const parentName = name.split("-")[0];
  return {
    type,
    name,
    urn: urnOf([...chain, type], name),
    props,
    parent: urnOf(chain, parentName),
    dependencies: [],
  };
}

export const URNS = {
  readiness: urnOf(["pulumi-nodejs:dynamic:Resource"], "readiness"),
  base: urnOf(BASE, "base"),
  baseNamespace: urnOf([...BASE, "kubernetes:core/v1:Namespace"], "base-namespace"),
  foundation: urnOf(FOUNDATION, "metastore"),
  metastore: urnOf([...FOUNDATION, "kubernetes:apps/v1:Deployment"], "metastore-server"),
  compute: urnOf(COMPUTE, "spark"),
  analytics: urnOf(ANALYTICS, "trino"),
};

/** The whole valid plan: readiness, base, foundation (metastore), compute (spark operator), analytics (trino). */
export function validPlan(): PlannedResource[] {
  const ns = "lakehouse";
  const meta = (name: string, phase: string, component: string) => ({
    name,
    namespace: ns,
    labels: labels(phase, component),
  });
  return [
    {
      type: "pulumi-nodejs:dynamic:Resource",
      name: "readiness",
      urn: URNS.readiness,
      props: { ...readyState() },
    },

    // ---- base
    {
      type: "lakehouse:base:PlatformBase",
      name: "base",
      urn: URNS.base,
      props: {},
      dependencies: [URNS.readiness],
    },
    child(BASE, "kubernetes:core/v1:Namespace", "base-namespace", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: ns, labels: labels("base", "namespace") },
    }),
    child(BASE, "kubernetes:core/v1:ResourceQuota", "base-quota", {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: meta("lakehouse-quota", "base", "quota"),
      spec: { hard: { "requests.cpu": "8", "requests.memory": "40Gi", "limits.memory": "48Gi" } },
    }),
    child(BASE, "kubernetes:core/v1:LimitRange", "base-limits", {
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: meta("lakehouse-limits", "base", "limit-range"),
      spec: { limits: [{ type: "Container", defaultRequest: { cpu: "100m", memory: "256Mi" } }] },
    }),
    child(BASE, "kubernetes:scheduling.k8s.io/v1:PriorityClass", "base-priority-critical", {
      apiVersion: "scheduling.k8s.io/v1",
      kind: "PriorityClass",
      metadata: { name: "lakehouse-critical", labels: labels("base", "priority-class") },
      value: 100000,
    }),
    child(BASE, "kubernetes:storage.k8s.io/v1:StorageClass", "base-bucket-class", {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "lakehouse-bucket", labels: labels("base", "storage") },
      provisioner: "storage.ceph.rook.io/bucket",
      reclaimPolicy: "Retain",
      parameters: { objectStoreName: "storage", objectStoreNamespace: "storage" },
    }),

    // ---- foundation
    {
      type: "lakehouse:foundation:HiveMetastore",
      name: "metastore",
      urn: URNS.foundation,
      props: {},
      dependencies: [URNS.baseNamespace],
    },
    child(FOUNDATION, "kubernetes:apps/v1:Deployment", "metastore-server", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta("hive-metastore", "foundation", "metastore"),
      spec: {
        replicas: 2,
        selector: { matchLabels: { "app.kubernetes.io/name": "hive-metastore" } },
        template: {
          metadata: {
            labels: { "app.kubernetes.io/name": "hive-metastore", ...labels("foundation", "metastore") },
          },
          spec: {
            priorityClassName: "lakehouse-critical",
            securityContext: { runAsNonRoot: true, runAsUser: 1000 },
            initContainers: [
              {
                name: "fetch-jars",
                image: "curlimages/curl:8.10.1",
                // Copies the jars from the in-cluster artifact cache (the script in the site ConfigMap).
                command: ["sh", "/opt/hive/custom-conf/artifact-cache.sh", "fetch"],
                volumeMounts: [{ name: "conf", mountPath: "/opt/hive/custom-conf", readOnly: true }],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "64Mi" } },
              },
            ],
            volumes: [{ name: "conf", configMap: { name: "hive-metastore-site" } }],
            containers: [
              goodContainer("metastore", "apache/hive:4.0.0", {
                env: [
                  { name: "SERVICE_NAME", value: "metastore" },
                  { name: "DB_DRIVER", value: "postgres" },
                  {
                    name: "DB_PASSWORD",
                    valueFrom: { secretKeyRef: { name: "metastore-db", key: "password" } },
                  },
                  {
                    name: "AWS_SECRET_ACCESS_KEY",
                    valueFrom: {
                      secretKeyRef: { name: "lakehouse-warehouse", key: "AWS_SECRET_ACCESS_KEY" },
                    },
                  },
                  { name: "DB_PASSWORD_FILE", value: "/secrets/db/password" },
                ],
              }),
            ],
          },
        },
      },
    }),
    child(FOUNDATION, "kubernetes:policy/v1:PodDisruptionBudget", "metastore-pdb", {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta("hive-metastore", "foundation", "metastore"),
      spec: { minAvailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "hive-metastore" } } },
    }),
    child(FOUNDATION, "kubernetes:core/v1:ConfigMap", "metastore-site", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta("hive-metastore-site", "foundation", "metastore"),
      data: {
        "metastore-site.xml":
          "<configuration>\n" +
          "  <property><name>fs.s3a.endpoint</name><value>http://rook-ceph-rgw-storage.storage.svc</value></property>\n" +
          "  <property><name>fs.s3a.path.style.access</name><value>true</value></property>\n" +
          "  <property><name>javax.jdo.option.ConnectionPassword</name><value>${env.DB_PASSWORD}</value></property>\n" +
          "</configuration>\n",
        BUCKET_HOST: "rook-ceph-rgw-storage.storage.svc",
        "artifact-cache.sh": renderArtifactScript(METASTORE_JARS, { stage: false }),
      },
    }),
    child(FOUNDATION, "kubernetes:core/v1:Secret", "metastore-db", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: meta("metastore-db", "foundation", "metastore"),
      stringData: { password: "generated-by-pulumi-random" },
    }),
    child(FOUNDATION, "kubernetes:core/v1:PersistentVolumeClaim", "metastore-db-data", {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta("metastore-db-data", "foundation", "metastore-db"),
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "ceph-block",
        resources: { requests: { storage: "10Gi" } },
      },
    }),
    child(FOUNDATION, "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim", "metastore-warehouse", {
      apiVersion: "objectbucket.io/v1alpha1",
      kind: "ObjectBucketClaim",
      metadata: meta("lakehouse-warehouse", "foundation", "warehouse"),
      spec: { bucketName: "lakehouse-warehouse", storageClassName: "lakehouse-bucket" },
    }),
    child(FOUNDATION, "kubernetes:batch/v1:CronJob", "metastore-backup", {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: meta("metastore-backup", "foundation", "metadata-backup"),
      spec: {
        schedule: "0 */6 * * *",
        jobTemplate: {
          spec: {
            template: {
              metadata: { labels: labels("foundation", "metadata-backup") },
              spec: {
                restartPolicy: "OnFailure",
                priorityClassName: "lakehouse-critical",
                securityContext: { runAsNonRoot: true, runAsUser: 999 },
                containers: [
                  {
                    name: "backup",
                    image: "postgres:16.4",
                    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "256Mi" } },
                    env: [
                      {
                        name: "PGPASSWORD",
                        valueFrom: { secretKeyRef: { name: "metastore-db", key: "password" } },
                      },
                    ],
                  },
                ],
              },
            },
          },
        },
      },
    }),

    // ---- compute
    {
      type: "lakehouse:compute:SparkOperator",
      name: "spark",
      urn: URNS.compute,
      props: {},
      dependencies: [URNS.foundation],
    },
    child(COMPUTE, "kubernetes:helm.sh/v3:Release", "spark-operator", {
      chart: "spark-operator",
      version: "2.5.1",
      namespace: ns,
      repositoryOpts: { repo: "https://kubeflow.github.io/spark-operator" },
      values: {
        image: { registry: "docker.io", repository: "kubeflow/spark-operator", tag: "2.5.1" },
        spark: { jobNamespaces: [ns] },
        controller: {
          replicas: 1,
          priorityClassName: "lakehouse-critical",
          resources: { requests: { cpu: "200m", memory: "512Mi" }, limits: { memory: "512Mi" } },
        },
        webhook: {
          enable: true,
          replicas: 1,
          priorityClassName: "lakehouse-critical",
          resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "256Mi" } },
        },
      },
    }),
    child(COMPUTE, "kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication", "spark-smoke", {
      apiVersion: "sparkoperator.k8s.io/v1beta2",
      kind: "SparkApplication",
      metadata: meta("iceberg-smoke", "compute", "spark-smoke"),
      spec: {
        type: "Scala",
        mode: "cluster",
        image: "apache/spark:3.5.3",
        sparkVersion: "3.5.3",
        sparkConf: {
          "spark.sql.catalog.lakehouse": "org.apache.iceberg.spark.SparkCatalog",
          "spark.hadoop.fs.s3a.access.key": "${ENV:AWS_ACCESS_KEY_ID}",
        },
        driver: { cores: 1, coreRequest: "500m", memory: "1g", priorityClassName: "lakehouse-critical" },
        executor: { instances: 2, cores: 1, memory: "2g", priorityClassName: "lakehouse-batch" },
      },
    }),

    // ---- analytics
    {
      type: "lakehouse:analytics:Trino",
      name: "trino",
      urn: URNS.analytics,
      props: {},
      dependencies: [URNS.compute],
    },
    child(ANALYTICS, "kubernetes:helm.sh/v3:Release", "trino-release", {
      chart: "trino",
      version: "1.42.0",
      namespace: ns,
      values: {
        image: { repository: "trinodb/trino", tag: "480" },
        server: { workers: 2 },
        coordinator: {
          priorityClassName: "lakehouse-critical",
          resources: { requests: { cpu: "500m", memory: "6Gi" }, limits: { memory: "6Gi" } },
        },
        worker: {
          priorityClassName: "lakehouse-critical",
          resources: { requests: { cpu: "750m", memory: "8Gi" }, limits: { memory: "8Gi" } },
        },
        catalogs: {
          lakehouse:
            "connector.name=iceberg\n" +
            "iceberg.catalog.type=hive_metastore\n" +
            "hive.metastore.uri=thrift://hive-metastore:9083\n" +
            "fs.native-s3.enabled=true\n" +
            "s3.aws-access-key=${ENV:AWS_ACCESS_KEY_ID}\n" +
            "s3.aws-secret-key=${ENV:AWS_SECRET_ACCESS_KEY}\n",
        },
      },
    }),
  ];
}

/**
 * The artifact cache's staging ConfigMap and Job (the one pod allowed to reach the public source) and the DAG's
 * ConfigMap carrying the product's own sample SparkApplication. Not in validPlan(): their pods would move the
 * capacity figures the other policies' tests are written against.
 */
export function cacheAndDagResources(): PlannedResource[] {
  const ns = "lakehouse";
  const meta = (name: string, phase: string, component: string) => ({
    name,
    namespace: ns,
    labels: labels(phase, component),
  });
  return [
    // The artifact cache's staging Job: the one pod allowed to reach the public source.
    child(FOUNDATION, "kubernetes:core/v1:ConfigMap", "metastore-stage-script", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta("artifact-cache-stage", "foundation", "artifact-cache"),
      data: { "artifact-cache.sh": renderArtifactScript(platformArtifacts()) },
    }),
    child(FOUNDATION, "kubernetes:batch/v1:Job", "metastore-stage", {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: meta("artifact-cache-stage-0123456789", "foundation", "artifact-cache"),
      spec: {
        backoffLimit: 2,
        template: {
          metadata: {
            labels: {
              "app.kubernetes.io/name": "artifact-cache-stage",
              ...labels("foundation", "artifact-cache"),
            },
          },
          spec: {
            restartPolicy: "Never",
            priorityClassName: "lakehouse-critical",
            securityContext: { runAsNonRoot: true, runAsUser: 100 },
            containers: [
              {
                name: "stage",
                image: "curlimages/curl:8.10.1",
                command: ["sh", "/scripts/artifact-cache.sh", "stage"],
                env: [{ name: "MAVEN_SOURCE", value: "https://repo1.maven.org/maven2" }],
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                volumeMounts: [{ name: "scripts", mountPath: "/scripts", readOnly: true }],
              },
            ],
            volumes: [{ name: "scripts", configMap: { name: "artifact-cache-stage" } }],
          },
        },
      },
    }),
    // The DAG's ConfigMap carrying the sample job's SparkApplication (the product's own manifest).
    child(COMPUTE, "kubernetes:core/v1:ConfigMap", "spark-dags", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: meta("lakehouse-dags", "compute", "airflow-integration"),
      data: {
        "lakehouse_ingest.spark-application.yaml": sampleJobManifestYaml(
          sampleJobManifest(sampleJobArgs(configSchema.parse({}))),
        ),
      },
    }),
  ];
}

/** Deeply nested fixture inputs, edited freely by test cases (one change per case). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures poke into arbitrary inputs
export type Props = any;

/** The valid plan with one change applied to the resource of the given logical name. */
export function withChange(name: string, change: (props: Props, r: PlannedResource) => void) {
  const plan = validPlan();
  const r = plan.find((x) => x.name === name);
  if (!r) throw new Error(`fixture has no resource '${name}'`);
  change(r.props as Props, r);
  return plan;
}

/** Runs one policy (through the waiver wrapper and evaluatePolicies) and returns its violations. */
export function runPolicy(
  id: string,
  resources: PlannedResource[],
  config?: Record<string, unknown>,
  now?: Date,
): PolicyViolation[] {
  const policy = POLICIES.find((p) => p.name === id);
  if (!policy) throw new Error(`no policy '${id}'`);
  return evaluatePolicies(resources, config ? { [id]: config } : {}, { policies: [policy], now });
}

export function messages(vs: PolicyViolation[]): string[] {
  return vs.map((v) => v.message);
}
