/**
 * The Spark conf renderer (pure): the catalog on the metastore, S3A on the configured endpoint with TLS from
 * its scheme, no credentials in any value, sizing maths that make heap + overhead equal the pod's request,
 * clear errors on bad arguments, and the pinned jars.
 */
import { strict as assert } from "node:assert";
import type { PodSize } from "../../../preflight/config/schema";
import {
  jarFileName,
  renderSparkConf,
  SPARK_JARS,
  sparkMemory,
  sparkPropertiesFile,
  type SparkConfArgs,
} from "../../../stacks/compute/sparkConf";

const base: SparkConfArgs = {
  metastoreUri: "thrift://hive-metastore.lakehouse.svc:9083",
  warehouseBucket: "lakehouse-warehouse",
  s3Endpoint: "http://rook-ceph-rgw-storage.storage.svc:80",
  s3Region: "us-east-1",
  executor: { replicas: 2, cpu: "1", memory: "6Gi" },
  driver: { replicas: 1, cpu: "500m", memory: "2Gi" },
};
const MiB = 2 ** 20;
const mib = (v: string): number => {
  const m = /^(\d+)m$/.exec(v);
  assert.ok(m, `"${v}" is not a Spark MiB size`);
  return Number(m[1]);
};

describe("stacks/compute/sparkConf: renderSparkConf", () => {
  it("puts an Iceberg SparkCatalog of type hive on the metastore URI, warehouse s3a://<bucket>/warehouse", () => {
    const conf = renderSparkConf(base);
    assert.equal(
      conf["spark.sql.extensions"],
      "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
    );
    assert.equal(conf["spark.sql.catalog.lakehouse"], "org.apache.iceberg.spark.SparkCatalog");
    assert.equal(conf["spark.sql.catalog.lakehouse.type"], "hive");
    assert.equal(conf["spark.sql.catalog.lakehouse.uri"], base.metastoreUri);
    assert.equal(conf["spark.sql.catalog.lakehouse.warehouse"], "s3a://lakehouse-warehouse/warehouse");
    assert.equal(conf["spark.sql.defaultCatalog"], "lakehouse");
  });

  it("names the catalog as asked", () => {
    const conf = renderSparkConf({ ...base, catalog: "ice" });
    assert.equal(conf["spark.sql.catalog.ice.type"], "hive");
    assert.equal(conf["spark.sql.catalog.lakehouse"], undefined);
    assert.equal(conf["spark.sql.defaultCatalog"], "ice");
  });

  it("configures S3A on the endpoint, path style, fs.s3.impl, credentials from the environment", () => {
    const conf = renderSparkConf(base);
    assert.equal(conf["spark.hadoop.fs.s3a.endpoint"], "http://rook-ceph-rgw-storage.storage.svc:80");
    assert.equal(conf["spark.hadoop.fs.s3a.endpoint.region"], "us-east-1");
    assert.equal(conf["spark.hadoop.fs.s3a.path.style.access"], "true");
    assert.equal(conf["spark.hadoop.fs.s3.impl"], "org.apache.hadoop.fs.s3a.S3AFileSystem");
    assert.equal(
      conf["spark.hadoop.fs.s3a.aws.credentials.provider"],
      "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
    );
  });

  it("sets ssl from the endpoint's scheme", () => {
    assert.equal(renderSparkConf(base)["spark.hadoop.fs.s3a.connection.ssl.enabled"], "false");
    const tls = renderSparkConf({ ...base, s3Endpoint: "https://s3.lab.example:8443" });
    assert.equal(tls["spark.hadoop.fs.s3a.connection.ssl.enabled"], "true");
    assert.equal(tls["spark.hadoop.fs.s3a.endpoint"], "https://s3.lab.example:8443");
  });

  it("never carries credentials: no key properties, no secret-looking value", () => {
    const conf = renderSparkConf({ ...base, jarsDir: "/opt/spark/lakehouse-jars" });
    for (const [k, v] of Object.entries(conf)) {
      assert.doesNotMatch(k, /access\.key|secret\.key|session\.token|password/i, k);
      assert.doesNotMatch(v, /AKIA|secret/i, `${k}=${v}`);
    }
    assert.equal(conf["spark.hadoop.fs.s3a.access.key"], undefined);
    assert.equal(conf["spark.hadoop.fs.s3a.secret.key"], undefined);
  });

  it("signs with SigV2 over plain HTTP (Ceph 16 rejects SigV4's empty chunked PUTs) and SigV4 over HTTPS", () => {
    assert.equal(renderSparkConf(base)["spark.hadoop.fs.s3a.signing-algorithm"], "S3SignerType");
    const tls = renderSparkConf({ ...base, s3Endpoint: "https://s3.lab.example" });
    assert.equal(tls["spark.hadoop.fs.s3a.signing-algorithm"], undefined);
  });

  it("puts the pinned jars under jarsDir on the driver's and executors' class path only when asked", () => {
    const none = renderSparkConf(base);
    assert.equal(none["spark.driver.extraClassPath"], undefined);
    assert.equal(none["spark.executor.extraClassPath"], undefined);
    const conf = renderSparkConf({ ...base, jarsDir: "/cache/spark-jars/" });
    const want = [
      "/cache/spark-jars/iceberg-spark-runtime-3.5_2.12-1.10.1.jar",
      "/cache/spark-jars/hadoop-aws-3.3.4.jar",
      "/cache/spark-jars/aws-java-sdk-core-1.12.262.jar",
      "/cache/spark-jars/aws-java-sdk-s3-1.12.262.jar",
      "/cache/spark-jars/aws-java-sdk-kms-1.12.262.jar",
      "/cache/spark-jars/aws-java-sdk-sts-1.12.262.jar",
      "/cache/spark-jars/aws-java-sdk-dynamodb-1.12.262.jar",
      "/cache/spark-jars/jmespath-java-1.12.262.jar",
    ];
    assert.deepEqual(conf["spark.driver.extraClassPath"]?.split(":"), want);
    assert.deepEqual(conf["spark.executor.extraClassPath"]?.split(":"), want);
    assert.equal(conf["spark.jars"], undefined);
    assert.throws(
      () => renderSparkConf({ ...base, jarsDir: "local:///opt/jars" }),
      /jarsDir "local:\/\/\/opt\/jars" must be an absolute folder path/,
    );
  });

  it("returns only string values under spark.* keys and renders a sorted properties file", () => {
    const conf = renderSparkConf(base);
    for (const [k, v] of Object.entries(conf)) {
      assert.match(k, /^spark\./);
      assert.equal(typeof v, "string");
    }
    const lines = sparkPropertiesFile(conf).trim().split("\n");
    assert.equal(lines.length, Object.keys(conf).length);
    assert.deepEqual(lines, [...lines].sort());
    assert.ok(lines.includes(`spark.sql.catalog.lakehouse.uri ${base.metastoreUri}`));
  });
});

