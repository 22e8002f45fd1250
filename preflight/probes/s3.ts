/**
 * The live S3 probe behind `state.s3-api`: find the object store's endpoint and credentials (config, env, or
 * Rook's CephObjectStore status plus a Secret), then list buckets and put/get/delete a probe object in a
 * scratch bucket. It observes only (a probe never decides pass/fail), never throws, never hangs (every request
 * has a timeout) and never puts a key in its output.
 */
import { randomBytes } from "node:crypto";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { LakehouseConfig } from "../config/schema";
import type { KubeObject, S3Observation, S3Step } from "../model";

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

interface ProbeS3Options {
  /** Bucket for the put/get/delete round trip; created when missing and then removed again. */
  scratchBucket: string;
  /** Per-request timeout (connect + response), ms. */
  timeoutMs: number;
}

/** Replaces both keys wherever they appear (some S3 servers echo the access key id in error bodies). */
function scrub(text: string, target: S3Target): string {
  let out = text;
  // Very short "keys" (test values) would mangle ordinary words; real ones are 16+ characters.
  for (const k of [target.secretAccessKey, target.accessKeyId])
    if (k && k.length >= 4) out = out.split(k).join("***");
  return out;
}

/** One line for a failed S3 call: what kind of failure, in words an operator can act on. Never contains keys. */
export function describeS3Error(e: unknown, target: S3Target, timeoutMs: number): string {
  const err = (e ?? {}) as {
    name?: string;
    code?: string;
    Code?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    cause?: { code?: string; message?: string };
    errors?: { code?: string }[];
  };
  const sysCode = err.code ?? err.cause?.code ?? err.errors?.[0]?.code;
  const status = err.$metadata?.httpStatusCode;
  const name = err.Code ?? err.name ?? "Error";
  const host = (() => {
    try {
      return new URL(target.endpoint).host;
    } catch {
      return target.endpoint;
    }
  })();
  let detail: string;
  if (
    name === "TimeoutError" ||
    name === "AbortError" ||
    sysCode === "ETIMEDOUT" ||
    /timed? ?out/i.test(err.message ?? "")
  ) {
    detail = `no answer from ${host} within ${timeoutMs} ms (timeout)`;
  } else if (sysCode === "ECONNREFUSED") {
    detail = `connection to ${host} refused (ECONNREFUSED): nothing listens there; check lakehouse:s3.endpoint or port-forward the RGW service`;
  } else if (sysCode === "ENOTFOUND" || sysCode === "EAI_AGAIN") {
    const inCluster = /\.svc(\.cluster\.local)?$/.test(host.replace(/:\d+$/, ""));
    detail = `host of ${target.endpoint} does not resolve (${sysCode})${
      inCluster
        ? "; it is a cluster-internal name: set lakehouse:s3.endpoint to an address reachable from here"
        : ""
    }`;
  } else if (name === "InvalidAccessKeyId") {
    detail = `${status ?? 403} InvalidAccessKeyId: the object store does not know this access key; check the credentials (${target.discoveredFrom})`;
  } else if (name === "SignatureDoesNotMatch") {
    detail = `${status ?? 403} SignatureDoesNotMatch: the secret key does not match the access key; check the credentials (${target.discoveredFrom})`;
  } else if (name === "AccessDenied") {
    detail = `${status ?? 403} AccessDenied: the identity may not do this; grant it the S3 permission or use another user`;
  } else if (status === 411) {
    detail =
      "411 MissingContentLength: the server rejected an aws-chunked upload (Ceph before Reef); the client must send checksums only when required";
  } else {
    detail = `${status ? `${status} ` : ""}${name}${sysCode && sysCode !== name ? ` (${sysCode})` : ""}: ${err.message ?? String(e)}`;
  }
  return scrub(detail, target);
}

/**
 * The S3 client every probe uses: path-style, checksums only when required, one attempt. `requestHandler`
 * replaces the default timeouts (the bandwidth probe sets an inactivity timeout and a bigger socket pool).
 */
