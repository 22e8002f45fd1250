/**
 * The live S3 probe behind `state.s3-api`: with the target s3Target.ts resolved (the object store's endpoint and
 * credentials from config, env, or Rook's CephObjectStore status plus a Secret), list buckets and put/get/delete a probe object in a
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
import type { S3Observation, S3Step } from "../model";
import type { S3Target } from "./s3Target";

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
