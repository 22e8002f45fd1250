/**
 * `verify.artifact-cache`: the in-cluster artifact cache holds every pinned artifact (jars for the metastore
 * and Spark, wheels for the verification Jobs) with its pinned sha256, so any pod of the platform can start
 * with the internet down. Decided from the JSON line of the cache script in `check` mode (artifacts.ts). Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import { platformArtifacts, totalBytes } from "../../../stacks/platform/artifacts";
import { FOUNDATION_NAMES } from "../../../stacks/foundation/names";
import type { FoundationObservations, VerifyCheckDefinition } from "../../types";
import { jobProblem, lastLine } from "../../checks/common";

const RUNBOOK = "docs/runbooks/foundation.md#artifact-cache";
const names = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const list = (xs: string[]): string =>
  `${xs.slice(0, 5).join(", ")}${xs.length > 5 ? `, and ${xs.length - 5} more` : ""}`;

export const artifactCache: VerifyCheckDefinition<FoundationObservations> = {
  id: "verify.artifact-cache",
  title: "The in-cluster artifact cache holds every pinned jar and wheel with its sha256",
  severity: "critical",
  // A pod that cannot find its jars does not start: the catalog's availability depends on this.
  critical: true,
  phase: "foundation",
  evaluate(obs, ctx): CheckOutcome {
    const ns = ctx.config.platform.namespace;
    const bucket = ctx.config.artifacts.bucket;
    const want = platformArtifacts();
    const expected = `all ${want.length} pinned artifacts (${(totalBytes(want) / 2 ** 20).toFixed(1)} MiB) in s3://${bucket}, each with its pinned sha256`;
    const restage =
      `Stage them again: \`pulumi up --replace\` with the URN of the Job ${FOUNDATION_NAMES.artifactStage}-<hash> ` +
      `(\`pulumi stack --show-urns | grep ${FOUNDATION_NAMES.artifactStage}\`); air-gapped, first put the files on ` +
      `the mirror lakehouse:artifacts.source names (${RUNBOOK}).`;
    const problem = jobProblem(obs.artifactCache, expected, ns);
    if (problem) return problem;
    const job = obs.artifactCache as Extract<typeof obs.artifactCache, { state: "completed" }>;
    const r = job.result ?? {};
    const missing = names(r.missing);
    const corrupt = names(r.corrupt);
    const data = {
      job: job.job,
      bucket,
      artifacts: r.artifacts,
      verified: r.verified,
      missing,
      corrupt,
      bytes: r.bytes,
    };
    if (r.mode !== "check" || r.error !== undefined) {
      return {
        status: "unknown",
        observed: `The cache could not be read: ${String(r.error ?? lastLine(job.logTail))}`,
        expected,
        remediation: `Check that the object store answers in-cluster and that the Secret of ${FOUNDATION_NAMES.artifactsClaim} holds the bucket's keys (${RUNBOOK}).`,
        data,
      };
    }
    if (missing.length > 0 || corrupt.length > 0) {
      const parts = [
        missing.length > 0 ? `${missing.length} missing (${list(missing)})` : "",
        corrupt.length > 0
          ? `${corrupt.length} with a sha256 that differs from the pin (${list(corrupt)})`
          : "",
      ].filter(Boolean);
      return {
        status: "fail",
        observed: `Of ${String(r.artifacts)} pinned artifacts in s3://${bucket}, ${parts.join(" and ")}: a pod that needs one will not start.`,
        expected,
        remediation: restage,
        data,
      };
    }
    if (r.ok !== true || Number(r.verified) !== want.length) {
      return {
        status: "fail",
        observed: `The check verified ${String(r.verified)} of ${want.length} artifacts.`,
        expected,
        remediation: restage,
        data,
      };
    }
    return {
      status: "pass",
      observed: `All ${want.length} pinned artifacts are in s3://${bucket} (${(Number(r.bytes) / 2 ** 20).toFixed(1)} MiB read back in-cluster), each with its pinned sha256.`,
      expected,
      remediation: "",
      data,
    };
  },
};
