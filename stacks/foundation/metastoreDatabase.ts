/**
 * `lakehouse:foundation:MetastoreDatabase`: PostgreSQL for the Hive Metastore, one instance on a retained Ceph
 * RBD volume, with its credentials Secret (generated once, or synced by External Secrets).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import type { LakehouseConfig } from "../../preflight/config/schema";
import { containerResources } from "../../preflight/config/sizing";
import type { PlatformBaseRefs } from "../types";
import { containerSecurity, podSecurity } from "../platform/pods";
import { FOUNDATION_NAMES, POSTGRES_PORT, selectorLabels, foundationLabels } from "./names";

/** uid/gid of the `postgres` user in the official image (Debian variant). */
export const POSTGRES_UID = 999;
/** The database user the metastore connects as (generated credentials). */
const DB_USER = "hive";

interface MetastoreDatabaseArgs {
  /**
   * Parsed config: `images.postgres`, `sizing.metastoreDb`, `platform.blockStorageClass`,
   * `foundation.dbStorage/dbCredentials/externalSecretStore/externalSecretKey`.
   */
  readonly config: LakehouseConfig;
  /** The platform base (namespace, critical priority class). */
  readonly base: PlatformBaseRefs;
  /**
   * Password for `dbCredentials: generated`, for tests that need a known value.
   * @default 32 random bytes from node:crypto, base64url, generated at program time
   */
  readonly password?: string;
  /**
   * With `dbCredentials: generated`: the kept Secret to adopt (`<namespace>/<name>`), when an earlier
   * `destroy` left it (stacks/foundation/retained.ts). Unset = create it.
   */
  readonly adoptCredentials?: string;
}

/** A password for the generated Secret: 32 random bytes (256 bits) as base64url, no shell-special characters. */
function generatePassword(): string {
  return randomBytes(32).toString("base64url");
}

export class MetastoreDatabase extends pulumi.ComponentResource {
  /** `metastore-db.<namespace>.svc`. */
  declare public readonly host: pulumi.Output<string>;
  declare public readonly port: pulumi.Output<number>;
  /** The database name inside PostgreSQL. */
  declare public readonly database: pulumi.Output<string>;
  /** `jdbc:postgresql://<host>:<port>/<database>`. */
  declare public readonly jdbcUrl: pulumi.Output<string>;
  /** Secret with `username`, `password`, `database`. */
  declare public readonly credentialsSecret: pulumi.Output<string>;
  /** Resolves once the StatefulSet is ready (the provider awaits it): what the verification waits for. */
  declare public readonly ready: pulumi.Output<unknown>;

