/**
 * The live storage-bandwidth probe behind `risk.storage-bandwidth`: measures the object store the way the
 * engines read it. One generated object is written by multipart upload (parts in parallel, as Trino and Spark
 * write large files) and read back with parallel ranged GETs (as they split Parquet reads), from the host the
 * preflight runs on; then it is removed. It observes only: write and read rates, time to first byte, and what
 * failed. Never throws, never puts a key in its output.
 *
 * Bounded: write + read stop at `boundMs` (every in-flight request is aborted); each request also gives up
 * after `requestTimeoutMs` without a byte (connect or inactivity); cleanup then gets its own `requestTimeoutMs`.
 * So the probe ends within `boundMs + requestTimeoutMs`, whatever the endpoint does.
 */
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import * as http from "node:http";
import * as https from "node:https";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { BandwidthObservation, BandwidthPhase } from "../model";
import { describeS3Error, s3Client } from "./s3";
import type { S3Target } from "./s3Target";

/** Where probe objects live in the scratch bucket (a leftover is easy to find and delete). */
export const BANDWIDTH_PREFIX = "lakehouse-preflight/bandwidth-";

interface BandwidthOptions {
  /** The scratch bucket (`lakehouse:s3.scratchBucket`); created when missing and then removed again. */
  bucket: string;
  objectBytes: number;
  /** Multipart part size and ranged-GET size. */
  partBytes: number;
  /** Parts uploaded, and ranges read, at once. */
  parallelism: number;
  /** No answer (connect, or no byte for this long) fails a request; also the cleanup's budget. */
  requestTimeoutMs: number;
  /** Deadline of write + read. */
  boundMs: number;
}

type Done = Extract<BandwidthObservation, { state: "done" }>;

/** Byte ranges `[start, end]` (inclusive, as HTTP Range) that cover `total` in pieces of `size`. Pure. */
export function byteRanges(total: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < total; start += size) out.push([start, Math.min(start + size, total) - 1]);
  return out;
}

/** Nearest-rank percentile (p in 0..100) of a list; null when empty. Pure. */
export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * Runs `fn` over `items`, `width` at a time. The first failure aborts the others (their requests see the
 * signal) and is rethrown once all have settled; so is the parent signal's abort.
 */
