/**
 * The live path end to end: the Kubernetes probe (client-node against the API stand-in) discovers the object
 * store from the CephObjectStore status and one Secret, and the S3 probe runs against a real Ceph radosgw on
 * loopback.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseConfig } from "../../../preflight/config/load";
import type { KubeObject } from "../../../preflight/model";
import { collectLive } from "../../../preflight/probes";
import { loadObjects, startKubeApi, type KubeApi } from "../../../harness/kube-api";
import { startRadosgw, type Radosgw } from "../../../harness/radosgw";

const FIXTURES = path.resolve(__dirname, "..", "..", "fixtures", "healthy");
/** The bandwidth probe at a test's size: one 6 MiB object, two ranges. */
const SMALL_PROBE = { storageBandwidth: { objectSizeMiB: 6, partSizeMiB: 5, parallelism: 2 } };

describe("live facts with S3 discovery (stand-in API + real radosgw)", function () {
  this.timeout(120_000);
  let rgw: Radosgw;
  const apis: KubeApi[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kube-s3-"));
  let secret: KubeObject;
  let objects: KubeObject[];

  before(async () => {
    rgw = await startRadosgw();
    secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "lakehouse-s3", namespace: "storage" },
      data: {
        AccessKey: Buffer.from(rgw.accessKeyId).toString("base64"),
        SecretKey: Buffer.from(rgw.secretAccessKey).toString("base64"),
      },
    };
    // The fixture's CephObjectStore advertises the in-cluster service; point it at the loopback radosgw.
    objects = loadObjects(FIXTURES).map((o) =>
      o.kind === "CephObjectStore"
        ? {
            ...o,
            status: {
              ...o.status,
              endpoints: { insecure: [rgw.endpoint] },
              info: { endpoint: rgw.endpoint },
            },
          }
        : o,
    );
    objects.push(secret);
  });

  after(async () => {
    await Promise.all(apis.map((a) => a.stop()));
    if (rgw) await rgw.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const start = async (opts: Parameters<typeof startKubeApi>[0]) => {
    const api = await startKubeApi(opts);
    apis.push(api);
    return { api, kubeconfig: api.writeKubeconfig(fs.mkdtempSync(path.join(tmp, "kc-"))) };
  };

  it("finds the endpoint in the CephObjectStore status and keys in one Secret, after the cephobjectstores list", async () => {
    const { api, kubeconfig } = await start({ objects, latencyMs: 20 });
    const config = parseConfig(
      { s3: { credentialsSecret: "storage/lakehouse-s3" }, probe: SMALL_PROBE },
      "test",
    );
    const { facts } = await collectLive(config, { kubeconfig }, {});
    assert.equal(facts.s3.state, "done", JSON.stringify(facts.s3));
    if (facts.s3.state !== "done") return;
    assert.equal(facts.s3.endpoint, rgw.endpoint);
    assert.equal(facts.s3.discoveredFrom, "CephObjectStore storage/storage + Secret storage/lakehouse-s3");
    assert.deepEqual(
      facts.s3.steps.map((s) => [s.name, s.ok]),
      [
        ["list-buckets", true],
        ["create-bucket", true],
        ["put-object", true],
        ["get-object", true],
        ["delete-object", true],
        ["cleanup", true],
      ],
    );
    // After the round trip, through the same discovered target: the bandwidth probe, cleaned up.
    const bw = facts.storageBandwidth;
    assert.equal(bw.state, "done", JSON.stringify(bw));
    if (bw.state === "done") {
      assert.equal(bw.endpoint, rgw.endpoint);
      assert.equal(bw.failure, undefined, JSON.stringify(bw.failure));
      assert.equal(bw.read?.bytes, 6 * 2 ** 20);
      assert.ok(bw.cleanup.ok, bw.cleanup.detail);
    }
    const secretReqs = api.requests.filter((r) => r.plural === "secrets");
    assert.deepEqual(
      secretReqs.map((r) => [r.verb, r.path]),
      [["get", "/api/v1/namespaces/storage/secrets/lakehouse-s3"]],
    );
    const stores = api.requests.find((r) => r.plural === "cephobjectstores");
    assert.ok(stores?.doneTime !== undefined && secretReqs[0].time >= stores.doneTime);
    const text = JSON.stringify(facts);
    for (const v of [
      rgw.secretAccessKey,
      rgw.accessKeyId,
      (secret.data as Record<string, string>).SecretKey,
    ]) {
      assert.ok(!text.includes(v), "no key, plain or base64, in the facts");
    }
  });

  it("with the endpoint configured, S3 starts at once, alongside the lists", async () => {
    const { api, kubeconfig } = await start({ objects, latencyMs: 300 });
    const config = parseConfig(
      {
        s3: { endpoint: rgw.endpoint, credentialsSecret: "storage/lakehouse-s3" },
        probe: { storageBandwidth: { enabled: false } },
      },
      "test",
    );
    const { facts } = await collectLive(config, { kubeconfig }, {});
    assert.equal(facts.s3.state, "done");
    if (facts.s3.state === "done")
      assert.equal(facts.s3.discoveredFrom, "config + Secret storage/lakehouse-s3");
    assert.deepEqual(facts.storageBandwidth, {
      state: "skipped",
      reason: "lakehouse:probe.storageBandwidth.enabled is false",
    });
    const secretReq = api.requests.find((r) => r.plural === "secrets");
    const stores = api.requests.find((r) => r.plural === "cephobjectstores");
    assert.ok(secretReq && stores?.doneTime !== undefined);
    assert.ok(
      secretReq.time < stores.doneTime,
      "the Secret was read before the cephobjectstores list came back",
    );
  });

  it("cephobjectstores forbidden and no endpoint configured -> unconfigured, saying why; no Secret read", async () => {
    const { api, kubeconfig } = await start({ objects, faults: { cephobjectstores: 403 } });
    const config = parseConfig({ s3: { credentialsSecret: "storage/lakehouse-s3" } }, "test");
    const { facts } = await collectLive(config, { kubeconfig }, {});
    assert.equal(facts.s3.state, "unconfigured");
    if (facts.s3.state === "unconfigured") {
      assert.match(facts.s3.reason, /No S3 endpoint/);
      assert.match(facts.s3.reason, /may not list cephobjectstores\.ceph\.rook\.io/);
    }
    assert.equal(facts.storageBandwidth.state, "not-measured");
    assert.ok(!api.requests.some((r) => r.plural === "secrets"));
  });

  it("the credentials Secret forbidden -> unconfigured naming the Secret; skipS3 -> skipped", async () => {
    const { kubeconfig } = await start({ objects, faults: { secrets: 403 } });
    const config = parseConfig({ s3: { credentialsSecret: "storage/lakehouse-s3" } }, "test");
    const { facts } = await collectLive(config, { kubeconfig }, {});
    assert.equal(facts.s3.state, "unconfigured");
    if (facts.s3.state === "unconfigured")
      assert.match(facts.s3.reason, /Secret storage\/lakehouse-s3.*HTTP 403/);
    const skipped = await collectLive(config, { kubeconfig, skipS3: true }, {});
    assert.equal(skipped.facts.s3.state, "skipped");
    assert.equal(skipped.facts.storageBandwidth.state, "skipped");
  });
});