  constructor(name: string, args: MetastoreDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:foundation:MetastoreDatabase", name, {}, opts);
    const { config, base } = args;
    const f = config.foundation;
    const ns = base.namespace;
    const appName = FOUNDATION_NAMES.database;
    const labels = foundationLabels("metastore-db", appName);
    const size = config.sizing.metastoreDb;
    if (size.replicas !== 1) {
      throw new Error(
        `lakehouse:sizing.metastoreDb.replicas is ${size.replicas}; the metastore database is one PostgreSQL ` +
          "instance on one volume, so it must be 1. Availability comes from the retained volume and the backups.",
      );
    }

    let credentials: pulumi.Resource;
    if (f.dbCredentials === "generated") {
      // Generated here, at program time, with node:crypto (no @pulumi/random in this project): the value is a
      // Pulumi secret, so it is encrypted in the state and masked in output. ignoreChanges keeps the FIRST
      // value forever: a later `pulumi up` generates a new candidate, but it is never applied, because
      // PostgreSQL only reads POSTGRES_PASSWORD when it initialises an empty volume; changing the Secret
      // afterwards would lock the metastore out. Rotate deliberately (runbook), not by accident.
      credentials = new k8s.core.v1.Secret(
        `${name}-credentials`,
        {
          metadata: { name: FOUNDATION_NAMES.databaseCredentials, namespace: ns, labels },
          type: "Opaque",
          stringData: {
            username: DB_USER,
            password: pulumi.secret(args.password ?? generatePassword()),
            database: FOUNDATION_NAMES.databaseName,
          },
        },
        // retainOnDelete: the password belongs to the data. `pulumi destroy` keeps the claim (below), so it keeps
        // the only key that opens it too; a later `up` finds both (docs/program.md, "destroy").
        // import: after a destroy the kept Secret is adopted as it is (ignoreChanges keeps its live data).
        {
          parent: this,
          ignoreChanges: ["stringData", "data"],
          retainOnDelete: true,
          ...(args.adoptCredentials ? { import: args.adoptCredentials } : {}),
        },
      );
    } else {
      if (!f.externalSecretStore) {
        throw new Error(
          "lakehouse:foundation.dbCredentials is external-secrets but lakehouse:foundation.externalSecretStore is " +
            "empty; set it to the ClusterSecretStore that holds the metastore database credentials.",
        );
      }
      credentials = new k8s.apiextensions.CustomResource(
        `${name}-credentials`,
        {
          apiVersion: "external-secrets.io/v1",
          kind: "ExternalSecret",
          metadata: { name: FOUNDATION_NAMES.databaseCredentials, namespace: ns, labels },
          spec: {
            refreshInterval: "1h",
            secretStoreRef: { kind: "ClusterSecretStore", name: f.externalSecretStore },
            target: {
              name: FOUNDATION_NAMES.databaseCredentials,
              creationPolicy: "Owner",
              template: {
                // `database` is not a secret: fixed here so every consumer reads the same three keys.
                mergePolicy: "Merge",
                data: { database: FOUNDATION_NAMES.databaseName },
              },
            },
            data: [
              { secretKey: "username", remoteRef: { key: f.externalSecretKey, property: "username" } },
              { secretKey: "password", remoteRef: { key: f.externalSecretKey, property: "password" } },
            ],
          },
        },
        { parent: this },
      );
    }

    // The data volume is a standalone PVC (not a volumeClaimTemplate) so that Pulumi never deletes it:
    // retainOnDelete keeps the claim, and with it the RBD image, through `pulumi destroy` or a replacement of
    // the StatefulSet. Losing it loses every table definition; the retain-data policy checks this.
    const pvc = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-data`,
      {
        metadata: { name: `${appName}-data`, namespace: ns, labels },
        spec: {
          accessModes: ["ReadWriteOnce"],
          storageClassName: config.platform.blockStorageClass,
          resources: { requests: { storage: f.dbStorage } },
        },
      },
      { parent: this, retainOnDelete: true },
    );

    const pgIsReady = [
      "sh",
      "-c",
      `exec pg_isready -h 127.0.0.1 -p ${POSTGRES_PORT} -U "$POSTGRES_USER" -d "$POSTGRES_DB"`,
    ];
    const secretEnv = (envName: string, key: string) => ({
      name: envName,
      valueFrom: { secretKeyRef: { name: FOUNDATION_NAMES.databaseCredentials, key } },
    });

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: appName, namespace: ns, labels },
        spec: {
          selector: selectorLabels(appName),
          ports: [{ name: "postgres", port: POSTGRES_PORT, targetPort: "postgres", protocol: "TCP" }],
        },
      },
      { parent: this },
    );

    const statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: { name: appName, namespace: ns, labels },
        spec: {
          replicas: 1,
          serviceName: appName,
          selector: { matchLabels: selectorLabels(appName) },
          // The claim is not from a template, but say it anyway: nothing here deletes data.
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
          template: {
            metadata: { labels },
            spec: {
              priorityClassName: base.priorityClassCritical,
              securityContext: podSecurity(POSTGRES_UID),
              terminationGracePeriodSeconds: 60,
              containers: [
                {
                  name: "postgres",
                  image: config.images.postgres,
                  ports: [{ name: "postgres", containerPort: POSTGRES_PORT, protocol: "TCP" }],
                  env: [
                    secretEnv("POSTGRES_USER", "username"),
                    secretEnv("POSTGRES_PASSWORD", "password"),
                    { name: "POSTGRES_DB", value: FOUNDATION_NAMES.databaseName },
                    // A subdirectory: the volume's root holds lost+found, which initdb refuses.
                    { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
                  ],
                  resources: containerResources(size),
                  securityContext: containerSecurity(true),
                  startupProbe: { exec: { command: pgIsReady }, periodSeconds: 5, failureThreshold: 60 },
                  readinessProbe: { exec: { command: pgIsReady }, periodSeconds: 10, timeoutSeconds: 5 },
                  livenessProbe: {
                    exec: { command: pgIsReady },
                    periodSeconds: 20,
                    timeoutSeconds: 5,
                    failureThreshold: 6,
                  },
                  volumeMounts: [
                    { name: "data", mountPath: "/var/lib/postgresql/data" },
                    // Writable paths for a read-only root filesystem: the socket dir and temp files.
                    { name: "run", mountPath: "/var/run/postgresql" },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "data", persistentVolumeClaim: { claimName: pvc.metadata.name } },
                { name: "run", emptyDir: {} },
                { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [credentials, pvc, service] },
    );

    this.host = pulumi.output(`${appName}.${ns}.svc`);
    this.port = pulumi.output(POSTGRES_PORT);
    this.database = pulumi.output(FOUNDATION_NAMES.databaseName);
    this.jdbcUrl = pulumi.output(
      `jdbc:postgresql://${appName}.${ns}.svc:${POSTGRES_PORT}/${FOUNDATION_NAMES.databaseName}`,
    );
    this.credentialsSecret = pulumi.output(FOUNDATION_NAMES.databaseCredentials);
    this.ready = statefulSet.status;
    this.registerOutputs({
      ready: this.ready,
      host: this.host,
      port: this.port,
      database: this.database,
      jdbcUrl: this.jdbcUrl,
      credentialsSecret: this.credentialsSecret,
    });
  }
}
