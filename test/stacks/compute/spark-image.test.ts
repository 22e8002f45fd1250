/**
 * `lakehouse:images.spark` and the SparkApplication's `sparkVersion`: the version comes from the image, and the
 * schema's Spark line is the one the pinned jar set is built for (read from stacks/compute/spark-jars.json, so
 * the two cannot drift apart unnoticed).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseConfig } from "../../../preflight/config/load";
import {
  DEFAULT_SPARK_VERSION,
  SPARK_LINE,
  sparkVersionFor,
  sparkVersionOfImage,
} from "../../../preflight/config/sparkImage";
import { sampleJobArgs, sampleJobManifest } from "../../../stacks/compute/sparkApplication";

const REPO = path.join(__dirname, "..", "..", "..");

describe("images.spark and sparkVersion", () => {
  it("the Spark line is the one the pinned jar set's Iceberg runtime is built for", () => {
    const jars = JSON.parse(fs.readFileSync(path.join(REPO, "stacks/compute/spark-jars.json"), "utf8")) as {
      coordinate: string;
    }[];
    const runtime = jars
      .map((j) => /iceberg-spark-runtime-(\d+\.\d+)_/.exec(j.coordinate)?.[1])
      .find(Boolean);
    assert.equal(runtime, SPARK_LINE);
    assert.ok(DEFAULT_SPARK_VERSION.startsWith(`${SPARK_LINE}.`));
  });

  it("reads the version from the tag, with or without a registry, port or digest", () => {
    assert.equal(sparkVersionOfImage("apache/spark:3.5.8-scala2.12-java17-python3-ubuntu"), "3.5.8");
    assert.equal(sparkVersionOfImage("registry.lan:5000/spark:3.5.2@sha256:" + "a".repeat(64)), "3.5.2");
    assert.equal(sparkVersionOfImage("ghcr.io/x/spark:v3.5.1"), "3.5.1");
    assert.equal(sparkVersionOfImage("registry.lan:5000/spark@sha256:" + "a".repeat(64)), undefined);
    assert.equal(sparkVersionOfImage("apache/spark:3.5"), undefined);
    assert.equal(sparkVersionFor("registry.lan:5000/spark@sha256:" + "a".repeat(64)), DEFAULT_SPARK_VERSION);
  });

  it("the default image parses; another 3.5.x image parses and a digest-only reference is accepted", () => {
    assert.equal(sparkVersionOfImage(parseConfig({}, "Pulumi.t.yaml").images.spark), "3.5.8");
    for (const spark of [
      "apache/spark:3.5.3-scala2.12-java17-python3-ubuntu",
      "mirror.lan/spark@sha256:" + "b".repeat(64),
    ])
      assert.equal(parseConfig({ images: { spark } }, "Pulumi.t.yaml").images.spark, spark);
  });

  it("the SparkApplication's sparkVersion is its image's version", () => {
    const version = (spark?: string): unknown =>
      sampleJobManifest(sampleJobArgs(parseConfig(spark ? { images: { spark } } : {}, "Pulumi.t.yaml"))).spec
        .sparkVersion;
    assert.equal(version(), "3.5.8");
    assert.equal(version("mirror.lan/apache/spark:3.5.3-java17"), "3.5.3");
    assert.equal(version("mirror.lan/spark@sha256:" + "c".repeat(64)), DEFAULT_SPARK_VERSION);
  });
});
