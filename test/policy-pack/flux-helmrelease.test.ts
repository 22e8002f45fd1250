/**
 * The policy pack reads Flux HelmReleases (helm.toolkit.fluxcd.io/v2, how stacks/platform/fluxHelmRelease.ts installs charts) like
 * Pulumi's helm.sh Releases: chart name and version from spec.chart.spec, values from spec.values. One valid
 * release of the trino chart, one change per case.
 */
import * as assert from "node:assert/strict";
import { isHelmRelease } from "../../policy-pack/lib/resources";
import { resourceRequests } from "../../policy-pack/lib/requests";
import { chartName, helmChart, helmValues } from "../../policy-pack/lib/workloads";
import type { PlannedResource } from "../../policy-pack/types";
import { runPolicy } from "./fixtures";

const TYPE = "kubernetes:helm.toolkit.fluxcd.io/v2:HelmRelease";
const GiB = 2 ** 30;

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function release(change: (p: Obj) => void = () => {}): PlannedResource {
  const props = {
    apiVersion: "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: {
      name: "trino",
      namespace: "lakehouse",
      labels: { "app.kubernetes.io/part-of": "lakehouse", "lakehouse.dev/phase": "analytics" },
    },
    spec: {
      releaseName: "trino",
      chart: {
        spec: { chart: "trino", version: "1.42.2", sourceRef: { kind: "HelmRepository", name: "trinodb" } },
      },
      values: {
        image: { repository: "trinodb/trino:476", useRepositoryAsSoleImageReference: true },
        server: { workers: 3 },
        coordinator: {
          priorityClassName: "lakehouse-critical",
          resources: { requests: { cpu: "500m", memory: "6Gi" }, limits: { memory: "6Gi" } },
        },
        worker: {
          priorityClassName: "lakehouse-batch",
          resources: { requests: { cpu: "1", memory: "8Gi" }, limits: { memory: "8Gi" } },
        },
      },
    },
  };
  change(props);
  return {
    type: TYPE,
    name: "trino-chart-release",
    urn: `urn:pulumi:test::lakehouse::${TYPE}::trino`,
    props,
  };
}

describe("policies on Flux HelmReleases", () => {
  it("reads chart, version and values from the HelmRelease spec", () => {
    const r = release();
    assert.ok(isHelmRelease(TYPE));
    assert.ok(isHelmRelease("kubernetes:helm.toolkit.fluxcd.io/v2beta2:HelmRelease"));
    assert.ok(!isHelmRelease("kubernetes:source.toolkit.fluxcd.io/v1:HelmRepository"));
    assert.equal(chartName(r.props), "trino");
    assert.equal(helmChart(r.props).version, "1.42.2");
    assert.deepEqual(helmValues(TYPE, r.props)?.server, { workers: 3 });
  });

  it("counts the trino chart's pods at their replicas (coordinator 1, workers server.workers)", () => {
    assert.deepEqual(resourceRequests(TYPE, release().props), { cpu: 0.5 + 3, memory: (6 + 3 * 8) * GiB });
    // no server.workers: the chart's default of 2
    const dflt = release((p) => delete p.spec.values.server);
    assert.deepEqual(resourceRequests(TYPE, dflt.props), { cpu: 2.5, memory: 22 * GiB });
  });

  it("pinned-images: a release with a pinned chart and image passes; an unpinned chart with a bare repository fails", () => {
    assert.deepEqual(runPolicy("pinned-images", [release()]), []);
    const bad = release((p) => {
      delete p.spec.chart.spec.version;
      p.spec.values.image = { repository: "trinodb/trino" };
    });
    const msgs = runPolicy("pinned-images", [bad]).map((v) => v.message);
    assert.ok(
      msgs.some((m) => /must pin the chart version/.test(m)),
      msgs.join("\n"),
    );
    assert.ok(
      msgs.some((m) => /values 'image.tag' \(or the chart version\)/.test(m)),
      msgs.join("\n"),
    );
  });

  it("container-resources and priority-class read the per-role blocks of the values", () => {
    assert.deepEqual(runPolicy("container-resources", [release()]), []);
    assert.deepEqual(runPolicy("priority-class", [release()]), []);
    const noRes = release((p) => delete p.spec.values.worker.resources);
    assert.match(runPolicy("container-resources", [noRes])[0]?.message ?? "", /must set worker\.resources/);
    const noClass = release((p) => delete p.spec.values.worker.priorityClassName);
    assert.match(runPolicy("priority-class", [noClass])[0]?.message ?? "", /worker\.priorityClassName/);
  });
});
