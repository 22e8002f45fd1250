/**
 * The one shape of every verification helper Job (foundation checks, the sample job's file staging, the Airflow
 * DAG run), its object names and run label, and what its containers share: a Python script run from the wheels
 * of the in-cluster artifact cache, the environment that reaches a bucket. Pure: jobs.ts runs the Jobs.
 */
import type {
  V1Container,
  V1EnvVar,
  V1Job,
  V1ResourceRequirements,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import {
  artifactVolumeSize,
  cacheFetchContainer,
  PYTHON_WHEELS,
  type CacheReader,
} from "../../stacks/platform/artifacts";
import { PYTHON_PACKAGES, type BucketTarget } from "../targets";
/** Label that marks every object of one verification run (for cleanup with a selector). */
export const RUN_LABEL = "lakehouse.dev/verify-run";

export const secretEnv = (name: string, secret: string, key: string): V1EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secret, key } },
});

/** S3_ENDPOINT, S3_BUCKET and the keys for a bucket (the keys by reference to their Secret). */
export function bucketEnv(b: BucketTarget, region: string): V1EnvVar[] {
  return [
    { name: "S3_ENDPOINT", value: b.endpoint },
    { name: "S3_BUCKET", value: b.bucket },
    secretEnv("AWS_ACCESS_KEY_ID", b.secret, b.accessKeyKey),
    secretEnv("AWS_SECRET_ACCESS_KEY", b.secret, b.secretKeyKey),
    { name: "AWS_REGION", value: region },
    // Ceph RGW before Reef answers recent AWS SDKs' flexible-checksum uploads with HTTP 411.
    { name: "AWS_REQUEST_CHECKSUM_CALCULATION", value: "when_required" },
    { name: "AWS_RESPONSE_CHECKSUM_VALIDATION", value: "when_required" },
  ];
}

/** Where a Python Job's init container puts the wheels from the artifact cache. */
const WHEELS_DIR = "/wheels";

/**
 * A shell line that runs a Python script, pip-installing the pinned packages first unless the image has them:
 * from the wheels in `wheelsDir` only (`--no-index`), which the Job's init container copied out of the
 * in-cluster artifact cache; pip never reaches PyPI. The ping needs only the Thrift bindings inside pyiceberg;
 * the round trip also needs pyarrow (~150 MB installed).
 */
export function pythonCommand(
  script: string,
  withArrow = true,
  dirs: { wheels: string; scripts: string; target: string } = {
    wheels: WHEELS_DIR,
    scripts: "/scripts",
    target: "/tmp/py",
  },
): string[] {
  const pins = PYTHON_PACKAGES.filter((p) => withArrow || !p.startsWith("pyarrow"))
    .map((p) => `'${p}'`)
    .join(" ");
  const imports = withArrow ? "pyiceberg, pyarrow, thrift" : "pyiceberg, thrift";
  return [
    "sh",
    "-c",
    `set -e; if ! python -c 'import ${imports}' 2>/dev/null; then ` +
      `python -m pip install --no-cache-dir --quiet --disable-pip-version-check --no-index --find-links ${dirs.wheels} ` +
      `--target ${dirs.target} ${pins} >&2; fi; ` +
      `PYTHONPATH=${dirs.target} exec python ${dirs.scripts}/${script}`,
  ];
}

/** The wheels a Python Job needs: all of PYTHON_WHEELS, or those without pyarrow. */
export function jobWheels(withArrow: boolean): typeof PYTHON_WHEELS {
  return PYTHON_WHEELS.filter((w) => withArrow || !w.forArrow);
}

/**
 * The init container, volume and mount that give a Python Job its wheels from the in-cluster artifact cache
 * (sha256-checked; a missing wheel stops the Job with one line naming it and the fix).
 */
export function wheelsFromCache(
  tools: string,
  cache: CacheReader,
  withArrow: boolean,
): { initContainers: V1Container[]; volumes: V1Volume[]; volumeMounts: V1VolumeMount[] } {
  const wheels = jobWheels(withArrow);
  return {
    initContainers: [
      cacheFetchContainer({
        name: "fetch-wheels",
        image: tools,
        artifacts: wheels,
        volume: "wheels",
        dir: WHEELS_DIR,
        reader: cache,
      }) as V1Container,
    ],
    volumes: [{ name: "wheels", emptyDir: { sizeLimit: artifactVolumeSize(wheels) } }],
    volumeMounts: [{ name: "wheels", mountPath: WHEELS_DIR, readOnly: true }],
  };
}

/** Kubernetes name for a run's object: `lakehouse-verify-<what>-<runId>`, at most 63 characters. */
export function objectName(what: string, runId: string): string {
  return `lakehouse-verify-${what}-${runId}`.slice(0, 63).replace(/-+$/, "");
}

/** What differs between the verification's helper Jobs; everything else is the one shape below. */
interface VerificationJobSpec {
  name: string;
  namespace: string;
  /** Labels of the Job and its pod. */
  labels: Record<string, string>;
  image: string;
  command: string[];
  /** The container's whole environment. */
  env: V1EnvVar[];
  /** `activeDeadlineSeconds`: the cluster stops a hung Job even if the runner that created it is gone. */
  timeoutSeconds: number;
  priorityClassName?: string;
  /** The ConfigMap mounted read-only at /scripts, and its files' mode (unset: the API's default, 0644). */
  scripts: { configMap: string; defaultMode?: number };
  /** A writable emptyDir at /tmp (2 GiB; pip and pyarrow unpack there). @default true */
  tmp?: boolean;
  /** @default requests 100m / 256Mi, limit 1Gi */
  resources?: V1ResourceRequirements;
  initContainers?: V1Container[];
  volumes?: V1Volume[];
  volumeMounts?: V1VolumeMount[];
}

/**
 * A verification helper Job: one container, run once (no retries, no restarts), non-root with a read-only root
 * file system and no capabilities, no service-account token, cleaned up by TTL an hour after it ends. The one
 * pod shape of every helper Job (foundation checks, the sample job's file staging, the Airflow DAG run). Pure.
 */
export function verificationJob(spec: VerificationJobSpec): V1Job {
  const tmp = spec.tmp ?? true;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: spec.timeoutSeconds,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: spec.labels },
        spec: {
          restartPolicy: "Never",
          ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            seccompProfile: { type: "RuntimeDefault" },
          },
          ...(spec.initContainers ? { initContainers: spec.initContainers } : {}),
          containers: [
            {
              name: "verify",
              image: spec.image,
              imagePullPolicy: "IfNotPresent",
              command: spec.command,
              env: spec.env,
              resources: spec.resources ?? {
                requests: { cpu: "100m", memory: "256Mi" },
                limits: { memory: "1Gi" },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: "scripts", mountPath: "/scripts", readOnly: true },
                ...(tmp ? [{ name: "tmp", mountPath: "/tmp" }] : []),
                ...(spec.volumeMounts ?? []),
              ],
            },
          ],
          volumes: [
            {
              name: "scripts",
              configMap: {
                name: spec.scripts.configMap,
                ...(spec.scripts.defaultMode !== undefined ? { defaultMode: spec.scripts.defaultMode } : {}),
              },
            },
            ...(tmp ? [{ name: "tmp", emptyDir: { sizeLimit: "2Gi" } }] : []),
            ...(spec.volumes ?? []),
          ],
        },
      },
    },
  };
}
