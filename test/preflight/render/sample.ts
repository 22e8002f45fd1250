/** Hand-built reports for the renderer tests: shaped like the runner's output, with no I/O behind them. */
import type { CheckResult, Report } from "../../../preflight/model";

export function result(over: Partial<CheckResult> & Pick<CheckResult, "id" | "status">): CheckResult {
  return {
    title: `Title of ${over.id}`,
    category: "state",
    severity: "high",
    critical: false,
    observed: `observed for ${over.id}`,
    expected: `expected for ${over.id}`,
    remediation: over.status === "pass" ? "" : `remediate ${over.id}`,
    gates: [],
    ...over,
  };
}

/** A blocked report: one trigger met, the Airflow prerequisite failing, metrics unknown, S3 skipped. */
export function blockedReport(): Report {
  const checks: CheckResult[] = [
    result({
      id: "trigger.storage-usage",
      category: "trigger",
      status: "pass",
      met: true,
      title: "Storage usage above 200Gi",
      observed: "PVC requests total 312Gi over 41 claims",
    }),
    result({
      id: "trigger.manual-etl",
      category: "trigger",
      status: "fail",
      met: false,
      remediation: "If manual ETL runs, run `pulumi config set --path lakehouse:triggers.manualEtl true`.",
    }),
    result({
      id: "prereq.airflow",
      category: "prerequisite",
      status: "fail",
      critical: true,
      severity: "critical",
      gates: ["compute", "analytics"],
      title: "Airflow orchestration",
      observed: "HelmRelease airflow/airflow is not Ready: install retries exhausted | upgrade failed",
      expected: "HelmRelease airflow/airflow Ready=True",
      remediation:
        "Run `flux reconcile helmrelease airflow -n airflow` and read `kubectl describe hr -n airflow airflow`.",
    }),
    result({
      id: "prereq.cluster-capacity",
      category: "prerequisite",
      status: "unknown",
      critical: true,
      severity: "critical",
      gates: ["foundation", "compute", "analytics"],
      observed: "metrics.k8s.io is not served (metrics-server missing); free 72Gi memory and 9 CPU",
      expected: ">= 60Gi memory and >= 6 CPU free; utilisation < 70 %",
      remediation: "Install metrics-server so utilisation can be measured.",
    }),
    result({ id: "prereq.team-sql", category: "knowledge", status: "warn", severity: "medium" }),
    result({
      id: "state.s3-api",
      category: "state",
      status: "skipped",
      remediation: "Run live to probe S3.",
    }),
    result({
      id: "risk.resource-contention-with-a-very-long-identifier-x",
      category: "risk",
      status: "warn",
    }),
  ];
  return {
    schemaVersion: 1,
    generatedAt: "2026-11-25T18:00:00.000Z",
    mode: "offline",
    origin: "examples/anton/snapshot.json",
    stack: "anton",
    decision: "blocked",
    summary: "Bootstrap is recommended (1 trigger met) but 2 critical prerequisites block it.",
    triggersMet: ["trigger.storage-usage"],
    blocking: ["prereq.airflow", "prereq.cluster-capacity"],
    warnings: ["prereq.team-sql", "risk.resource-contention-with-a-very-long-identifier-x"],
    checks,
    gates: {
      foundation: {
        phase: "foundation",
        open: false,
        blockedBy: ["prereq.cluster-capacity"],
        reason: "closed: prereq.cluster-capacity unknown",
      },
      compute: {
        phase: "compute",
        open: false,
        blockedBy: ["prereq.airflow", "prereq.cluster-capacity"],
        reason: "closed: prereq.airflow failed, prereq.cluster-capacity unknown",
      },
      analytics: {
        phase: "analytics",
        open: false,
        blockedBy: ["prereq.airflow", "prereq.cluster-capacity"],
        reason: "closed: prereq.airflow failed, prereq.cluster-capacity unknown",
      },
    },
    decisionMatrix: [
      {
        condition: "Storage > 200Gi",
        met: "yes",
        priority: "High",
        action: "Check current PVC usage: 312Gi requested",
        checks: ["trigger.storage-usage"],
      },
      {
        condition: "S3 Requirements",
        met: "no",
        priority: "High",
        action: "Validate application needs",
        checks: [],
      },
      {
        condition: "Resources Available",
        met: "unknown",
        priority: "Critical",
        action: "Review cluster capacity | install metrics-server",
        checks: ["prereq.cluster-capacity"],
      },
    ],
    capacity: {
      nodes: 3,
      allocatableCpu: 24,
      allocatableMemory: 96 * 2 ** 30,
      requestedCpu: 15,
      requestedMemory: 24 * 2 ** 30,
      freeCpu: 9,
      freeMemory: 72 * 2 ** 30,
      usedCpu: null,
      usedMemory: null,
      maxUtilizationPercent: 25,
    },
  };
}