async function inParallel<T>(
  items: readonly T[],
  width: number,
  parent: AbortSignal,
  fn: (item: T, index: number, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const ctl = new AbortController();
  // Each request in flight and each body being read listens on the signal: more than Node's default 10.
  setMaxListeners(4 * width + 16, ctl.signal);
  const onAbort = (): void => ctl.abort();
  parent.addEventListener("abort", onAbort, { once: true });
  let next = 0;
  let first: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !ctl.signal.aborted) {
      const i = next++;
      try {
        await fn(items[i], i, ctl.signal);
      } catch (error) {
        first ??= { error };
        ctl.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  } finally {
    parent.removeEventListener("abort", onAbort);
  }
  if (first) throw first.error;
  if (parent.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" });
}

/**
 * Reads a response body to its end, counting bytes (`data` events: cheaper than async iteration, which costs
 * a promise per chunk on the CPU the measurement is about); destroyed, and rejecting, when `signal` aborts.
 */
function drain(body: Readable, signal: AbortSignal, onBytes: (n: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const onAbort = (): void => {
      body.destroy(Object.assign(new Error("aborted"), { name: "AbortError" }));
    };
    const settle = (fn: () => void): void => {
      signal.removeEventListener("abort", onAbort);
      fn();
    };
    body.on("data", (chunk: Buffer) => {
      n += chunk.length;
      onBytes(chunk.length);
    });
    body.once("end", () => settle(() => resolve(n)));
    body.once("error", (e) => settle(() => reject(e)));
    // A destroyed stream without an error (e.g. the socket closed) emits only `close`: a short read then.
    body.once("close", () => settle(() => resolve(n)));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}

const isNotFound = (e: unknown): boolean => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.$metadata?.httpStatusCode === 404 || err?.name === "NotFound" || err?.name === "NoSuchBucket";
};

/**
 * Writes one generated object of `objectBytes` by multipart upload, reads it back with ranged GETs, removes
 * it (and the scratch bucket, when the probe created it). Resolves what it measured; never rejects.
 */
export async function probeStorageBandwidth(
  target: S3Target,
  opts: BandwidthOptions,
): Promise<BandwidthObservation> {
  const t0 = performance.now();
  const since = (t: number): number => Math.round(performance.now() - t);
  const { bucket, objectBytes, partBytes, parallelism } = opts;
  const key = `${BANDWIDTH_PREFIX}${Date.now()}-${randomBytes(4).toString("hex")}.bin`;
  const write: BandwidthPhase = { bytes: 0, ms: 0, complete: false };
  const obs: Done = {
    state: "done",
    endpoint: target.endpoint,
    discoveredFrom: target.discoveredFrom,
    bucket,
    key,
    objectBytes,
    partBytes,
    parallelism,
    boundMs: opts.boundMs,
    write,
    cleanup: { ok: true, detail: "nothing was written" },
    wallMs: 0,
  };
  // One connection per request in flight, kept alive between parts and ranges (as the engines' pools do).
  const agentOpts = { keepAlive: true, maxSockets: parallelism + 2 };
  const httpAgent = new http.Agent(agentOpts);
  const httpsAgent = new https.Agent(agentOpts);
  let client: S3Client;
  try {
    client = s3Client(target, opts.requestTimeoutMs, {
      connectionTimeout: opts.requestTimeoutMs,
      // Inactivity, not total time: a large part on a slow link may take longer, a stalled one may not.
      socketTimeout: opts.requestTimeoutMs,
      httpAgent,
      httpsAgent,
    });
  } catch (e) {
    obs.failure = {
      step: "bucket",
      timedOut: false,
      detail: describeS3Error(e, target, opts.requestTimeoutMs),
    };
    obs.wallMs = since(t0);
    return obs;
  }

  const bound = new AbortController();
  setMaxListeners(4 * parallelism + 16, bound.signal);
  const timer = setTimeout(() => bound.abort(), opts.boundMs);
  const fail = (step: "bucket" | "write" | "read", e: unknown): void => {
    const timedOut = bound.signal.aborted;
    obs.failure = {
      step,
      timedOut,
      detail: timedOut
        ? `did not finish within the probe's bound of ${Math.round(opts.boundMs / 1000)} s`
        : describeS3Error(e, target, opts.requestTimeoutMs),
    };
  };

  let createdBucket = false;
  let uploadId: string | undefined;
  try {
    // The bucket: used when it exists, else created for the probe and removed afterwards.
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: bound.signal });
    } catch (e) {
      if (!isNotFound(e)) throw Object.assign(new Error("bucket"), { step: "bucket", cause: e });
      try {
        await client.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal: bound.signal });
      } catch (e2) {
        throw Object.assign(new Error("bucket"), { step: "bucket", cause: e2 });
      }
      createdBucket = true;
    }

    // Write: parts of one random buffer (incompressible; the same bytes in every part cost no extra memory).
    const payload = randomBytes(Math.min(partBytes, objectBytes));
    const parts = byteRanges(objectBytes, partBytes);
    const tw = performance.now();
    try {
      uploadId = (
        await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), {
          abortSignal: bound.signal,
        })
      ).UploadId;
      if (!uploadId) throw new Error("CreateMultipartUpload answered without an UploadId");
      const etags: string[] = new Array<string>(parts.length);
      const id = uploadId;
      await inParallel(parts, parallelism, bound.signal, async ([start, end], i, signal) => {
        const len = end - start + 1;
        const r = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: id,
            PartNumber: i + 1,
            Body: payload.subarray(0, len),
            ContentLength: len,
          }),
          { abortSignal: signal },
        );
        etags[i] = r.ETag ?? "";
        write.bytes += len;
      });
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: id,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
        { abortSignal: bound.signal },
      );
      write.complete = true;
    } catch (e) {
      throw Object.assign(new Error("write"), { step: "write", cause: e });
    } finally {
      write.ms = since(tw);
    }

    // Read: ranged GETs of part size, `parallelism` in flight, every byte counted (not compared: the
    // comparison would cost the CPU the measurement is about; a short or long range is a failure).
    const read: NonNullable<Done["read"]> = {
      bytes: 0,
      ms: 0,
      complete: false,
      ttfbMedianMs: null,
      ttfbP95Ms: null,
      requests: 0,
    };
    obs.read = read;
    const ttfb: number[] = [];
    const tr = performance.now();
    try {
      await inParallel(parts, parallelism, bound.signal, async ([start, end], _i, signal) => {
        const ts = performance.now();
        read.requests++;
        const r = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }),
          { abortSignal: signal },
        );
        ttfb.push(performance.now() - ts);
        const n = await drain(r.Body as Readable, signal, (k) => (read.bytes += k));
        if (n !== end - start + 1) {
          throw Object.assign(
            new Error(`range bytes=${start}-${end} returned ${n} bytes, expected ${end - start + 1}`),
            { name: "ShortRead" },
          );
        }
      });
      read.complete = true;
    } catch (e) {
      throw Object.assign(new Error("read"), { step: "read", cause: e });
    } finally {
      read.ms = since(tr);
      read.ttfbMedianMs = ttfb.length ? Math.round(percentile(ttfb, 50)!) : null;
      read.ttfbP95Ms = ttfb.length ? Math.round(percentile(ttfb, 95)!) : null;
    }
  } catch (e) {
    const err = e as { step?: "bucket" | "write" | "read"; cause?: unknown };
    fail(err.step ?? "bucket", err.cause ?? e);
  } finally {
    clearTimeout(timer);
    obs.cleanup = await cleanup(client, target, opts, {
      key,
      uploadId,
      complete: write.complete,
      createdBucket,
    });
    client.destroy();
    httpAgent.destroy();
    httpsAgent.destroy();
    obs.wallMs = since(t0);
  }
  return obs;
}

