/**
 * `lakehouse:foundation:HiveMetastore`: the Hive Metastore (Thrift catalog for Spark and Trino) on PostgreSQL,
 * with the warehouse on Ceph S3.
 *
 * Both replicas run the metastore's housekeeping, which times out table locks left by writers that died
 * mid-commit after `foundation.metastoreLockTimeoutSeconds` (metastoreLockProperties in metastoreSite.ts argues
 * every replica over one named leader or HMS 4's lock-based election); the replicas take turns on a database
 * mutex, so two of them cleaning is harmless.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { containerResources } from "../../preflight/config/sizing";
import type { PlatformBaseRefs } from "../types";
import { cacheReader } from "./artifactCache";
import {
  artifactVolumeSize,
  cacheFetchContainer,
  JMX_EXPORTER_JAR,
  METASTORE_JARS,
  renderArtifactScript,
  type PinnedJar,
} from "../platform/artifacts";
import { containerSecurity, jvmHeapMiB, podSecurity } from "../platform/pods";
import { renderJmxExporterConfig, renderMetastoreSite } from "./metastoreSite";
import {
  FOUNDATION_NAMES,
  foundationLabels,
  METASTORE_METRICS_PORT,
  METASTORE_PORT,
  metastoreUri,
  selectorLabels,
} from "./names";
import type { BucketCredentials } from "../platform/s3";

/** uid/gid of the `hive` user in apache/hive images. */
const HIVE_UID = 1000;
/** Where the ConfigMap is mounted; the image's entrypoint links its files into $HIVE_HOME/conf. */
const CUSTOM_CONF_DIR = "/opt/hive/custom-conf";
/** Where the JMX exporter agent is (mounted from the download, or baked into a custom image). */
const JMX_AGENT_PATH = "/opt/jmx/jmx_prometheus_javaagent.jar";

interface HiveMetastoreArgs {
  /**
   * Parsed config: `images.metastore/tools`, `sizing.metastore`, `s3.region`, `platform.*`.
   * Pinned at apache/hive:4.0.0 by default: 4.0.1+ removed the Thrift `get_table` call that Spark's built-in
   * Hive client still uses (HIVE-26537, apache/iceberg#12878), so Spark + Iceberg `type=hive` breaks on newer.
   */
  readonly config: LakehouseConfig;
  /** The platform base (namespace, critical priority class). */
  readonly base: PlatformBaseRefs;
  /** JDBC URL of the metastore database. */
  readonly jdbcUrl: pulumi.Input<string>;
  /** Secret with `username` and `password` of the database. */
  readonly databaseSecret: string;
  /** The warehouse bucket (the warehouse is `s3a://<bucket>/warehouse`). */
  readonly warehouseBucket: pulumi.Input<string>;
  /** In-cluster S3 endpoint URL. */
  readonly s3Endpoint: pulumi.Input<string>;
  /** Where the warehouse bucket's keys are. */
  readonly bucketCredentials: BucketCredentials;
  /**
   * Copy the JDBC driver, hadoop-aws, the AWS SDK modules S3A needs and the JMX exporter from the in-cluster
   * artifact cache (sha256-verified) in an init container. Set false only with an image that already has the
   * jars in /opt/hive/lib and the agent at /opt/jmx/jmx_prometheus_javaagent.jar (see artifacts.ts).
   * @default true
   */
  readonly fetchJars?: boolean;
}

/** The Deployment's containers share these env vars with the schema Job (database credentials). */
function dbEnv(secret: string): k8s.types.input.core.v1.EnvVar[] {
  return [
    { name: "DB_USER", valueFrom: { secretKeyRef: { name: secret, key: "username" } } },
    { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: secret, key: "password" } } },
  ];
}

/** A short content hash: the schema Job's name changes exactly when what it runs changes. */
export function schemaJobHash(image: string, jars: readonly PinnedJar[]): string {
  return createHash("sha256")
    .update([image, ...jars.map((j) => `${j.coordinates}@${j.sha256}`)].join("\n"))
    .digest("hex")
    .slice(0, 10);
}

export class HiveMetastore extends pulumi.ComponentResource {
  /** `thrift://hive-metastore.<namespace>.svc:9083`. */
  declare public readonly uri: pulumi.Output<string>;
  /** Service name (also the `job` label of its metrics). */
  declare public readonly serviceName: pulumi.Output<string>;
  /** `s3a://<bucket>/warehouse`. */
  declare public readonly warehouse: pulumi.Output<string>;
  /**
   * Resolves once the schema Job completed and the Deployment is ready (the provider awaits both): what the
   * post-deploy verification waits for.
   */
  declare public readonly ready: pulumi.Output<unknown>;

