/**
 * The rendered metastore-site.xml on a REAL Hive Metastore 4.0.0 (the harness: Maven Central jars, PostgreSQL,
 * Ceph radosgw): every S3A/Hive property renderMetastoreSite emits is applied over the harness's own, the S3
 * keys come ONLY from the environment (EnvironmentVariableCredentialsProvider, as in the pod), and the metastore
 * creates databases at `s3a://` and `s3://` locations on radosgw through them.
 */
import { strict as assert } from "node:assert";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { metastoreSiteProperties } from "../../../stacks/foundation/metastoreSite";
import { startHiveMetastore, type HiveMetastore } from "../../../harness/hive-metastore";
import { startPostgres, type Postgres } from "../../../harness/postgres";
import { s3Client, startRadosgw, type Radosgw } from "../../../harness/radosgw";
import { thriftCall, throwIfException } from "../../../harness/thrift";

/** Properties the harness must own: its random database, its port, its loopback bind. */
const HARNESS_OWNED = new Set(["javax.jdo.option.ConnectionURL", "metastore.thrift.port"]);

describe("rendered metastore-site.xml on a real Hive Metastore 4.0.0 + radosgw", function () {
  this.timeout(300_000);
  let pg: Postgres | undefined;
  let rgw: Radosgw | undefined;
  let hms: HiveMetastore | undefined;
  let s3: S3Client;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  const bucket = "lakehouse-warehouse";

  before(async () => {
    [pg, rgw] = await Promise.all([startPostgres(), startRadosgw()]);
    const rendered = metastoreSiteProperties({
      jdbcUrl: "jdbc:postgresql://unused/metastore",
      warehouseBucket: bucket,
      s3Endpoint: rgw.endpoint,
      s3Region: rgw.region,
    });
    const extraConf = Object.fromEntries(
      rendered.filter((p) => !HARNESS_OWNED.has(p.name)).map((p) => [p.name, p.value]),
    );
    // The harness also writes literal keys into its own site file; with our provider they are never read, and
    // wrong ones prove it: only the environment can authenticate.
    extraConf["fs.s3a.access.key"] = "WRONG-ACCESS-KEY";
    extraConf["fs.s3a.secret.key"] = "wrong-secret-key";
    process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
    hms = await startHiveMetastore({ pg, rgw, bucket, extraConf });
    s3 = s3Client(rgw);
  });

  after(async () => {
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    s3?.destroy();
    await hms?.stop();
    await Promise.all([rgw?.stop(), pg?.stop()]);
  });

  const keys = async (prefix: string): Promise<string[]> =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map(
      (o) => o.Key ?? "",
    );
  const createDb = async (name: string, location?: string) =>
    throwIfException(
      "create_database",
      await thriftCall("127.0.0.1", hms!.port, "create_database", [
        {
          id: 1,
          value: {
            t: "struct",
            v: [
              { id: 1, value: { t: "string", v: name } },
              ...(location ? [{ id: 3, value: { t: "string" as const, v: location } }] : []),
            ],
          },
        },
      ]),
    );

  it("puts a database without a location under the rendered warehouse, s3a://<bucket>/warehouse", async () => {
    await createDb("rendered_default");
    const got = (
      await thriftCall("127.0.0.1", hms!.port, "get_database", [
        { id: 1, value: { t: "string", v: "rendered_default" } },
      ])
    ).get(0) as Map<number, unknown>;
    assert.equal(got.get(3), `s3a://${bucket}/warehouse/rendered_default.db`);
    assert.deepEqual(await keys("warehouse/rendered_default.db"), ["warehouse/rendered_default.db/"]);
  });

  it("resolves s3:// locations (as Trino writes them) through S3A with the keys from the environment", async () => {
    await createDb("trino_style", `s3://${bucket}/warehouse/trino_style.db`);
    assert.deepEqual(await keys("warehouse/trino_style.db"), ["warehouse/trino_style.db/"]);
  });
});