/**
 * Removes what the probe wrote, within `requestTimeoutMs` in all: an unfinished multipart upload is aborted
 * (its parts dropped), the object deleted, a bucket the probe created deleted. Never rejects.
 */
async function cleanup(
  client: S3Client,
  target: S3Target,
  opts: BandwidthOptions,
  w: { key: string; uploadId?: string; complete: boolean; createdBucket: boolean },
): Promise<Done["cleanup"]> {
  if (!w.uploadId && !w.createdBucket) return { ok: true, detail: "nothing was written" };
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.requestTimeoutMs);
  const where = `${opts.bucket}/${w.key}`;
  let step = "";
  try {
    if (w.uploadId && !w.complete) {
      step = "abort the multipart upload";
      // CompleteMultipartUpload may have succeeded without its answer arriving: NoSuchUpload is fine then.
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: opts.bucket, Key: w.key, UploadId: w.uploadId }), {
          abortSignal: ctl.signal,
        })
        .catch((e: unknown) => {
          if ((e as { name?: string }).name !== "NoSuchUpload" && !isNotFound(e)) throw e;
        });
    }
    if (w.uploadId) {
      step = "delete the probe object";
      await client.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: w.key }), {
        abortSignal: ctl.signal,
      });
    }
    if (w.createdBucket) {
      step = "delete the scratch bucket";
      await client.send(new DeleteBucketCommand({ Bucket: opts.bucket }), { abortSignal: ctl.signal });
    }
    return {
      ok: true,
      detail: `removed ${w.uploadId ? where : "nothing written"}${w.createdBucket ? ` and the scratch bucket ${opts.bucket} it created` : ""}`,
    };
  } catch (e) {
    const why = ctl.signal.aborted
      ? `no answer within ${opts.requestTimeoutMs} ms`
      : describeS3Error(e, target, opts.requestTimeoutMs);
    return { ok: false, detail: `could not ${step} (${where}): ${why}` };
  } finally {
    clearTimeout(timer);
  }
}
