/**
 * The storage-bandwidth probe against a REAL Ceph radosgw (started once for this file), directly and through
 * local TCP proxies that misbehave the way a bad path to RGW does: slow reads, a connection cut halfway
 * through a read or an upload, an answer that stalls. Every case checks that the probe object (and any
 * unfinished multipart upload, and the scratch bucket it created) is gone afterwards, and that `risk.storage-
 * bandwidth` reads the observation as the operator should.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { strict as assert } from "node:assert";
import * as net from "node:net";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import type { BandwidthObservation, Facts } from "../../../preflight/model";
import {
  BANDWIDTH_PREFIX,
  byteRanges,
  percentile,
  probeStorageBandwidth,
} from "../../../preflight/probes/s3Bandwidth";
import type { S3Target } from "../../../preflight/probes/s3Target";
import { s3Client, startRadosgw, type Radosgw } from "../../../harness/radosgw";
import { config, healthy, run } from "../checks/helpers";

const MiB = 2 ** 20;
type Done = Extract<BandwidthObservation, { state: "done" }>;

/** What a proxy does to the bytes flowing through it. */
interface ProxyBehaviour {
  /** Downstream (RGW -> client) bytes per second per connection; unset = as fast as it comes. */
  downRate?: number;
  /** Destroy a connection once this many bytes went RGW -> client on it (a cut in the middle of a read). */
  cutDownAfter?: number;
  /** Destroy a connection once this many bytes went client -> RGW on it (a cut in the middle of an upload). */
  cutUpAfter?: number;
  /** Stop forwarding RGW -> client after this many bytes on a connection, keeping it open (a stall). */
  stallDownAfter?: number;
}

interface Proxy {
  endpoint: string;
  /** Connections cut or stalled so far. */
  incidents: number;
  close(): Promise<void>;
}

