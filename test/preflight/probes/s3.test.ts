/**
 * The S3 probe against a REAL Ceph radosgw (started once for this file by the test harness), plus the
 * endpoint/credential resolution as a table of cases.
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { parseConfig } from "../../../preflight/config/load";
import type { KubeObject, S3Observation } from "../../../preflight/model";
import { probeS3 } from "../../../preflight/probes/s3";
import { resolveS3Target, type S3KubeAccess, type S3Target } from "../../../preflight/probes/s3Target";
import { freePort } from "../../../harness/proc";
import { s3Client, startRadosgw, type Radosgw } from "../../../harness/radosgw";

type Done = Extract<S3Observation, { state: "done" }>;

function done(o: S3Observation): Done {
  assert.equal(o.state, "done");
  return o as Done;
}

describe("preflight/probes/s3: probeS3 against a real radosgw", function () {
  this.timeout(120_000);
  let rgw: Radosgw;
  let admin: S3Client;
  let target: S3Target;

  before(async () => {
    rgw = await startRadosgw();
    target = { ...rgw, discoveredFrom: "test harness" };
    admin = s3Client(rgw);
  });

  after(async () => {
    admin?.destroy();
    await rgw?.stop();
  });

  const bucketNames = async (): Promise<string[]> =>
    ((await admin.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? "");

  it("round trip: every step passes and the scratch bucket it created is removed again", async () => {
    const obs = done(await probeS3(target, { scratchBucket: "preflight-scratch-a", timeoutMs: 10_000 }));
    assert.deepEqual(
      obs.steps.map((s) => [s.name, s.ok]),
      [
        ["list-buckets", true],
        ["create-bucket", true],
        ["put-object", true],
        ["get-object", true],
        ["delete-object", true],
        ["cleanup", true],
      ],
      JSON.stringify(obs.steps),
    );
    assert.equal(obs.endpoint, rgw.endpoint);
    assert.equal(obs.discoveredFrom, "test harness");
    assert.match(obs.steps[1].detail, /created scratch bucket preflight-scratch-a/);
    assert.match(obs.steps[3].detail, /identical/);
    for (const s of obs.steps) assert.ok(s.ms >= 0 && s.ms < 10_000, `${s.name} took ${s.ms} ms`);
    assert.ok(!(await bucketNames()).includes("preflight-scratch-a"), "scratch bucket left behind");
  });

  it("a scratch bucket that already existed is used, emptied of the probe object and kept", async () => {
    await admin.send(new CreateBucketCommand({ Bucket: "preflight-existing" }));
    const obs = done(await probeS3(target, { scratchBucket: "preflight-existing", timeoutMs: 10_000 }));
    assert.ok(
      obs.steps.every((s) => s.ok),
      JSON.stringify(obs.steps),
    );
    assert.match(obs.steps.find((s) => s.name === "create-bucket")!.detail, /already exists/);
    assert.match(obs.steps.find((s) => s.name === "cleanup")!.detail, /left in place/);
    assert.ok((await bucketNames()).includes("preflight-existing"));
    const left = await admin.send(new ListObjectsV2Command({ Bucket: "preflight-existing" }));
    assert.equal(left.KeyCount ?? 0, 0, "probe object left behind");
    await admin.send(new DeleteBucketCommand({ Bucket: "preflight-existing" }));
  });

  it("a wrong secret key fails list-buckets with SignatureDoesNotMatch and never prints either key", async () => {
    const bad = { ...target, secretAccessKey: "wrong-secret-0123456789abcdefghijklmnopq" };
    const obs = done(await probeS3(bad, { scratchBucket: "preflight-scratch-b", timeoutMs: 10_000 }));
    assert.equal(obs.steps.length, 1, JSON.stringify(obs.steps));
    assert.equal(obs.steps[0].name, "list-buckets");
    assert.equal(obs.steps[0].ok, false);
    assert.match(obs.steps[0].detail, /403 SignatureDoesNotMatch/);
    const text = JSON.stringify(obs);
    assert.ok(!text.includes(bad.secretAccessKey), "secret key printed");
    assert.ok(!text.includes(target.accessKeyId), "access key id printed");
  });

  it("an unknown access key fails with InvalidAccessKeyId", async () => {
    const bad = { ...target, accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "x".repeat(40) };
    const obs = done(await probeS3(bad, { scratchBucket: "preflight-scratch-c", timeoutMs: 10_000 }));
    assert.equal(obs.steps[0].ok, false);
    assert.match(obs.steps[0].detail, /InvalidAccessKeyId/);
    assert.ok(!JSON.stringify(obs).includes("AKIAUNKNOWN000000000"));
  });

  it("a user that may not write the scratch bucket fails create-bucket with a clear detail and leaves nothing", async () => {
    await admin.send(new CreateBucketCommand({ Bucket: "preflight-owned-by-other" }));
    const other = await rgw.createUser("probe-other");
    const obs = done(
      await probeS3(
        { ...target, ...other },
        { scratchBucket: "preflight-owned-by-other", timeoutMs: 10_000 },
      ),
    );
    const failed = obs.steps.find((s) => !s.ok);
    assert.ok(failed, JSON.stringify(obs.steps));
    assert.equal(failed.name, "create-bucket");
    assert.match(failed.detail, /409|BucketAlreadyExists|AccessDenied/);
    assert.ok(!JSON.stringify(obs).includes(other.secretAccessKey));
    await admin.send(new DeleteBucketCommand({ Bucket: "preflight-owned-by-other" }));
  });

  it("a failed upload (user over quota) is reported and the bucket the probe created is still removed", async () => {
    const quotaUser = await rgw.createUser("probe-quota");
    await rgw.admin("quota", "set", "--quota-scope=user", "--uid=probe-quota", "--max-size=1");
    await rgw.admin("quota", "enable", "--quota-scope=user", "--uid=probe-quota");
    const obs = done(
      await probeS3({ ...target, ...quotaUser }, { scratchBucket: "preflight-quota", timeoutMs: 10_000 }),
    );
    assert.deepEqual(
      obs.steps.map((s) => [s.name, s.ok]),
      [
        ["list-buckets", true],
        ["create-bucket", true],
        ["put-object", false],
        ["cleanup", true],
      ],
      JSON.stringify(obs.steps),
    );
    assert.match(obs.steps[2].detail, /QuotaExceeded/);
    const buckets = JSON.parse(await rgw.admin("bucket", "list", "--uid=probe-quota")) as string[];
    assert.deepEqual(buckets, [], "the scratch bucket was left behind");
  });
});

describe("preflight/probes/s3: probeS3 against unreachable endpoints", function () {
  this.timeout(20_000);
  const keys = {
    region: "us-east-1",
    accessKeyId: "AKIAEXAMPLE123",
    secretAccessKey: "secret-example-123",
    discoveredFrom: "test",
  };
  let hang: net.Server | undefined;
  const sockets: net.Socket[] = [];

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (hang ? hang.close(() => r()) : r()));
  });

  it("a refused endpoint fails list-buckets quickly, naming the refusal", async () => {
    const port = await freePort();
    const t0 = Date.now();
    const obs = done(
      await probeS3(
        { ...keys, endpoint: `http://127.0.0.1:${port}` },
        { scratchBucket: "x-scratch", timeoutMs: 20_000 },
      ),
    );
    // Far below the timeout: the refusal ends the probe, not the clock (a bound that holds on a busy machine).
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    assert.deepEqual(
      obs.steps.map((s) => [s.name, s.ok]),
      [["list-buckets", false]],
    );
    assert.match(obs.steps[0].detail, /refused \(ECONNREFUSED\)/);
    assert.match(obs.steps[0].detail, new RegExp(`127\\.0\\.0\\.1:${port}`));
  });

  it("an endpoint that accepts but never answers fails within the timeout", async () => {
    hang = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hang!.listen(0, "127.0.0.1", () => r()));
    const port = (hang.address() as net.AddressInfo).port;
    const t0 = Date.now();
    const obs = done(
      await probeS3(
        { ...keys, endpoint: `http://127.0.0.1:${port}` },
        { scratchBucket: "x-scratch", timeoutMs: 800 },
      ),
    );
    const took = Date.now() - t0;
    assert.ok(took >= 700 && took < 3_000, `took ${took} ms`);
    assert.equal(obs.steps[0].ok, false);
    assert.match(obs.steps[0].detail, /within 800 ms \(timeout\)/);
    assert.ok(!JSON.stringify(obs).includes(keys.secretAccessKey));
  });
});

describe("preflight/probes/s3: resolveS3Target", () => {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  const store: KubeObject = {
    apiVersion: "ceph.rook.io/v1",
    kind: "CephObjectStore",
    metadata: { name: "storage", namespace: "storage" },
    status: {
      phase: "Ready",
      endpoints: { insecure: ["http://rook-ceph-rgw-storage.storage.svc:80"] },
      info: { endpoint: "http://rook-ceph-rgw-storage.storage.svc:80" },
    },
  };
  const secrets: Record<string, Record<string, string>> = {
    "storage/obc-keys": { AWS_ACCESS_KEY_ID: b64("OBCID"), AWS_SECRET_ACCESS_KEY: b64("OBCSECRET") },
    "storage/rook-ceph-object-user-storage-lakehouse": {
      AccessKey: b64("ROOKID"),
      SecretKey: b64("ROOKSECRET"),
      Endpoint: b64("x"),
    },
    "storage/wrong-keys": { username: b64("u"), password: b64("p") },
    "storage/empty-values": { AccessKey: "", SecretKey: "" },
  };
  const kube = (objectStore?: KubeObject): S3KubeAccess => ({
    objectStore,
    readSecret: async (ns, name) => {
      if (ns === "forbidden")
        throw new Error('secrets "x" is forbidden: User "preflight" cannot get resource "secrets"');
      return secrets[`${ns}/${name}`];
    },
  });
  const cfg = (s3: Record<string, string>) => parseConfig({ s3 }, "test");

  interface Case {
    name: string;
    s3: Record<string, string>;
    env?: NodeJS.ProcessEnv;
    store?: KubeObject;
    want?: Partial<S3Target>;
    reason?: RegExp;
  }
  const cases: Case[] = [
    {
      name: "everything from config",
      s3: {
        endpoint: "http://10.0.0.5:7480",
        accessKeyId: "CFGID",
        secretAccessKey: "CFGSECRET",
        region: "homelab",
      },
      env: {
        AWS_ENDPOINT_URL_S3: "http://ignored:1",
        AWS_ACCESS_KEY_ID: "ENVID",
        AWS_SECRET_ACCESS_KEY: "ENVSECRET",
      },
      store,
      want: {
        endpoint: "http://10.0.0.5:7480",
        region: "homelab",
        accessKeyId: "CFGID",
        secretAccessKey: "CFGSECRET",
        discoveredFrom: "config",
      },
    },
    {
      name: "endpoint and keys from env (AWS_ENDPOINT_URL_S3 beats AWS_ENDPOINT_URL and S3_ENDPOINT)",
      s3: {},
      env: {
        AWS_ENDPOINT_URL_S3: "http://s3.lan:80",
        AWS_ENDPOINT_URL: "http://b:1",
        S3_ENDPOINT: "http://c:1",
        AWS_ACCESS_KEY_ID: "ENVID",
        AWS_SECRET_ACCESS_KEY: "ENVSECRET",
      },
      want: {
        endpoint: "http://s3.lan:80",
        accessKeyId: "ENVID",
        secretAccessKey: "ENVSECRET",
        discoveredFrom: "env AWS_ENDPOINT_URL_S3 + env",
      },
    },
    {
      name: "S3_ENDPOINT alone",
      s3: { accessKeyId: "CFGID", secretAccessKey: "CFGSECRET" },
      env: { S3_ENDPOINT: "https://s3.example.test" },
      want: { endpoint: "https://s3.example.test", discoveredFrom: "env S3_ENDPOINT + config" },
    },
    {
      name: "CephObjectStore status + OBC-style Secret",
      s3: { credentialsSecret: "storage/obc-keys" },
      store,
      want: {
        endpoint: "http://rook-ceph-rgw-storage.storage.svc:80",
        accessKeyId: "OBCID",
        secretAccessKey: "OBCSECRET",
        discoveredFrom: "CephObjectStore storage/storage + Secret storage/obc-keys",
      },
    },
    {
      name: "CephObjectStore with only status.info.endpoint + CephObjectStoreUser Secret",
      s3: { credentialsSecret: "storage/rook-ceph-object-user-storage-lakehouse" },
      store: { ...store, status: { info: { endpoint: "http://rgw.storage.svc:8080" } } },
      want: { endpoint: "http://rgw.storage.svc:8080", accessKeyId: "ROOKID", secretAccessKey: "ROOKSECRET" },
    },
    {
      name: "no endpoint anywhere",
      s3: { accessKeyId: "A", secretAccessKey: "B" },
      reason:
        /No S3 endpoint: lakehouse:s3.endpoint is empty, AWS_ENDPOINT_URL_S3\/AWS_ENDPOINT_URL\/S3_ENDPOINT are unset and no CephObjectStore could be read; set lakehouse:s3.endpoint/,
    },
    {
      name: "CephObjectStore without endpoints in status",
      s3: { accessKeyId: "A", secretAccessKey: "B" },
      store: { ...store, status: { phase: "Progressing" } },
      reason: /CephObjectStore storage\/storage reports no status.endpoints/,
    },
    {
      name: "env endpoint that is not a URL",
      s3: {},
      env: { AWS_ENDPOINT_URL: "rgw.lan:7480" },
      reason: /AWS_ENDPOINT_URL is "rgw.lan:7480", which is not an http\(s\) URL/,
    },
    {
      name: "no credentials anywhere",
      s3: { endpoint: "http://x:1" },
      reason: /^No S3 credentials: set lakehouse:s3.accessKeyId/,
    },
    {
      name: "only the access key in config",
      s3: { endpoint: "http://x:1", accessKeyId: "A" },
      reason: /lakehouse:s3.accessKeyId is set but lakehouse:s3.secretAccessKey is empty/,
    },
    {
      name: "only the secret key in env",
      s3: { endpoint: "http://x:1" },
      env: { AWS_SECRET_ACCESS_KEY: "S" },
      reason: /AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not/,
    },
    {
      name: "credentialsSecret without a namespace",
      s3: { endpoint: "http://x:1", credentialsSecret: "obc-keys" },
      reason: /expected NAMESPACE\/NAME/,
    },
    {
      name: "credentialsSecret that does not exist",
      s3: { endpoint: "http://x:1", credentialsSecret: "storage/nope" },
      reason: /Secret storage\/nope .* does not exist/,
    },
    {
      name: "credentialsSecret the identity may not read",
      s3: { endpoint: "http://x:1", credentialsSecret: "forbidden/keys" },
      reason:
        /Could not read Secret forbidden\/keys .*forbidden.*Grant the preflight identity `get` on secrets in namespace forbidden/,
    },
    {
      name: "credentialsSecret with other keys",
      s3: { endpoint: "http://x:1", credentialsSecret: "storage/wrong-keys" },
      reason:
        /has keys \[password, username\]; expected AWS_ACCESS_KEY_ID \+ AWS_SECRET_ACCESS_KEY or AccessKey \+ SecretKey/,
    },
    {
      name: "credentialsSecret with empty values",
      s3: { endpoint: "http://x:1", credentialsSecret: "storage/empty-values" },
      reason: /has keys \[AccessKey, SecretKey\]/,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const got = await resolveS3Target(cfg(c.s3), kube(c.store), c.env ?? {});
      if (c.reason) {
        assert.ok("reason" in got, `expected a reason, got ${JSON.stringify(got)}`);
        assert.match(got.reason, c.reason);
        for (const secret of ["CFGSECRET", "ENVSECRET", "OBCSECRET", "ROOKSECRET"])
          assert.ok(!got.reason.includes(secret));
      } else {
        assert.ok(!("reason" in got), `unexpected reason: ${"reason" in got ? got.reason : ""}`);
        for (const [k, v] of Object.entries(c.want ?? {}))
          assert.equal((got as S3Target)[k as keyof S3Target], v, k);
      }
    });
  }
});
