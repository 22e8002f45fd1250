import { strict as assert } from "node:assert";
import { imageProblem } from "../../policy-pack/lib/images";
import { runPolicy, validPlan, withChange } from "./fixtures";

const ID = "pinned-images";
const one = (plan: ReturnType<typeof validPlan>, config?: Record<string, unknown>) => {
  const vs = runPolicy(ID, plan, config);
  assert.equal(vs.length, 1, JSON.stringify(vs, null, 2));
  assert.equal(vs[0].enforcement, "mandatory");
  return vs[0].message;
};
const DIGEST = "sha256:" + "a".repeat(64);

describe("policy pinned-images", () => {
  it("classifies references: tags and digests pin, untagged and latest do not", () => {
    assert.equal(imageProblem("apache/hive:4.0.0", ["latest"]), undefined);
    assert.equal(imageProblem("registry.local:5000/hive:4.0.0", ["latest"]), undefined);
    assert.equal(imageProblem(`apache/hive@${DIGEST}`, ["latest"]), undefined);
    assert.equal(imageProblem(`apache/hive:latest@${DIGEST}`, ["latest"]), undefined);
    assert.match(imageProblem("registry.local:5000/hive", ["latest"]) ?? "", /has no tag/);
    assert.match(imageProblem("apache/hive:latest", ["latest"]) ?? "", /mutable tag 'latest'/);
    assert.match(imageProblem("apache/hive@sha256:xyz", ["latest"]) ?? "", /malformed digest/);
  });

  it("passes the valid plan", () => {
    assert.deepEqual(runPolicy(ID, validPlan()), []);
  });

  it("Deployment container on latest", () => {
    const plan = withChange(
      "metastore-server",
      (p) => (p.spec.template.spec.containers[0].image = "apache/hive:latest"),
    );
    assert.equal(
      one(plan),
      "Deployment 'hive-metastore' must pin the image of container 'metastore' to a version tag or digest: 'apache/hive:latest' uses the mutable tag 'latest'.",
    );
  });

  it("init container untagged", () => {
    const plan = withChange(
      "metastore-server",
      (p) => (p.spec.template.spec.initContainers[0].image = "curlimages/curl"),
    );
    assert.equal(
      one(plan),
      "Deployment 'hive-metastore' must pin the image of container 'fetch-jars' to a version tag or digest: 'curlimages/curl' has no tag (it would pull 'latest').",
    );
  });

  it("a digest pins", () => {
    const plan = withChange(
      "metastore-server",
      (p) => (p.spec.template.spec.containers[0].image = `apache/hive@${DIGEST}`),
    );
    assert.deepEqual(runPolicy(ID, plan), []);
  });

  it("configured mutable tags", () => {
    const plan = withChange("metastore-backup", (p) => {
      p.spec.jobTemplate.spec.template.spec.containers[0].image = "postgres:stable";
    });
    assert.deepEqual(runPolicy(ID, plan), []);
    assert.match(
      one(plan, { mutableTags: ["latest", "stable"] }),
      /^CronJob 'metastore-backup' must pin .*mutable tag 'stable'/,
    );
  });

  it("Helm values image.tag latest", () => {
    const plan = withChange("trino-release", (p) => (p.values.image.tag = "latest"));
    assert.equal(
      one(plan),
      "Release 'trino-release' must pin values 'image.tag' to a version: 'latest' is a mutable tag.",
    );
  });

  it("Helm values image string without a tag", () => {
    const plan = withChange("trino-release", (p) => (p.values.sidecar = { image: "busybox" }));
    assert.equal(
      one(plan),
      "Release 'trino-release' must pin values 'sidecar.image' to a version tag or digest: 'busybox' has no tag (it would pull 'latest').",
    );
  });

  it("Helm values image.repository carrying latest", () => {
    const plan = withChange(
      "trino-release",
      (p) => (p.values.image = { repository: "trinodb/trino:latest" }),
    );
    assert.match(
      one(plan),
      /^Release 'trino-release' must pin values 'image.repository' .*mutable tag 'latest'/,
    );
  });

  it("Helm release without a chart version", () => {
    const plan = withChange("spark-operator", (p) => delete p.version);
    assert.equal(
      one(plan),
      "Release 'spark-operator' must pin the chart version (set 'version'): an unpinned chart moves its images.",
    );
  });

  it("SparkApplication on latest", () => {
    const plan = withChange("spark-smoke", (p) => (p.spec.image = "apache/spark:latest"));
    assert.match(
      one(plan),
      /^SparkApplication 'iceberg-smoke' must pin spec.image to a version tag or digest/,
    );
  });

  it("SparkApplication executor image untagged", () => {
    const plan = withChange("spark-smoke", (p) => (p.spec.executor.image = "apache/spark"));
    assert.match(one(plan), /^SparkApplication 'iceberg-smoke' must pin executor.image .*has no tag/);
  });

  it("SparkApplication without any image", () => {
    const plan = withChange("spark-smoke", (p) => delete p.spec.image);
    assert.match(one(plan), /^SparkApplication 'iceberg-smoke' must set a pinned image/);
  });
});
