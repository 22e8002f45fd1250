/**
 * Where the live S3 probe talks and as whom: the object store's endpoint and credentials from config, the
 * environment, or Rook's CephObjectStore status plus a Secret. Apart from s3.ts (the round trip), so resolving the
 * target, a Kubernetes read, does not load the S3 client: probes/index.ts loads that after the Secret has
 * answered, when the Kubernetes lists are already on the wire (docs/performance.md, CLI start-up).
 */
import type { LakehouseConfig } from "../config/schema";
import type { KubeObject } from "../model";

/** Where and as whom the probe talks S3. Never print `accessKeyId`/`secretAccessKey`. */
export interface S3Target {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Human-readable origin of endpoint and keys, e.g. `CephObjectStore storage/storage + Secret storage/s3-keys`. */
  discoveredFrom: string;
}

/** What the resolver may read from the cluster. The live probes fill it; tests pass plain objects. */
export interface S3KubeAccess {
  /** The configured CephObjectStore (`cluster.cephNamespace`/`cluster.objectStore`), when it could be read. */
  objectStore?: KubeObject;
  /**
   * Reads a Secret's `data` exactly as the API returns it (values base64-encoded); undefined when the Secret
   * does not exist. May reject (e.g. 403): the resolver turns that into a reason.
   */
  readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

/** Environment variables that name an S3 endpoint, in order of precedence (the AWS SDK's own, then the common one). */
export const ENDPOINT_ENV = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "S3_ENDPOINT"] as const;

/** Key names a credentials Secret may use: an ObjectBucketClaim's, then a CephObjectStoreUser's. */
const SECRET_KEY_PAIRS = [
  ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
  ["AccessKey", "SecretKey"],
] as const;

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

/** The endpoint Rook publishes in a CephObjectStore's status (`endpoints.insecure[0]`, `.secure[0]`, `info.endpoint`). */
function objectStoreEndpoint(store: KubeObject | undefined): string | undefined {
  const status = (store?.status ?? {}) as {
    endpoints?: { insecure?: unknown[]; secure?: unknown[] };
    info?: { endpoint?: unknown; secureEndpoint?: unknown };
  };
  return (
    str(status.endpoints?.insecure?.[0]) ??
    str(status.info?.endpoint) ??
    str(status.endpoints?.secure?.[0]) ??
    str(status.info?.secureEndpoint)
  );
}

function storeName(store: KubeObject | undefined): string {
  return `${store?.metadata?.namespace ?? "?"}/${store?.metadata?.name ?? "?"}`;
}

const HOW_TO_ENDPOINT =
  "set lakehouse:s3.endpoint in the stack config (e.g. `pulumi config set lakehouse:s3.endpoint http://HOST:PORT`), " +
  "export AWS_ENDPOINT_URL_S3, or make sure the CephObjectStore reports status.endpoints";
const HOW_TO_KEYS =
  "set lakehouse:s3.accessKeyId and lakehouse:s3.secretAccessKey (`pulumi config set --secret`), export " +
  "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or set lakehouse:s3.credentialsSecret to NAMESPACE/NAME of a Secret " +
  "with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (ObjectBucketClaim) or AccessKey/SecretKey (CephObjectStoreUser)";

/**
 * Finds the S3 endpoint and credentials for the probe.
 *
 * Endpoint: `config.s3.endpoint`, else env `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` / `S3_ENDPOINT`, else the
 * CephObjectStore's `status.endpoints.insecure[0]` / `status.info.endpoint`.
 * Keys: `config.s3.accessKeyId` + `secretAccessKey`, else env `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY`,
 * else the Secret named by `config.s3.credentialsSecret` ("namespace/name").
 *
 * Resolves `{ reason }` (never rejects) when something is missing; the reason says what and how to provide it.
 */
