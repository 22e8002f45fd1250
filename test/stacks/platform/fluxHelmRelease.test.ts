/**
 * The Flux delivery module: its pure parts (exact versions, durations, argument checks) and the
 * component under mocks with the exact inputs of both children (chart, version, sourceRef, values, the wait
 * annotations and timeout, the dependsOn from the release to its repository).
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import {
  durationSeconds,
  isExactChartVersion,
  validateFluxHelmReleaseArgs,
  type FluxHelmReleaseArgs,
} from "../../../stacks/platform/fluxHelmRelease";
import { runMocked, type MockedRun, type Recorded } from "../run-mocked";

const SCENARIO = path.join(__dirname, "scenario.ts");

const ARGS: FluxHelmReleaseArgs = {
  namespace: "lakehouse",
  repository: { name: "spark-operator", url: "https://kubeflow.github.io/spark-operator" },
  chart: "spark-operator",
  version: "2.5.2",
  releaseName: "spark-operator",
  values: { controller: { replicas: 1 }, webhook: { enable: true } },
  timeout: "5m",
  labels: { "app.kubernetes.io/part-of": "lakehouse", "lakehouse.dev/phase": "compute" },
};

describe("stacks/platform fluxHelmRelease (pure)", () => {
  it("accepts exact SemVer versions only", () => {
    for (const v of ["2.5.2", "1.42.0", "0.1.0-rc.1", "1.0.0+build.5"]) assert.ok(isExactChartVersion(v), v);
    for (const v of [
      "",
      " 2.5.2",
      "v2.5.2",
      "^2.5.2",
      "~2.5",
      "2.x",
      "2.5",
      "*",
      ">=2.5.0 <3.0.0",
      "2.5.*",
    ]) {
      assert.ok(!isExactChartVersion(v), v);
    }
    assert.ok(!isExactChartVersion(undefined));
  });

  it("reads Flux durations as whole seconds", () => {
    assert.equal(durationSeconds("10m"), 600);
    assert.equal(durationSeconds("90s"), 90);
    assert.equal(durationSeconds("1h30m"), 5400);
    assert.equal(durationSeconds("1500ms"), 2);
    for (const d of ["", "10", "ten minutes", "5d", "0s"]) assert.equal(durationSeconds(d), undefined, d);
  });

  it("rejects a range, a plain-http repository, a bad name and a bad timeout, naming each", () => {
    assert.throws(
      () =>
        validateFluxHelmReleaseArgs("op", {
          ...ARGS,
          version: "^2.5.0",
          repository: { name: "Spark_Operator", url: "http://example.invalid/charts" },
          timeout: "soon",
        }),
      (e: Error) => {
        assert.match(e.message, /^FluxHelmRelease 'op' has invalid arguments: /);
        assert.match(e.message, /version "\^2\.5\.0" is not an exact chart version/);
        assert.match(e.message, /repository\.url "http:\/\/example\.invalid\/charts" is not an https URL/);
        assert.match(e.message, /repository\.name "Spark_Operator" is not a Kubernetes name/);
        assert.match(e.message, /timeout "soon" is not a duration/);
        return true;
      },
    );
    assert.throws(() => validateFluxHelmReleaseArgs("op", { ...ARGS, version: "" }), /version "" is not/);
    assert.doesNotThrow(() => validateFluxHelmReleaseArgs("op", ARGS));
  });
});

describe("stacks/platform FluxHelmRelease (mocks)", function () {
  this.timeout(240_000);
  let run: MockedRun;
  const byType = (t: string): Recorded => {
    const found = run.resources.filter((r) => r.type === t);
    assert.equal(found.length, 1, `one ${t}`);
    return found[0];
  };

  before(async () => {
    run = await runMocked(SCENARIO, { name: "spark-operator", args: ARGS, valuesAsOutput: true });
    assert.equal(run.error, undefined, run.error);
  });

  it("registers the component and exactly its two children, parented to it", () => {
    const comp = byType("lakehouse:delivery:FluxHelmRelease");
    assert.equal(comp.name, "spark-operator");
    const children = run.resources
      .filter((r) => r.parent === comp.urn)
      .map((r) => `${r.type} ${r.name}`)
      .sort();
    assert.deepEqual(children, [
      "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease spark-operator-release",
      "kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository spark-operator-repo",
    ]);
  });

  it("creates the HelmRepository with the URL and labels given", () => {
    const repo = byType("kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository");
    assert.deepEqual(repo.inputs, {
      apiVersion: "source.toolkit.fluxcd.io/v1",
      kind: "HelmRepository",
      metadata: { name: "spark-operator", namespace: "lakehouse", labels: ARGS.labels },
      spec: { url: "https://kubeflow.github.io/spark-operator", interval: "1h" },
    });
  });

  it("creates the HelmRelease with the pinned chart, its sourceRef, the values, the wait and the timeout", () => {
    const rel = byType("kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease");
    assert.deepEqual(rel.inputs, {
      apiVersion: "helm.toolkit.fluxcd.io/v2",
      kind: "HelmRelease",
      metadata: {
        name: "spark-operator",
        namespace: "lakehouse",
        labels: ARGS.labels,
        // 5m of Flux timeout + 60 s: Flux's own timeout fires first and says why.
        annotations: { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "360" },
      },
      spec: {
        releaseName: "spark-operator",
        interval: "10m",
        timeout: "5m",
        chart: {
          spec: {
            chart: "spark-operator",
            version: "2.5.2",
            sourceRef: { kind: "HelmRepository", name: "spark-operator", namespace: "lakehouse" },
            interval: "1h",
          },
        },
        install: { crds: "CreateReplace", remediation: { retries: 3 } },
        upgrade: { crds: "CreateReplace", remediation: { retries: 3, remediateLastFailure: true } },
        values: { controller: { replicas: 1 }, webhook: { enable: true } },
      },
    });
  });

  it("orders the release after its repository (dependsOn)", () => {
    const repo = byType("kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository");
    const rel = byType("kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease");
    assert.ok(rel.dependencies.includes(repo.urn), "release depends on the repository");
  });

  it("defaults the timeout to 10m and sets targetNamespace only when it differs", async () => {
    const r = await runMocked(SCENARIO, {
      name: "trino",
      args: { ...ARGS, timeout: undefined, targetNamespace: "analytics", releaseName: "trino" },
    });
    assert.equal(r.error, undefined, r.error);
    const rel = r.resources.find((x) => x.type === "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease")!;
    assert.equal(rel.inputs.spec.timeout, "10m");
    assert.equal(rel.inputs.metadata.annotations["pulumi.com/timeoutSeconds"], "660");
    assert.equal(rel.inputs.spec.targetNamespace, "analytics");
  });

  it("registers nothing and fails with the argument named for an unpinned chart", async () => {
    const r = await runMocked(SCENARIO, { name: "bad", args: { ...ARGS, version: "2.x" } });
    assert.match(
      r.error ?? "",
      /FluxHelmRelease 'bad' has invalid arguments: version "2\.x" is not an exact/,
    );
    assert.equal(
      r.resources.filter((x) => x.type.startsWith("kubernetes:")).length,
      0,
      "no Kubernetes object registered",
    );
  });
});