  constructor(name: string, args: HiveMetastoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:foundation:HiveMetastore", name, {}, opts);
    const { config, base } = args;
    const ns = base.namespace;
    const appName = FOUNDATION_NAMES.metastore;
    const labels = foundationLabels("metastore", appName);
    const size = config.sizing.metastore;
    const fetchJars = args.fetchJars ?? true;
    const jars = fetchJars ? [...METASTORE_JARS, JMX_EXPORTER_JAR] : [];
    const image = config.images.metastore;

    const siteXml = pulumi
      .all([args.jdbcUrl, args.warehouseBucket, args.s3Endpoint])
      .apply(([jdbcUrl, bucket, endpoint]) =>
        renderMetastoreSite({
          jdbcUrl,
          warehouseBucket: bucket,
          s3Endpoint: endpoint,
          s3Region: config.s3.region,
          lockTimeoutSeconds: config.foundation.metastoreLockTimeoutSeconds,
        }),
      );

    // Only configuration: the keys and the database password are env vars from Secrets (see metastoreSite.ts).
    const conf = new k8s.core.v1.ConfigMap(
      `${name}-conf`,
      {
        metadata: { name: `${appName}-conf`, namespace: ns, labels },
        data: {
          "metastore-site.xml": siteXml,
          "jmx-exporter.yaml": renderJmxExporterConfig(),
          // Fetch mode only: the pods' copy of the script holds no public source at all.
          "artifact-cache.sh": renderArtifactScript(jars, { stage: false }),
        },
      },
      { parent: this },
    );

    const credentialsEnv: k8s.types.input.core.v1.EnvVar[] = [
      ...dbEnv(args.databaseSecret),
      {
        name: "AWS_ACCESS_KEY_ID",
        valueFrom: {
          secretKeyRef: { name: args.bucketCredentials.secret, key: args.bucketCredentials.accessKeyIdKey },
        },
      },
      {
        name: "AWS_SECRET_ACCESS_KEY",
        valueFrom: {
          secretKeyRef: {
            name: args.bucketCredentials.secret,
            key: args.bucketCredentials.secretAccessKeyKey,
          },
        },
      },
      { name: "AWS_REGION", value: config.s3.region },
    ];

    // The jars come from the in-cluster artifact cache (ArtifactCache, staged before this component), never
    // from the internet: a metastore restart during an internet outage still finds its classpath.
    const fetchInit: k8s.types.input.core.v1.Container[] = fetchJars
      ? [
          cacheFetchContainer({
            name: "fetch-jars",
            image: config.images.tools,
            artifacts: jars,
            volume: "jars",
            dir: "/jars",
            reader: cacheReader(config),
            scriptPath: `${CUSTOM_CONF_DIR}/artifact-cache.sh`,
            extraMounts: [{ name: "conf", mountPath: CUSTOM_CONF_DIR, readOnly: true }],
          }),
        ]
      : [];
    // Each jar is mounted as a single file into /opt/hive/lib (the classpath schematool and the metastore
    // share); the agent goes beside it, off the classpath.
    const jarMounts: k8s.types.input.core.v1.VolumeMount[] = jars.map((j) => ({
      name: "jars",
      subPath: j.file,
      mountPath: j === JMX_EXPORTER_JAR ? JMX_AGENT_PATH : `/opt/hive/lib/${j.file}`,
      readOnly: true,
    }));
    const volumes: k8s.types.input.core.v1.Volume[] = [
      { name: "conf", configMap: { name: conf.metadata.name } },
      // ~8 MB of jars; kept across container restarts, copied from the cache again when the pod moves.
      { name: "jars", emptyDir: { sizeLimit: artifactVolumeSize(jars) } },
    ];
    const podBase = {
      priorityClassName: base.priorityClassCritical,
      securityContext: podSecurity(HIVE_UID),
      initContainers: fetchInit,
      volumes,
    };

    // Schema init/upgrade runs once, in a Job, before the Deployment rolls: two replicas each running
    // schematool on first start would race on an empty database. `-initOrUpgradeSchema` (Hive 4) creates the
    // schema when missing and upgrades it when the image is newer; it is a no-op otherwise. The name carries a
    // hash of image + jars, so a change makes a new Job (and the provider waits for it to complete) while an
    // unchanged plan leaves the finished Job alone.
    const schemaJob = new k8s.batch.v1.Job(
      `${name}-schema`,
      {
        metadata: {
          name: `${appName}-schema-${schemaJobHash(image, jars)}`,
          namespace: ns,
          labels: { ...labels, "app.kubernetes.io/name": `${appName}-schema` },
        },
        spec: {
          backoffLimit: 4,
          activeDeadlineSeconds: 1800,
          template: {
            metadata: { labels: { ...labels, "app.kubernetes.io/name": `${appName}-schema` } },
            spec: {
              ...podBase,
              restartPolicy: "Never",
              containers: [
                {
                  name: "schematool",
                  image,
                  command: ["/bin/bash", "-c"],
                  args: [
                    'exec /opt/hive/bin/schematool -dbType postgres -initOrUpgradeSchema -url "$JDBC_URL" ' +
                      '-driver org.postgresql.Driver -userName "$DB_USER" -passWord "$DB_PASSWORD"',
                  ],
                  env: [...dbEnv(args.databaseSecret), { name: "JDBC_URL", value: args.jdbcUrl }],
                  resources: containerResources(size),
                  securityContext: containerSecurity(false),
                  volumeMounts: jarMounts.filter((m) => m.mountPath !== JMX_AGENT_PATH),
                },
              ],
            },
          },
        },
      },
      { parent: this, deleteBeforeReplace: true },
    );

    const heap = jvmHeapMiB(size);
    const serviceOpts = [
      `-Xmx${heap}m`,
      // $(VAR) is expanded by Kubernetes from the env vars above; the values never appear in the spec.
      "-Djavax.jdo.option.ConnectionUserName=$(DB_USER)",
      "-Djavax.jdo.option.ConnectionPassword=$(DB_PASSWORD)",
      `-javaagent:${JMX_AGENT_PATH}=${METASTORE_METRICS_PORT}:${CUSTOM_CONF_DIR}/jmx-exporter.yaml`,
    ].join(" ");
    const tcp = { tcpSocket: { port: "thrift" } };

    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: appName, namespace: ns, labels },
        spec: {
          replicas: size.replicas,
          selector: { matchLabels: selectorLabels(appName) },
          // With required anti-affinity on a small cluster a surge pod may have no node: replace one at a time.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
          template: {
            metadata: { labels },
            spec: {
              ...podBase,
              // Two replicas on one node share its fate; 99.9 % needs them apart. Required, not preferred: a
              // second replica that cannot be placed shows as Pending (and MetastoreDegraded) instead of
              // silently stacking.
              affinity: {
                podAntiAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: [
                    {
                      topologyKey: "kubernetes.io/hostname",
                      labelSelector: { matchLabels: selectorLabels(appName) },
                    },
                  ],
                },
              },
              terminationGracePeriodSeconds: 30,
              containers: [
                {
                  name: "metastore",
                  image,
                  ports: [
                    { name: "thrift", containerPort: METASTORE_PORT, protocol: "TCP" },
                    { name: "metrics", containerPort: METASTORE_METRICS_PORT, protocol: "TCP" },
                  ],
                  env: [
                    { name: "SERVICE_NAME", value: "metastore" },
                    { name: "DB_DRIVER", value: "postgres" },
                    // The schema Job owns init/upgrade; the entrypoint must not run schematool in each replica.
                    { name: "IS_RESUME", value: "true" },
                    { name: "HIVE_CUSTOM_CONF_DIR", value: CUSTOM_CONF_DIR },
                    { name: "METASTORE_PORT", value: String(METASTORE_PORT) },
                    ...credentialsEnv,
                    // Must come after DB_USER/DB_PASSWORD: $(VAR) only expands earlier entries.
                    { name: "SERVICE_OPTS", value: serviceOpts },
                  ],
                  resources: containerResources(size),
                  // The entrypoint links the custom conf into $HIVE_HOME/conf, so the root fs stays writable.
                  securityContext: containerSecurity(false),
                  startupProbe: { ...tcp, periodSeconds: 10, failureThreshold: 30 },
                  readinessProbe: { ...tcp, periodSeconds: 10, timeoutSeconds: 3 },
                  livenessProbe: { ...tcp, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
                  volumeMounts: [
                    {
                      name: "conf",
                      mountPath: CUSTOM_CONF_DIR,
                      readOnly: true,
                    },
                    ...jarMounts,
                  ],
                },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [schemaJob, conf] },
    );

    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: appName, namespace: ns, labels },
        spec: {
          selector: selectorLabels(appName),
          ports: [
            { name: "thrift", port: METASTORE_PORT, targetPort: "thrift", protocol: "TCP" },
            { name: "metrics", port: METASTORE_METRICS_PORT, targetPort: "metrics", protocol: "TCP" },
          ],
        },
      },
      { parent: this },
    );

    // A drain may take one replica at a time, never both.
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      {
        metadata: { name: appName, namespace: ns, labels },
        spec: { minAvailable: 1, selector: { matchLabels: selectorLabels(appName) } },
      },
      { parent: this, dependsOn: [deployment] },
    );

    new k8s.apiextensions.CustomResource(
      `${name}-servicemonitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: {
          name: appName,
          namespace: ns,
          labels: { ...labels, ...config.foundation.monitoringLabels },
        },
        spec: {
          selector: { matchLabels: selectorLabels(appName) },
          endpoints: [{ port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s" }],
        },
      },
      { parent: this },
    );

    this.uri = pulumi.output(metastoreUri(ns));
    this.serviceName = pulumi.output(appName);
    this.warehouse = pulumi.output(args.warehouseBucket).apply((b) => `s3a://${b}/warehouse`);
    this.ready = pulumi.all([schemaJob.status, deployment.status]);
    this.registerOutputs({
      uri: this.uri,
      serviceName: this.serviceName,
      warehouse: this.warehouse,
      ready: this.ready,
    });
  }
}