export async function resolveS3Target(
  config: Pick<LakehouseConfig, "s3">,
  kube: S3KubeAccess,
  env: NodeJS.ProcessEnv,
): Promise<S3Target | { reason: string }> {
  const s3 = config.s3;

  let endpoint: string | undefined;
  let endpointFrom: string;
  const envName = ENDPOINT_ENV.find((n) => str(env[n]));
  if (str(s3.endpoint)) {
    endpoint = s3.endpoint.trim();
    endpointFrom = "config";
  } else if (envName) {
    endpoint = str(env[envName])!;
    endpointFrom = `env ${envName}`;
    if (!isHttpUrl(endpoint)) {
      return {
        reason: `Environment variable ${envName} is "${endpoint}", which is not an http(s) URL; set it to e.g. http://HOST:PORT.`,
      };
    }
  } else {
    endpoint = objectStoreEndpoint(kube.objectStore);
    endpointFrom = `CephObjectStore ${storeName(kube.objectStore)}`;
    if (!endpoint) {
      const seen = kube.objectStore
        ? `CephObjectStore ${storeName(kube.objectStore)} reports no status.endpoints or status.info.endpoint`
        : "no CephObjectStore could be read";
      return {
        reason: `No S3 endpoint: lakehouse:s3.endpoint is empty, ${ENDPOINT_ENV.join("/")} are unset and ${seen}; ${HOW_TO_ENDPOINT}.`,
      };
    }
    if (!isHttpUrl(endpoint)) {
      return {
        reason: `${endpointFrom} reports endpoint "${endpoint}", which is not an http(s) URL; ${HOW_TO_ENDPOINT}.`,
      };
    }
  }

  let accessKeyId: string | undefined;
  let secretAccessKey: string | undefined;
  let keysFrom: string;
  const cfgId = str(s3.accessKeyId);
  const cfgSecret = str(s3.secretAccessKey);
  const envId = str(env.AWS_ACCESS_KEY_ID);
  const envSecret = str(env.AWS_SECRET_ACCESS_KEY);
  if (cfgId || cfgSecret) {
    if (!cfgId || !cfgSecret) {
      const [set, unset] = cfgId ? ["accessKeyId", "secretAccessKey"] : ["secretAccessKey", "accessKeyId"];
      return {
        reason: `lakehouse:s3.${set} is set but lakehouse:s3.${unset} is empty; set both (\`pulumi config set --secret lakehouse:s3.${unset} ...\`).`,
      };
    }
    [accessKeyId, secretAccessKey, keysFrom] = [cfgId, cfgSecret, "config"];
  } else if (envId || envSecret) {
    if (!envId || !envSecret) {
      const [set, unset] = envId
        ? ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        : ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"];
      return { reason: `Environment variable ${set} is set but ${unset} is not; export both.` };
    }
    [accessKeyId, secretAccessKey, keysFrom] = [envId, envSecret, "env"];
  } else if (str(s3.credentialsSecret)) {
    const ref = s3.credentialsSecret.trim();
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(ref);
    if (!m) {
      return {
        reason: `lakehouse:s3.credentialsSecret is "${ref}"; expected NAMESPACE/NAME of a Kubernetes Secret, e.g. storage/rook-ceph-object-user-storage-lakehouse.`,
      };
    }
    const [ns, name] = [m[1], m[3]];
    let data: Record<string, string> | undefined;
    try {
      data = await kube.readSecret(ns, name);
    } catch (e) {
      return {
        reason: `Could not read Secret ${ns}/${name} (lakehouse:s3.credentialsSecret): ${(e as Error).message}. Grant the preflight identity \`get\` on secrets in namespace ${ns}, or provide the keys another way: ${HOW_TO_KEYS}.`,
      };
    }
    if (!data) {
      return {
        reason: `Secret ${ns}/${name} (lakehouse:s3.credentialsSecret) does not exist; create it or point lakehouse:s3.credentialsSecret at the right Secret.`,
      };
    }
    const pair = SECRET_KEY_PAIRS.find(([i, s]) => str(data![i]) && str(data![s]));
    if (!pair) {
      const keys = Object.keys(data).sort().join(", ") || "none";
      return {
        reason: `Secret ${ns}/${name} (lakehouse:s3.credentialsSecret) has keys [${keys}]; expected AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY or AccessKey + SecretKey.`,
      };
    }
    accessKeyId = Buffer.from(data[pair[0]], "base64").toString("utf8").trim();
    secretAccessKey = Buffer.from(data[pair[1]], "base64").toString("utf8").trim();
    if (!accessKeyId || !secretAccessKey) {
      return {
        reason: `Secret ${ns}/${name} (lakehouse:s3.credentialsSecret) has empty ${pair[0]}/${pair[1]} values; fill them in.`,
      };
    }
    keysFrom = `Secret ${ns}/${name}`;
  } else {
    return { reason: `No S3 credentials: ${HOW_TO_KEYS}.` };
  }

  return {
    endpoint,
    region: s3.region,
    accessKeyId,
    secretAccessKey,
    discoveredFrom: endpointFrom === keysFrom ? endpointFrom : `${endpointFrom} + ${keysFrom}`,
  };
}
