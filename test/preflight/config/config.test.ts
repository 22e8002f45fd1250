import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { defaultConfig, fromPulumiConfig, loadStackFile, parseConfig } from "../../../preflight/config/load";
import { plannedPods, totals, containerResources } from "../../../preflight/config/sizing";
import { InputError } from "../../../preflight/model";
import { GiB } from "../../../preflight/quantity";

function stackDir(yamlText: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-cfg-"));
  fs.writeFileSync(path.join(dir, "Pulumi.t.yaml"), yamlText);
  return dir;
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected an InputError");
}

describe("config: schema and loading", () => {
  it("built-in defaults are the assessment's own thresholds and names", () => {
    const { config } = defaultConfig();
    assert.equal(config.thresholds.storageTrigger, "200Gi");
    assert.equal(config.thresholds.minFreeMemory, "60Gi");
    assert.equal(config.thresholds.minFreeCpu, "6");
    assert.equal(config.thresholds.maxUtilizationPercent, 70);
    assert.equal(config.cluster.cephNamespace, "storage");
    assert.equal(config.cluster.objectStore, "storage");
    assert.equal(config.cluster.rgwService, "rook-ceph-rgw-storage");
    assert.equal(config.cluster.airflowNamespace, "airflow");
    assert.equal(config.cluster.airflowRelease, "airflow");
    assert.equal(config.cluster.monitoringNamespace, "monitoring");
    assert.equal(config.cluster.fluxNamespace, "flux-system");
    assert.ok(
      Object.values(config.triggers).every((v) => v === false),
      "nothing declared by default",
    );
  });

  it("the parsed config is frozen all the way down", () => {
    const { config } = defaultConfig();
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.thresholds));
    assert.throws(() => {
      (config.thresholds as { maxUtilizationPercent: number }).maxUtilizationPercent = 99;
    });
  });

  it("reads lakehouse: keys from a stack file and ignores other namespaces", () => {
    const dir = stackDir(
      [
        "config:",
        "  kubernetes:context: anton",
        "  lakehouse:thresholds:",
        "    minFreeCpu: 8",
        "  lakehouse:triggers:",
        "    manualEtl: true",
      ].join("\n"),
    );
    const { config, source } = loadStackFile("t", dir);
    assert.equal(config.thresholds.minFreeCpu, "8");
    assert.equal(config.thresholds.minFreeMemory, "60Gi", "unset keys keep their defaults");
    assert.equal(config.triggers.manualEtl, true);
    assert.ok(source.endsWith("Pulumi.t.yaml"));
  });

  it("Pulumi's runtime config (JSON strings) parses to the same object as the YAML file", () => {
    const fromRuntime = fromPulumiConfig(
      {
        "lakehouse:thresholds": JSON.stringify({ minFreeCpu: "8", maxUtilizationPercent: "65" }),
        "lakehouse:triggers": JSON.stringify({ manualEtl: "true", s3Storage: "false" }),
        "kubernetes:context": "anton",
      },
      "t",
    ).config;
    assert.equal(fromRuntime.thresholds.minFreeCpu, "8");
    assert.equal(fromRuntime.thresholds.maxUtilizationPercent, 65);
    assert.equal(fromRuntime.triggers.manualEtl, true);
    assert.equal(fromRuntime.triggers.s3Storage, false, '"false" must not coerce to true');
  });

  it("encrypted values are set aside, not parsed, and their keys reported", () => {
    const dir = stackDir(
      [
        "config:",
        "  lakehouse:s3:",
        "    secretAccessKey:",
        "      secure: v1:abcdef",
        "    region: eu-1",
      ].join("\n"),
    );
    const loaded = loadStackFile("t", dir);
    assert.deepEqual(loaded.encryptedKeys, ["lakehouse:s3.secretAccessKey"]);
    assert.equal(loaded.config.s3.secretAccessKey, "");
    assert.equal(loaded.config.s3.region, "eu-1");
  });

  const invalid: { name: string; raw: Record<string, unknown>; key: string; words: RegExp }[] = [
    {
      name: "CPU quantity",
      raw: { thresholds: { minFreeCpu: "six" } },
      key: "lakehouse:thresholds.minFreeCpu",
      words: /CPU quantity.*saw "six"/,
    },
    {
      name: "memory quantity",
      raw: { thresholds: { minFreeMemory: "lots" } },
      key: "lakehouse:thresholds.minFreeMemory",
      words: /memory or storage quantity.*saw "lots"/,
    },
    {
      name: "percent range",
      raw: { thresholds: { maxUtilizationPercent: 170 } },
      key: "lakehouse:thresholds.maxUtilizationPercent",
      words: /170/,
    },
    {
      name: "metastore lock timeout below its floor",
      raw: { foundation: { metastoreLockTimeoutSeconds: 30 } },
      key: "lakehouse:foundation.metastoreLockTimeoutSeconds",
      words: /60.*saw 30/,
    },
    {
      name: "boolean",
      raw: { triggers: { manualEtl: "maybe" } },
      key: "lakehouse:triggers.manualEtl",
      words: /maybe/,
    },
    {
      name: "kubernetes name",
      raw: { cluster: { cephNamespace: "Storage_NS" } },
      key: "lakehouse:cluster.cephNamespace",
      words: /Kubernetes name/,
    },
    {
      name: "enum",
      raw: { secretManagement: { provider: "vault-ish" } },
      key: "lakehouse:secretManagement.provider",
      words: /vault-ish/,
    },
    {
      name: "unknown nested key",
      raw: { thresholds: { minFreeCPU: 6 } },
      key: "lakehouse:thresholds",
      words: /unknown key\(s\) "minFreeCPU"/,
    },
    {
      name: "Spark image of another line than the pinned jar set's",
      raw: { images: { spark: "apache/spark:4.0.1-scala2.13-java17-python3-ubuntu" } },
      key: "lakehouse:images.spark",
      words:
        /Spark 4\.0\.1; the Spark jobs' pinned jar set .*iceberg-spark-runtime-3\.5_2\.12.* is for Spark 3\.5\.x/,
    },
    {
      name: "unknown top-level key",
      raw: { treshold: {} },
      key: "lakehouse:",
      words: /unknown key\(s\) "treshold".*lakehouse:thresholds/,
    },
  ];
  for (const c of invalid) {
    it(`rejects an invalid ${c.name}, naming the key, what was seen and the fix`, () => {
      const e = inputError(() => parseConfig(c.raw, "Pulumi.t.yaml"));
      assert.match(e.message, /Pulumi\.t\.yaml/);
      assert.ok(e.message.includes(c.key), `${e.message} should name ${c.key}`);
      assert.match(e.message, c.words);
      assert.match(e.message, /Fix:/);
    });
  }

  it("a missing stack file names the path and the stacks that exist", () => {
    const dir = stackDir("config: {}\n");
    const e = inputError(() => loadStackFile("nope", dir));
    assert.match(e.message, /Pulumi\.nope\.yaml not found/);
    assert.match(e.message, /found: t/);
  });

  it("malformed YAML names the file, line and column", () => {
    const dir = stackDir("config:\n  lakehouse:thresholds: {minFreeCpu: 6\n  x: [\n");
    const e = inputError(() => loadStackFile("t", dir));
    assert.match(e.message, /Pulumi\.t\.yaml: malformed YAML at line \d+, column \d+/);
  });
});