describe("stacks/compute/sparkConf: sizing", () => {
  const cases: { size: PodSize; heap: number; overhead: number }[] = [
    // overhead = max(384 MiB, 25 %), heap = the rest
    { size: { replicas: 1, cpu: "500m", memory: "2Gi" }, heap: 1536, overhead: 512 },
    { size: { replicas: 2, cpu: "1", memory: "6Gi" }, heap: 4608, overhead: 1536 },
    { size: { replicas: 1, cpu: "1", memory: "1Gi" }, heap: 640, overhead: 384 },
    { size: { replicas: 4, cpu: "4", memory: "16Gi" }, heap: 12288, overhead: 4096 },
    { size: { replicas: 1, cpu: "1", memory: "1500Mi" }, heap: 1116, overhead: 384 },
    { size: { replicas: 1, cpu: "1", memory: "3G" }, heap: 2145, overhead: 716 },
  ];
  for (const { size, heap, overhead } of cases) {
    it(`${size.memory}: heap ${heap}m + overhead ${overhead}m = the pod's request`, () => {
      assert.deepEqual(sparkMemory(size, "sizing.sparkExecutor"), { heapMiB: heap, overheadMiB: overhead });
      const conf = renderSparkConf({ ...base, executor: size, driver: size });
      for (const role of ["driver", "executor"]) {
        const total = mib(conf[`spark.${role}.memory`]!) + mib(conf[`spark.${role}.memoryOverhead`]!);
        assert.equal(total, toMiB(size.memory));
        assert.ok(total * MiB <= toBytes(size.memory), `${role} asks for more than its request`);
      }
    });
  }

  it("sets executor instances, whole cores and the Kubernetes CPU request/limit from the size", () => {
    const conf = renderSparkConf({
      ...base,
      executor: { replicas: 3, cpu: "2500m", memory: "4Gi", cpuLimit: "3" },
      driver: { replicas: 1, cpu: "500m", memory: "1Gi" },
    });
    assert.equal(conf["spark.executor.instances"], "3");
    assert.equal(conf["spark.executor.cores"], "2");
    assert.equal(conf["spark.kubernetes.executor.request.cores"], "2500m");
    assert.equal(conf["spark.kubernetes.executor.limit.cores"], "3");
    assert.equal(conf["spark.driver.cores"], "1");
    assert.equal(conf["spark.kubernetes.driver.request.cores"], "500m");
    assert.equal(conf["spark.kubernetes.driver.limit.cores"], undefined);
    assert.equal(conf["spark.sql.shuffle.partitions"], "12");
  });

  it("rejects a size too small for a Spark JVM, naming the key", () => {
    assert.throws(
      () => renderSparkConf({ ...base, driver: { replicas: 1, cpu: "1", memory: "512Mi" } }),
      /sizing\.sparkDriver\.memory "512Mi" is too small .* "1Gi" or more/,
    );
  });

  it("rejects zero executors", () => {
    assert.throws(
      () => renderSparkConf({ ...base, executor: { ...base.executor, replicas: 0 } }),
      /sizing\.sparkExecutor\.replicas is 0/,
    );
  });
});

