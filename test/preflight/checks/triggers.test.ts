import { config, find, forbidden, healthy, items, remove, run, setCollection, table } from "./helpers";
import * as assert from "assert/strict";

const DECLARED: [string, string][] = [
  ["trigger.manual-etl", "manualEtl"],
  ["trigger.analytics-datasets", "analyticsDatasets"],
  ["trigger.distributed-processing", "distributedProcessing"],
  ["trigger.interactive-analytics", "interactiveAnalytics"],
  ["trigger.pipeline-automation", "pipelineAutomation"],
  ["trigger.multi-format", "multiFormat"],
  ["trigger.historical-analysis", "historicalAnalysis"],
];

describe("triggers", () => {
  table("trigger.storage-usage", [
    {
      name: "816Gi of PVC requests is above 200Gi",
      status: "pass",
      met: true,
      observed: /16 PVCs request 816Gi.*above 200Gi/,
    },
    {
      name: "a higher threshold is not met: info-level fail",
      config: { thresholds: { storageTrigger: "1Ti" } },
      status: "fail",
      met: false,
      observed: /816Gi.*at or below 1024Gi/,
    },
    {
      name: "exactly at the threshold is not above it",
      mutate: (f) => {
        for (const p of items(f, "persistentvolumeclaims"))
          (p.spec!.resources as { requests: { storage: string } }).requests.storage = "1Gi";
        items(f, "persistentvolumeclaims")[0].spec!.resources = { requests: { storage: "185Gi" } };
      },
      status: "fail",
      met: false,
      observed: /200Gi in total \(at or below 200Gi\)/,
    },
    {
      name: "no PVCs at all",
      mutate: (f) => remove(f, "persistentvolumeclaims", () => true),
      status: "fail",
      met: false,
      observed: /0 PVCs request 0Mi/,
    },
    {
      name: "PVCs forbidden: unknown, met null, names verb and resource",
      mutate: (f) => setCollection(f, "persistentvolumeclaims", forbidden("list", "persistentvolumeclaims")),
      status: "unknown",
      met: null,
      observed: /may not list persistentvolumeclaims/,
      remediation: /Grant .*list.*persistentvolumeclaims/,
    },
  ]);

  table("trigger.s3-storage", [
    {
      name: "an ObjectBucketClaim exists: measured need",
      status: "pass",
      met: true,
      observed: /1 ObjectBucketClaim.*home\/immich-backups/,
    },
    {
      name: "no OBCs and not declared",
      mutate: (f) => remove(f, "objectbucketclaims", () => true),
      status: "fail",
      met: false,
      observed: /No ObjectBucketClaims/,
      remediation: /triggers\.s3Storage true/,
    },
    {
      name: "no OBCs but declared",
      mutate: (f) => remove(f, "objectbucketclaims", () => true),
      config: { triggers: { s3Storage: true } },
      status: "pass",
      met: true,
      observed: /Declared/,
    },
    {
      name: "OBC CRD absent counts as no OBCs",
      mutate: (f) =>
        setCollection(f, "objectbucketclaims", {
          state: "absent",
          message: "ObjectBucketClaim CRD not installed",
        }),
      status: "fail",
      met: false,
      observed: /CRD is not installed/,
    },
    {
      name: "OBCs forbidden and not declared: unknown",
      mutate: (f) =>
        setCollection(f, "objectbucketclaims", forbidden("list", "objectbucketclaims.objectbucket.io")),
      status: "unknown",
      met: null,
      observed: /may not list objectbucketclaims/,
    },
  ]);

  for (const [id, key] of DECLARED) {
    table(id, [
      {
        name: "not declared: info-level fail",
        status: "fail",
        met: false,
        observed: new RegExp(`triggers\\.${key} is false`),
        remediation: new RegExp(`--path lakehouse:triggers\\.${key} true`),
      },
      {
        name: "declared in config",
        config: { triggers: { [key]: true } },
        status: "pass",
        met: true,
        observed: /Declared/,
      },
      {
        name: "declared as Pulumi's string 'true'",
        config: { triggers: { [key]: "true" } },
        status: "pass",
        met: true,
      },
    ]);
  }

  it("triggers are info severity and never critical or gating", () => {
    const f = healthy();
    for (const id of ["trigger.storage-usage", "trigger.s3-storage", ...DECLARED.map(([i]) => i)]) {
      const r = run(id, f, config());
      assert.equal(r.severity, "info");
      assert.equal(r.critical, false);
      assert.deepEqual(r.gates, []);
      assert.equal(r.category, "trigger");
    }
    // The fixture lookup helper itself works (guards the tables above against a renamed fixture).
    assert.equal(find(f, "objectbucketclaims", "immich-backups", "home").kind, "ObjectBucketClaim");
  });
});