describe("config: sizing", () => {
  it("plans the pods of the enabled phases from the one sizing", () => {
    const { config } = defaultConfig();
    const pods = plannedPods(config);
    const metastore = pods.filter((p) => p.component === "metastore");
    assert.equal(metastore.length, config.sizing.metastore.replicas);
    assert.equal(metastore[0].phase, "foundation");
    assert.equal(metastore[0].memory, 1 * GiB);
    assert.deepEqual([...new Set(pods.map((p) => p.phase))], ["foundation", "compute", "analytics"]);
  });

  it("the default platform fits the assessment's own free-capacity line (6 CPU, 60Gi)", () => {
    const t = totals(plannedPods(defaultConfig().config));
    assert.ok(t.cpu <= 6, `planned CPU ${t.cpu} > 6`);
    assert.ok(t.memory <= 60 * GiB, `planned memory ${t.memory / GiB}Gi > 60Gi`);
  });

  it("a disabled phase plans nothing", () => {
    const config = parseConfig({ phases: { analytics: false } }, "test");
    assert.ok(plannedPods(config).every((p) => p.phase !== "analytics"));
  });

  it("container resources: memory limit defaults to the request, no CPU limit unless set", () => {
    assert.deepEqual(containerResources({ replicas: 1, cpu: "250m", memory: "1Gi" }), {
      requests: { cpu: "250m", memory: "1Gi" },
      limits: { memory: "1Gi" },
    });
    assert.deepEqual(
      containerResources({ replicas: 1, cpu: "1", memory: "1Gi", memoryLimit: "2Gi", cpuLimit: "2" }),
      {
        requests: { cpu: "1", memory: "1Gi" },
        limits: { memory: "2Gi", cpu: "2" },
      },
    );
  });
});