export function s3Client(
  target: S3Target,
  timeoutMs: number,
  requestHandler?: NonNullable<ConstructorParameters<typeof S3Client>[0]>["requestHandler"],
): S3Client {
  // The SDK warns on every Node 20 process that releases after early 2027 will need Node 22. The lock file
  // pins a release that supports Node 20, so the warning only adds noise to the CLI's
  // stderr; an operator who wants it can set the variable to "false".
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    // Ceph RGW serves buckets under the path; virtual-host names would need wildcard DNS in the homelab.
    forcePathStyle: true,
    // Recent AWS SDKs (v3 since early 2025) add CRC32 checksums to every upload and stream it as aws-chunked;
    // RGW before Reef (Ceph 16/17) rejects that with HTTP 411 MissingContentLength. Only checksum when the
    // operation requires it, and do not insist on response checksums RGW may not send.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // One attempt: the probe reports what it saw within its timeout instead of retrying past it.
    maxAttempts: 1,
    requestHandler: requestHandler ?? { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
}

/**
 * Lists buckets, creates the scratch bucket when missing, puts a random probe object, reads it back and
 * compares the bytes, deletes it, and removes the bucket only if this probe created it. Each step is timed and
 * bounded by `timeoutMs`. Stops at the first failed step (still deleting what it created). Never rejects.
 */
export async function probeS3(target: S3Target, opts: ProbeS3Options): Promise<S3Observation> {
  const steps: S3Step[] = [];
  const base = {
    state: "done" as const,
    endpoint: target.endpoint,
    discoveredFrom: target.discoveredFrom,
    steps,
  };
  let client: S3Client;
  try {
    client = s3Client(target, opts.timeoutMs);
  } catch (e) {
    steps.push({
      name: "list-buckets",
      ok: false,
      ms: 0,
      detail: `could not create the S3 client: ${describeS3Error(e, target, opts.timeoutMs)}`,
    });
    return base;
  }
  const bucket = opts.scratchBucket;

  /** Runs one step; resolves its result, or undefined after recording the failure. */
  const step = async <T>(
    name: S3Step["name"],
    fn: (signal: AbortSignal) => Promise<T>,
    ok: (r: T) => string,
  ): Promise<T | undefined> => {
    const t0 = performance.now();
    // The AbortSignal bounds the whole call (DNS, connect, TLS, body); the handler timeouts alone do not cover DNS.
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), opts.timeoutMs);
    try {
      const r = await fn(ctl.signal);
      steps.push({ name, ok: true, ms: Math.round(performance.now() - t0), detail: scrub(ok(r), target) });
      return r;
    } catch (e) {
      const detail = ctl.signal.aborted
        ? describeS3Error({ name: "TimeoutError" }, target, opts.timeoutMs)
        : describeS3Error(e, target, opts.timeoutMs);
      steps.push({ name, ok: false, ms: Math.round(performance.now() - t0), detail });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    const listed = await step(
      "list-buckets",
      (abortSignal) => client.send(new ListBucketsCommand({}), { abortSignal }),
      (r) => `${r.Buckets?.length ?? 0} bucket(s) visible`,
    );
    if (!listed) return base;
    const existed = (listed.Buckets ?? []).some((b) => b.Name === bucket);

    let created = false;
    if (existed) {
      steps.push({
        name: "create-bucket",
        ok: true,
        ms: 0,
        detail: `bucket ${bucket} already exists; using it and leaving it in place`,
      });
    } else {
      const made = await step(
        "create-bucket",
        (abortSignal) => client.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal }),
        () => `created scratch bucket ${bucket}`,
      );
      if (!made) return base;
      created = true;
    }

    const key = `lakehouse-preflight/probe-${Date.now()}-${randomBytes(4).toString("hex")}.bin`;
    const payload = randomBytes(1024);
    const put = await step(
      "put-object",
      (abortSignal) =>
        client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: payload, ContentLength: payload.length }),
          { abortSignal },
        ),
      () => `wrote ${payload.length} bytes to ${bucket}/${key}`,
    );
    if (put) {
      await step(
        "get-object",
        async (abortSignal) => {
          const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
          const got = Buffer.from((await r.Body?.transformToByteArray()) ?? []);
          if (!got.equals(payload)) {
            throw Object.assign(
              new Error(`read back ${got.length} bytes that differ from the ${payload.length} bytes written`),
              {
                name: "ContentMismatch",
              },
            );
          }
          return got.length;
        },
        (n) => `read back ${n} bytes, identical to what was written`,
      );
      await step(
        "delete-object",
        (abortSignal) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }),
        () => `deleted ${bucket}/${key}`,
      );
    }

    if (created) {
      await step(
        "cleanup",
        (abortSignal) => client.send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal }),
        () => `removed scratch bucket ${bucket}`,
      );
    } else {
      steps.push({
        name: "cleanup",
        ok: true,
        ms: 0,
        detail: `bucket ${bucket} existed before the probe; left in place`,
      });
    }
    return base;
  } catch (e) {
    // Not expected (each step catches), but a probe never throws.
    steps.push({
      name: "cleanup",
      ok: false,
      ms: 0,
      detail: `probe aborted: ${describeS3Error(e, target, opts.timeoutMs)}`,
    });
    return base;
  } finally {
    client.destroy();
  }
}
