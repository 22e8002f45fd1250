import * as assert from "assert/strict";
import { CHECKS } from "../../../preflight/checks";

/** The check ids of issue 2 (and the ones later issues added), exactly: a contract with the CLI, the policies and the docs. */
const ISSUE_IDS = [
  "trigger.storage-usage",
  "trigger.manual-etl",
  "trigger.analytics-datasets",
  "trigger.s3-storage",
  "trigger.distributed-processing",
  "trigger.interactive-analytics",
  "trigger.pipeline-automation",
  "trigger.multi-format",
  "trigger.historical-analysis",
  "prereq.ceph-object-store",
  "prereq.cluster-capacity",
  "prereq.airflow",
  "prereq.monitoring",
  "prereq.gitops",
  "prereq.secret-management",
  "prereq.team-sql",
  "prereq.team-kubernetes",
  "prereq.backup-strategy",
  "state.ceph-health",
  "state.rgw-service",
  "state.s3-api",
  "state.storage-classes",
  "state.pvc-usage",
  "state.node-resources",
  "state.flux",
  "state.airflow-pods",
  "state.prometheus-pods",
  "risk.resource-contention",
  // issue 16
  "risk.storage-bandwidth",
];

describe("check registry", () => {
  it("ids are unique", () => {
    const ids = CHECKS.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  it("holds exactly the issue's check ids, in the assessment's order", () => {
    assert.deepEqual(
      CHECKS.map((c) => c.id),
      ISSUE_IDS,
    );
  });

  it("categories follow the id prefixes and every check has a title", () => {
    for (const c of CHECKS) {
      const prefix = c.id.split(".")[0];
      const expected = {
        trigger: ["trigger"],
        prereq: ["prerequisite", "knowledge"],
        state: ["state"],
        risk: ["risk"],
      }[prefix];
      assert.ok(expected?.includes(c.category), `${c.id} has category ${c.category}`);
      assert.ok(c.title.length > 5, c.id);
    }
  });
});
