/**
 * The catalog renderer (pure): exact properties of both catalogs, keys only as ${ENV:...} references, and
 * clear errors for bad arguments. The real-engine proof that these files work on Trino 476 + HMS 4.0.0 +
 * Ceph 16 is test/analytics/trino.test.ts.
 */
import { strict as assert } from "node:assert";
import { CATALOG_NAMES, renderCatalogs, type CatalogArgs } from "../../../stacks/analytics/catalogs";

const ARGS: CatalogArgs = {
  metastoreUri: "thrift://hive-metastore.lakehouse.svc:9083",
  s3Endpoint: "http://rook-ceph-rgw-lakehouse.rook-ceph.svc:80/",
  s3Region: "us-east-1",
};

/** Parses a properties text into a map, asserting one key=value per line and no duplicate keys. */
function parse(text: string): Map<string, string> {
  assert.ok(text.endsWith("\n"), "newline-terminated");
  const m = new Map<string, string>();
  for (const line of text.trimEnd().split("\n")) {
    const i = line.indexOf("=");
    assert.ok(i > 0, `a key=value line: ${line}`);
    const k = line.slice(0, i);
    assert.ok(!m.has(k), `duplicate key ${k}`);
    m.set(k, line.slice(i + 1));
  }
  return m;
}

describe("analytics: renderCatalogs", () => {
  it("renders exactly the iceberg and tpch catalogs", () => {
    const c = renderCatalogs(ARGS);
    assert.deepEqual(Object.keys(c).sort(), ["iceberg", "tpch"]);
    assert.deepEqual(CATALOG_NAMES, { iceberg: "iceberg", tpch: "tpch" });
    assert.deepEqual(
      [...parse(c.tpch)],
      [
        ["connector.name", "tpch"],
        ["tpch.double-type-mapping", "DECIMAL"],
      ],
    );
  });

  it("configures iceberg on the Hive Metastore with Trino's native S3 file system for Ceph", () => {
    const p = parse(renderCatalogs(ARGS).iceberg);
    assert.deepEqual(Object.fromEntries(p), {
      "connector.name": "iceberg",
      "iceberg.catalog.type": "hive_metastore",
      "hive.metastore.uri": "thrift://hive-metastore.lakehouse.svc:9083",
      "fs.native-s3.enabled": "true",
      "s3.endpoint": "http://rook-ceph-rgw-lakehouse.rook-ceph.svc:80",
      "s3.region": "us-east-1",
      "s3.path-style-access": "true",
      "s3.aws-access-key": "${ENV:AWS_ACCESS_KEY_ID}",
      "s3.aws-secret-key": "${ENV:AWS_SECRET_ACCESS_KEY}",
      "iceberg.register-table-procedure.enabled": "true",
    });
    // Removed or rejected by current Trino: the legacy Hadoop S3 settings must never come back.
    for (const k of p.keys()) assert.doesNotMatch(k, /^(hive\.s3\.|fs\.s3\.enabled|fs\.hadoop)/);
  });

  it("reads the keys from the environment variables it is given, never a literal value", () => {
    const c = renderCatalogs({ ...ARGS, accessKeyEnv: "WAREHOUSE_KEY", secretKeyEnv: "WAREHOUSE_SECRET" });
    const p = parse(c.iceberg);
    assert.equal(p.get("s3.aws-access-key"), "${ENV:WAREHOUSE_KEY}");
    assert.equal(p.get("s3.aws-secret-key"), "${ENV:WAREHOUSE_SECRET}");
    for (const text of Object.values(c)) {
      for (const [k, v] of parse(text)) {
        if (/key|secret|password|token/i.test(k)) assert.match(v, /^\$\{ENV:[A-Za-z_][A-Za-z0-9_]*\}$/, k);
      }
    }
  });

  it("keeps an https endpoint and any region as given", () => {
    const p = parse(
      renderCatalogs({ ...ARGS, s3Endpoint: "https://s3.home.arpa", s3Region: "homelab" }).iceberg,
    );
    assert.equal(p.get("s3.endpoint"), "https://s3.home.arpa");
    assert.equal(p.get("s3.region"), "homelab");
  });

  const bad: [string, Partial<CatalogArgs>, RegExp][] = [
    [
      "an http metastore URI",
      { metastoreUri: "http://hms:9083" },
      /metastoreUri is "http:\/\/hms:9083"; expected thrift:\/\/HOST:PORT/,
    ],
    ["a metastore URI without a port", { metastoreUri: "thrift://hms" }, /metastoreUri is "thrift:\/\/hms"/],
    ["a metastore port out of range", { metastoreUri: "thrift://hms:99999" }, /metastoreUri/],
    ["an empty endpoint", { s3Endpoint: "" }, /s3Endpoint is ""; expected an http:\/\/ or https:\/\/ URL/],
    ["an s3:// endpoint", { s3Endpoint: "s3://bucket" }, /s3Endpoint is "s3:\/\/bucket"/],
    ["an empty region", { s3Region: "" }, /s3Region is ""; expected a non-empty region name/],
    [
      "a key value instead of a variable name",
      { accessKeyEnv: "AKIA/abc+def" },
      /accessKeyEnv is "AKIA\/abc\+def"; expected the name of an environment variable/,
    ],
    ["a variable name with a brace", { secretKeyEnv: "X}" }, /secretKeyEnv is "X}"/],
  ];
  for (const [what, over, message] of bad) {
    it(`rejects ${what}, naming the argument`, () => {
      assert.throws(() => renderCatalogs({ ...ARGS, ...over }), message);
    });
  }
});