describe("stacks/compute/sparkConf: argument errors", () => {
  const bad: [Partial<SparkConfArgs>, RegExp][] = [
    [{ metastoreUri: "http://hms:9083" }, /metastoreUri "http:\/\/hms:9083" .* thrift:\/\/HOST:PORT/],
    [{ metastoreUri: "thrift://hms" }, /metastoreUri "thrift:\/\/hms"/],
    [{ warehouseBucket: "Bad_Bucket" }, /warehouseBucket "Bad_Bucket"/],
    [{ s3Endpoint: "rgw:80" }, /s3Endpoint "rgw:80" must start with http/],
    [{ s3Endpoint: "not a url" }, /s3Endpoint "not a url" is not a URL/],
    [{ s3Endpoint: "http://key:secret@rgw" }, /no path, query or credentials/],
    [{ s3Endpoint: "http://rgw/bucket" }, /no path, query or credentials/],
    [{ s3Region: " " }, /s3Region is empty/],
    [{ catalog: "my-catalog" }, /catalog name "my-catalog" is not a SQL identifier/],
  ];
  for (const [over, re] of bad) {
    it(`rejects ${JSON.stringify(over)}`, () => {
      assert.throws(() => renderSparkConf({ ...base, ...over }), re);
    });
  }
  it("rejects a scheme other than http(s)", () => {
    assert.throws(() => renderSparkConf({ ...base, s3Endpoint: "ftp://rgw" }), /must start with http/);
  });
});

describe("stacks/compute/sparkConf: SPARK_JARS", () => {
  it("pins Iceberg's runtime, S3A and the AWS SDK modules S3A needs (not the 281 MB bundle) by coordinate, Maven path and sha256", () => {
    assert.deepEqual(
      SPARK_JARS.map((j) => j.coordinate),
      [
        "org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.1",
        "org.apache.hadoop:hadoop-aws:3.3.4",
        "com.amazonaws:aws-java-sdk-core:1.12.262",
        "com.amazonaws:aws-java-sdk-s3:1.12.262",
        "com.amazonaws:aws-java-sdk-kms:1.12.262",
        "com.amazonaws:aws-java-sdk-sts:1.12.262",
        "com.amazonaws:aws-java-sdk-dynamodb:1.12.262",
        "com.amazonaws:jmespath-java:1.12.262",
      ],
    );
    for (const j of SPARK_JARS) {
      const [g, a, v] = j.coordinate.split(":");
      assert.equal(j.file, `${g!.replace(/\./g, "/")}/${a}/${v}/${a}-${v}.jar`);
      assert.equal(jarFileName(j), `${a}-${v}.jar`);
      assert.match(j.sha256, /^[0-9a-f]{64}$/);
    }
    assert.ok(Object.isFrozen(SPARK_JARS) && Object.isFrozen(SPARK_JARS[0]));
  });
});

function toBytes(q: string): number {
  const m = /^(\d+)(Gi|Mi|G|M)?$/.exec(q);
  assert.ok(m);
  const mult = { Gi: 2 ** 30, Mi: 2 ** 20, G: 1e9, M: 1e6 }[m[2] as "Gi"] ?? 1;
  return Number(m[1]) * mult;
}
function toMiB(q: string): number {
  return Math.floor(toBytes(q) / MiB);
}
