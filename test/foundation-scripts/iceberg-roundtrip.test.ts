/**
 * The Iceberg round trip of `verify.iceberg-roundtrip` for real: verify/foundation/scripts/iceberg_roundtrip.py
 * (pyiceberg) with a SQL catalog (sqlite file) writing to a real Ceph radosgw. The same script runs with
 * `type=hive` in the verification Job; see hive-metastore.test.ts for the Hive Metastore leg.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { startRadosgw, type Radosgw, s3Client } from "../../harness/radosgw";
import { runScript, VERIFY_SCRIPTS } from "./helpers";

const SCRIPT = path.join(VERIFY_SCRIPTS, "iceberg_roundtrip.py");
const BUCKET = "lakehouse-warehouse";

interface Step {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

describe("foundation scripts: iceberg_roundtrip.py (pyiceberg, SQL catalog) on a real radosgw", function () {
  this.timeout(180_000);
  let rgw: Radosgw;
  let s3: S3Client;
  let dir: string;

  before(async () => {
    rgw = await startRadosgw();
    s3 = s3Client(rgw);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-iceberg-"));
  });
  after(async () => {
    s3?.destroy();
    await rgw?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const env = (over: Record<string, string> = {}): Record<string, string> => ({
    ICEBERG_CATALOG_TYPE: "sql",
    ICEBERG_CATALOG_URI: `sqlite:///${path.join(dir, "catalog.db")}`,
    ICEBERG_WAREHOUSE: `s3://${BUCKET}/warehouse`,
    S3_ENDPOINT: rgw.endpoint,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    AWS_REGION: rgw.region,
    ...over,
  });
  const objects = async (prefix: string): Promise<string[]> =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? [])
      .filter((o) => (o.Size ?? 0) > 0)
      .map((o) => o.Key ?? "");

  it("creates a namespace and table, appends twice, reads back, time-travels to the first snapshot, then purges", async () => {
    const r = await runScript("python3", [SCRIPT], env({ VERIFY_NAMESPACE: "verify_ok" }), 150_000);
    assert.equal(r.code, 0, r.stderr);
    const j = r.json!;
    assert.equal(j.ok, true);
    assert.equal(j.catalog, "sql");
    assert.equal(j.snapshots, 2);
    assert.equal(j.rowsCurrent, 5);
    assert.equal(j.rowsFiltered, 2);
    assert.equal(j.rowsAtFirstSnapshot, 3);
    assert.equal(j.cleanedUp, true);
    const steps = j.steps as Step[];
    assert.deepEqual(
      steps.map((s) => s.name),
      [
        "connect",
        "create-namespace",
        "create-table",
        "append-1",
        "append-2",
        "read-back",
        "time-travel",
        "purge-table",
        "drop-namespace",
      ],
    );
    assert.ok(steps.every((s) => s.ok && s.ms >= 0));
    assert.deepEqual(await objects("warehouse/verify_ok.db/"), [], "no data or metadata file is left");
    assert.doesNotMatch(
      r.stdout + r.stderr,
      new RegExp(rgw.secretAccessKey),
      "the secret key is never printed",
    );
  });

  it("reports the failing step and still cleans up when the warehouse bucket does not exist (exit 3)", async () => {
    const r = await runScript(
      "python3",
      [SCRIPT],
      env({ VERIFY_NAMESPACE: "verify_nobucket", ICEBERG_WAREHOUSE: "s3://no-such-bucket/warehouse" }),
      150_000,
    );
    assert.equal(r.code, 3, r.stderr);
    const j = r.json!;
    assert.equal(j.ok, false);
    assert.match(String(j.failedStep), /^(create-table|append-1)$/);
    assert.match(String(j.error), /NoSuchBucket|bucket/i);
    const names = (j.steps as Step[]).map((s) => `${s.name}:${s.ok}`);
    assert.ok(names.includes("drop-namespace:true"), `cleanup ran: ${names.join(", ")}`);
  });

  it("rejects a bad configuration with exit 2 and names the variable", async () => {
    const r = await runScript("python3", [SCRIPT], env({ ICEBERG_CATALOG_TYPE: "rest" }));
    assert.equal(r.code, 2);
    assert.match(String(r.json?.error), /ICEBERG_CATALOG_TYPE is 'rest'; expected 'hive' or 'sql'/);
    const noUri = await runScript("python3", [SCRIPT], env({ ICEBERG_CATALOG_TYPE: "hive" }));
    assert.equal(noUri.code, 2);
    assert.match(String(noUri.json?.error), /a hive catalog needs thrift:\/\/HOST:PORT/);
  });
});