/** A TCP proxy in front of radosgw (SigV4 signs the Host header, which passes through unchanged). */
async function startProxy(upstream: string, b: ProxyBehaviour): Promise<Proxy> {
  const u = new URL(upstream);
  const sockets = new Set<net.Socket>();
  const state = { incidents: 0 };
  const server = net.createServer((client) => {
    const up = net.connect(Number(u.port), u.hostname);
    sockets.add(client).add(up);
    const kill = (): void => {
      client.destroy();
      up.destroy();
    };
    client.on("error", kill).on("close", kill);
    up.on("error", kill).on("close", kill);
    let upBytes = 0;
    client.on("data", (chunk: Buffer) => {
      upBytes += chunk.length;
      if (b.cutUpAfter !== undefined && upBytes > b.cutUpAfter) {
        state.incidents++;
        kill();
        return;
      }
      up.write(chunk);
    });
    let downBytes = 0;
    let stalled = false;
    let queue = Promise.resolve();
    up.on("data", (chunk: Buffer) => {
      if (stalled) return;
      downBytes += chunk.length;
      if (b.cutDownAfter !== undefined && downBytes > b.cutDownAfter) {
        state.incidents++;
        kill();
        return;
      }
      if (b.stallDownAfter !== undefined && downBytes > b.stallDownAfter) {
        state.incidents++;
        stalled = true;
        return;
      }
      if (b.downRate === undefined) {
        client.write(chunk);
        return;
      }
      // Throttle: each chunk leaves after the time its size takes at the rate (per connection, in order).
      up.pause();
      queue = queue
        .then(() => sleep((chunk.length / b.downRate!) * 1000))
        .then(() => {
          if (!client.destroyed) client.write(chunk);
          up.resume();
        });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get incidents() {
      return state.incidents;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The check's verdict on one observation (healthy facts otherwise). */
function judge(obs: BandwidthObservation, raw: Record<string, unknown> = {}) {
  const f: Facts = healthy();
  f.mode = "live";
  f.storageBandwidth = obs;
  return run("risk.storage-bandwidth", f, config(raw));
}

function done(o: BandwidthObservation): Done {
  assert.equal(o.state, "done", JSON.stringify(o));
  return o as Done;
}

describe("preflight/probes/s3Bandwidth: helpers (pure)", () => {
  it("covers an object with part-size ranges, the last one short", () => {
    assert.deepEqual(byteRanges(12, 5), [
      [0, 4],
      [5, 9],
      [10, 11],
    ]);
    assert.deepEqual(byteRanges(5, 5), [[0, 4]]);
    assert.deepEqual(byteRanges(3, 5), [[0, 2]]);
  });
  it("takes nearest-rank percentiles", () => {
    const xs = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    assert.equal(percentile(xs, 50), 5);
    assert.equal(percentile(xs, 95), 10);
    assert.equal(percentile([], 50), null);
  });
});

describe("preflight/probes/s3Bandwidth: probeStorageBandwidth against a real radosgw", function () {
  this.timeout(120_000);
  let rgw: Radosgw;
  let admin: S3Client;
  let target: S3Target;
  const proxies: Proxy[] = [];
  const hangs: net.Server[] = [];
  const hangSockets: net.Socket[] = [];

  before(async () => {
    rgw = await startRadosgw();
    target = { ...rgw, discoveredFrom: "test harness" };
    admin = s3Client(rgw);
  });
  after(async () => {
    for (const p of proxies) await p.close();
    for (const s of hangSockets) s.destroy();
    for (const h of hangs) await new Promise<void>((r) => h.close(() => r()));
    admin?.destroy();
    await rgw?.stop();
  });

  const proxy = async (b: ProxyBehaviour): Promise<S3Target> => {
    const p = await startProxy(rgw.endpoint, b);
    proxies.push(p);
    return { ...target, endpoint: p.endpoint };
  };
  const opts = (over: Partial<Parameters<typeof probeStorageBandwidth>[1]> = {}) => ({
    bucket: "bw-scratch",
    objectBytes: 12 * MiB,
    partBytes: 5 * MiB,
    parallelism: 3,
    requestTimeoutMs: 10_000,
    boundMs: 30_000,
    ...over,
  });

  /** Nothing of the probe is left: no object, no unfinished upload, and no bucket it created. */
  async function assertNothingLeft(bucket: string, bucketExisted = false): Promise<void> {
    const buckets = ((await admin.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);
    if (!bucketExisted) {
      assert.ok(!buckets.includes(bucket), `the scratch bucket ${bucket} the probe created was left behind`);
      return;
    }
    const objects = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: BANDWIDTH_PREFIX }));
    assert.equal(objects.KeyCount ?? 0, 0, `probe objects left: ${JSON.stringify(objects.Contents)}`);
    const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.equal(
      (uploads.Uploads ?? []).length,
      0,
      `unfinished uploads left: ${JSON.stringify(uploads.Uploads)}`,
    );
  }

  it("measures write and read rates and time to first byte, removes the object and the bucket it created; the check passes", async () => {
    const obs = done(await probeStorageBandwidth(target, opts({ bucket: "bw-fresh" })));
    assert.equal(obs.failure, undefined, JSON.stringify(obs));
    assert.deepEqual(obs.write.bytes, 12 * MiB);
    assert.ok(obs.write.complete && obs.write.ms > 0);
    assert.ok(obs.read?.complete, JSON.stringify(obs.read));
    assert.equal(obs.read.bytes, 12 * MiB);
    assert.equal(obs.read.requests, 3, "12 MiB in 5 MiB ranges");
    assert.ok(obs.read.ttfbMedianMs !== null && obs.read.ttfbP95Ms! >= obs.read.ttfbMedianMs);
    assert.ok(obs.cleanup.ok, obs.cleanup.detail);
    assert.match(obs.cleanup.detail, /and the scratch bucket bw-fresh it created/);
    await assertNothingLeft("bw-fresh");

    // At the verification's tiny scale the need is small: the loopback store passes, with its figures.
    const r = judge(obs, { analytics: { verifyScaleFactor: 0.01 } });
    assert.equal(r.status, "pass", r.observed);
    assert.match(
      r.observed,
      /^Measured from the host the preflight runs on, not from inside the cluster, against S3 at http:\/\/127\.0\.0\.1:\d+: read 12 MiB as 3 ranged GETs of 5 MiB, 3 at a time, at [\d.]+ [kMG]?B\/s \(time to first byte median \d+ ms, p95 \d+ ms\); wrote it by multipart upload at [\d.]+ [kMG]?B\/s\. Needed: 50\.4 kB\/s \(TPC-H Q5 reads 504 kB from storage at TPC-H scale 0\.01/,
    );
  });

  it("uses a scratch bucket that already exists and leaves it in place, empty", async () => {
    await admin.send(new CreateBucketCommand({ Bucket: "bw-existing" }));
    const obs = done(
      await probeStorageBandwidth(target, opts({ bucket: "bw-existing", objectBytes: 3 * MiB })),
    );
    assert.equal(obs.failure, undefined, JSON.stringify(obs));
    assert.equal(obs.read?.requests, 1, "an object smaller than a part is one part and one range");
    assert.doesNotMatch(obs.cleanup.detail, /scratch bucket/);
    await assertNothingLeft("bw-existing", true);
    await admin.send(new DeleteBucketCommand({ Bucket: "bw-existing" }));
  });

  it("with reads throttled by a proxy, the check warns naming the measured rate and the need", async () => {
    // 3 MB/s per connection (the 5 MiB range dominates): under 5 MB/s in all, far under the scale-10 need.
    const slow = await proxy({ downRate: 3e6 });
    const obs = done(await probeStorageBandwidth(slow, opts({ objectBytes: 6 * MiB, parallelism: 2 })));
    assert.equal(obs.failure, undefined, JSON.stringify(obs));
    const rate = (obs.read!.bytes * 1000) / obs.read!.ms;
    assert.ok(rate < 5e6, `throttled read measured ${rate} B/s`);
    const r = judge(obs);
    assert.equal(r.status, "warn", r.observed);
    assert.match(r.observed, /read 6 MiB as 2 ranged GETs of 5 MiB, 2 at a time, at [\d.]+ (kB|MB)\/s/);
    assert.match(
      r.observed,
      /Needed: 50\.4 MB\/s \(TPC-H Q5 reads 504 MB from storage at TPC-H scale 10, read within thresholds\.queryLatencySeconds 10 s\); the read rate is 0\.0\dx the need, so TPC-H Q5 would spend \d+\.\d s reading alone\./,
    );
    assert.match(r.remediation, /rerun from a machine on the cluster's network/);
    await assertNothingLeft("bw-scratch");
  });

  it("a connection cut halfway through a read: unknown, naming the read, and the object is still removed", async () => {
    const cut = await proxy({ cutDownAfter: 2 * MiB });
    const obs = done(await probeStorageBandwidth(cut, opts()));
    assert.equal(obs.failure?.step, "read", JSON.stringify(obs));
    assert.equal(obs.failure.timedOut, false);
    assert.ok(obs.write.complete);
    assert.ok(obs.cleanup.ok, obs.cleanup.detail);
    await assertNothingLeft("bw-scratch");
    const r = judge(obs);
    assert.equal(r.status, "unknown", r.observed);
    assert.match(r.observed, /: the read failed: .*; so far wrote 12\.6 MB of 12\.6 MB in [\d.]+ s/);
  });

  it("a connection cut halfway through the upload: the unfinished multipart upload is aborted", async () => {
    await admin.send(new CreateBucketCommand({ Bucket: "bw-upload-cut" }));
    const cut = await proxy({ cutUpAfter: 2 * MiB });
    const obs = done(await probeStorageBandwidth(cut, opts({ bucket: "bw-upload-cut" })));
    assert.equal(obs.failure?.step, "write", JSON.stringify(obs));
    assert.equal(obs.read, undefined);
    assert.ok(obs.cleanup.ok, obs.cleanup.detail);
    await assertNothingLeft("bw-upload-cut", true);
    await admin.send(new DeleteBucketCommand({ Bucket: "bw-upload-cut" }));
    const r = judge(obs);
    assert.equal(r.status, "unknown");
    assert.match(r.observed, /the write failed: /);
  });

  it("a read that stalls is cut by the bound: unknown within it, object removed", async () => {
    const stall = await proxy({ stallDownAfter: 1 * MiB });
    const t0 = Date.now();
    const obs = done(
      await probeStorageBandwidth(
        stall,
        opts({ objectBytes: 6 * MiB, boundMs: 3_000, requestTimeoutMs: 10_000 }),
      ),
    );
    const took = Date.now() - t0;
    assert.ok(took < 3_000 + 10_000, `took ${took} ms`);
    assert.ok(took >= 2_900, `ended before the bound: ${took} ms, ${JSON.stringify(obs.failure)}`);
    assert.deepEqual(obs.failure, {
      step: "read",
      timedOut: true,
      detail: "did not finish within the probe's bound of 3 s",
    });
    assert.ok(obs.cleanup.ok, obs.cleanup.detail);
    await assertNothingLeft("bw-scratch");
    const r = judge(obs);
    assert.equal(r.status, "unknown");
    assert.match(
      r.observed,
      /the read ran out of time: did not finish within the probe's bound of 3 s; so far/,
    );
    assert.match(r.remediation, /within 3 s: check the network path to RGW/);
  });

  it("an endpoint that accepts connections and never answers: unknown within the request timeout, nothing to clean", async () => {
    const hang = net.createServer((s) => hangSockets.push(s));
    hangs.push(hang);
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", () => r()));
    const endpoint = `http://127.0.0.1:${(hang.address() as net.AddressInfo).port}`;
    const t0 = Date.now();
    const obs = done(
      await probeStorageBandwidth({ ...target, endpoint }, opts({ requestTimeoutMs: 1_000, boundMs: 5_000 })),
    );
    const took = Date.now() - t0;
    assert.ok(took < 5_000 + 1_000, `took ${took} ms`);
    assert.equal(obs.failure?.step, "bucket");
    assert.match(obs.failure.detail, /no answer from 127\.0\.0\.1:\d+ within 1000 ms \(timeout\)/);
    assert.deepEqual(obs.cleanup, { ok: true, detail: "nothing was written" });
    const text = JSON.stringify(obs);
    assert.ok(!text.includes(rgw.secretAccessKey) && !text.includes(rgw.accessKeyId), "a key was printed");
    const r = judge(obs);
    assert.equal(r.status, "unknown");
    assert.match(r.observed, /the scratch bucket check failed: no answer/);
  });
});
