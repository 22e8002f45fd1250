/**
 * Trigger conditions of the assessment: any one met recommends the bootstrap. A trigger that is not met is a
 * `fail` of severity `info` (never blocking); one that cannot be determined is `unknown` (`met: null`).
 * Storage usage and the S3 need are measured; the rest are declared in `lakehouse:triggers`.
 */
import type { LakehouseConfig } from "../config/schema";
import type { Facts } from "../model";
import { formatBytes, parseBytes } from "../quantity";
import type { CheckDefinition, CheckOutcome } from "./types";
import { listSome, need, plural, ref } from "./util";

type TriggerKey = keyof LakehouseConfig["triggers"];

function base(id: string, title: string): Omit<CheckDefinition, "evaluate"> {
  return { id, title, category: "trigger", severity: "info", critical: false, gates: [] };
}

function metOutcome(met: boolean, observed: string, expected: string, remediation: string): CheckOutcome {
  return met
    ? { status: "pass", met: true, observed, expected, remediation: "" }
    : { status: "fail", met: false, observed, expected, remediation };
}

/** A trigger the cluster cannot show: read from `lakehouse:triggers.<key>`. */
function declared(id: string, title: string, key: TriggerKey, condition: string): CheckDefinition {
  return {
    ...base(id, title),
    evaluate(_facts, { config }) {
      const on = config.triggers[key];
      return metOutcome(
        on,
        on
          ? `Declared in lakehouse:triggers.${key}: ${condition}.`
          : `Not declared: lakehouse:triggers.${key} is false.`,
        `Met when ${condition} (declared with lakehouse:triggers.${key}).`,
        `If ${condition}, run \`pulumi config set --path lakehouse:triggers.${key} true\`; otherwise nothing to do.`,
      );
    },
  };
}

/** Sum of PVC storage requests, in bytes. */
function pvcRequestTotal(facts: Facts): { total: number; count: number } | undefined {
  const c = facts.kinds.persistentvolumeclaims;
  if (c?.state !== "ok") return undefined;
  let total = 0;
  for (const p of c.items) {
    const req = (p.spec?.resources as { requests?: { storage?: string } } | undefined)?.requests?.storage;
    total += parseBytes(req) ?? 0;
  }
  return { total, count: c.items.length };
}

const storageUsage: CheckDefinition = {
  ...base("trigger.storage-usage", "Storage usage: PVC requests exceed the storage trigger"),
  evaluate(facts, { config }) {
    const threshold = parseBytes(config.thresholds.storageTrigger) ?? 0;
    const expected = `Met when PVC requests total more than ${formatBytes(threshold)} (lakehouse:thresholds.storageTrigger).`;
    const n = need(facts, "persistentvolumeclaims", expected);
    if ("outcome" in n) return { ...n.outcome, status: "unknown", met: null };
    const sum = pvcRequestTotal(facts)!;
    const met = sum.total > threshold;
    return {
      ...metOutcome(
        met,
        `${plural(sum.count, "PVC")} request ${formatBytes(sum.total)} in total (${met ? "above" : "at or below"} ${formatBytes(threshold)}).`,
        expected,
        "Nothing to do: storage alone does not call for a lakehouse yet; other triggers may.",
      ),
      data: { totalBytes: sum.total, pvcs: sum.count, thresholdBytes: threshold },
    };
  },
};

const s3Storage: CheckDefinition = {
  ...base("trigger.s3-storage", "S3 storage: applications need S3-compatible object storage"),
  evaluate(facts, { config }) {
    const expected =
      "Met when applications need S3-compatible storage: ObjectBucketClaims exist, or lakehouse:triggers.s3Storage is true.";
    const declaredOn = config.triggers.s3Storage;
    const c = facts.kinds.objectbucketclaims;
    if (c?.state === "ok" && c.items.length > 0) {
      return {
        status: "pass",
        met: true,
        observed: `${plural(c.items.length, "ObjectBucketClaim")} already in use (${listSome(c.items.map(ref))})${declaredOn ? "; also declared" : ""}.`,
        expected,
        remediation: "",
        data: { objectBucketClaims: c.items.length },
      };
    }
    if (declaredOn) {
      return metOutcome(true, "Declared in lakehouse:triggers.s3Storage.", expected, "");
    }
    if (c?.state === "ok" || c?.state === "absent") {
      return metOutcome(
        false,
        c.state === "ok"
          ? "No ObjectBucketClaims exist and lakehouse:triggers.s3Storage is false."
          : "The ObjectBucketClaim CRD is not installed and lakehouse:triggers.s3Storage is false.",
        expected,
        "If applications need S3 buckets, run `pulumi config set --path lakehouse:triggers.s3Storage true`.",
      );
    }
    const n = need(facts, "objectbucketclaims", expected);
    const o = "outcome" in n ? n.outcome : undefined;
    return {
      status: "unknown",
      met: null,
      observed: `${o?.observed ?? "ObjectBucketClaims could not be read."} lakehouse:triggers.s3Storage is false.`,
      expected,
      remediation:
        "Let the preflight read objectbucketclaims, or declare the need with `pulumi config set --path lakehouse:triggers.s3Storage true`.",
    };
  },
};

export const TRIGGER_CHECKS: readonly CheckDefinition[] = [
  storageUsage,
  declared(
    "trigger.manual-etl",
    "Data processing: manual ETL scripts or transformations",
    "manualEtl",
    "manual ETL scripts or data transformations are being run",
  ),
  declared(
    "trigger.analytics-datasets",
    "Analytics: analytical queries on datasets larger than 1GB",
    "analyticsDatasets",
    "analytical queries on datasets larger than 1GB are needed",
  ),
  s3Storage,
  declared(
    "trigger.distributed-processing",
    "Distributed processing: multi-node batch processing",
    "distributedProcessing",
    "multi-node batch processing is needed",
  ),
  declared(
    "trigger.interactive-analytics",
    "Interactive analytics: sub-10-second query responses",
    "interactiveAnalytics",
    "sub-10-second query response times are required",
  ),
  declared(
    "trigger.pipeline-automation",
    "Pipeline automation: manual data workflows need orchestration",
    "pipelineAutomation",
    "manual data workflows need orchestration",
  ),
  declared(
    "trigger.multi-format",
    "Multi-format data: Parquet, Delta or other analytical formats",
    "multiFormat",
    "Parquet, Delta or other analytical formats must be handled",
  ),
  declared(
    "trigger.historical-analysis",
    "Historical analysis: time travel or versioned data",
    "historicalAnalysis",
    "time travel or versioned data access is required",
  ),
];
