/**
 * `verify.metastore-lock-timeout`: a table lock whose writer died is released by the metastore within the lock
 * timeout plus one housekeeping run, so a killed writer cannot block its table's commits for good. Decided from
 * the JSON line of `metastore_lock_timeout.py` (take a lock on a scratch table, abandon it, wait). Also carries
 * the oldest-lock figures the script saw. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { FoundationObservations, VerifyCheckDefinition } from "../../types";
import { FOUNDATION_NAMES } from "../../../stacks/foundation/names";
import { lockReleaseBoundSeconds } from "../../../stacks/foundation/metastoreSite";
import { jobProblem } from "../../checks/common";

/** How often the script looks for its lock: a release is measured up to this late. */
const LOCK_POLL_SECONDS = 5;

interface LockFigures {
  count?: number;
  oldestHeldSeconds?: number | null;
  oldestSilentSeconds?: number | null;
  oldest?: {
    table?: string;
    heldSeconds?: number | null;
    silentSeconds?: number | null;
    host?: string;
  } | null;
}

const RUNBOOK = "docs/runbooks/foundation.md#metastorelockheldtoolong";

/** One sentence about the other locks the script saw when it took its own. */
function describeOtherLocks(f: LockFigures | undefined): string {
  if (!f || typeof f.count !== "number") return "The other locks could not be listed.";
  if (f.count === 0) return "No other lock was held.";
  const o = f.oldest;
  const held = typeof f.oldestHeldSeconds === "number" ? `held ${f.oldestHeldSeconds} s` : "waiting";
  const silent = typeof o?.silentSeconds === "number" ? `, last heartbeat ${o.silentSeconds} s before` : "";
  return `${f.count} other lock(s); the oldest, on ${o?.table ?? "?"}${o?.host ? ` from ${o.host}` : ""}, ${held}${silent}.`;
}

export const metastoreLockTimeout: VerifyCheckDefinition<FoundationObservations> = {
  id: "verify.metastore-lock-timeout",
  title: "The metastore releases a table lock abandoned by its writer within the lock timeout",
  severity: "critical",
  critical: true,
  phase: "foundation",
  evaluate(obs, ctx): CheckOutcome {
    const timeout = ctx.config.foundation.metastoreLockTimeoutSeconds;
    const bound = lockReleaseBoundSeconds(timeout);
    const ns = ctx.config.platform.namespace;
    const expected = `an abandoned lock released within ${bound} s (lock timeout ${timeout} s, lakehouse:foundation.metastoreLockTimeoutSeconds, + one 30 s housekeeping run)`;
    const problem = jobProblem(obs.lockTimeout, expected, ns);
    if (problem) return problem;
    const job = obs.lockTimeout as Extract<typeof obs.lockTimeout, { state: "completed" }>;
    const r = job.result ?? {};
    const figures = (r.locks ?? undefined) as LockFigures | undefined;
    const others = describeOtherLocks(figures);
    const data: Record<string, unknown> = {
      job: job.job,
      lockId: r.lockId,
      table: r.table,
      releasedAfterSeconds: r.releasedAfterSeconds ?? null,
      boundSeconds: bound,
      timeoutSeconds: timeout,
      locks: figures ?? null,
    };
    const logs = `\`kubectl -n ${ns} logs deploy/${FOUNDATION_NAMES.metastore} | grep -E 'AcidHouseKeeperService|locks due to timed-out'\``;
    if (r.ok !== true) {
      if (r.stage === "wait") {
        return {
          status: "fail",
          observed: `The metastore still held lock ${String(r.lockId)} on ${String(r.table)} ${String(r.waitedSeconds)} s after its writer vanished (${
            r.cleanedUp ? "the check unlocked it itself" : "it could not be unlocked: it expires only by hand"
          }). A writer killed mid-commit would block its table's commits the same way. ${others}`,
          expected,
          remediation: `Housekeeping is not timing out locks: check that the ConfigMap ${FOUNDATION_NAMES.metastore}-conf sets metastore.housekeeping.threads.on=true (\`pulumi up\` restores it) and that each replica logs its runs (${logs}); see ${RUNBOOK}.`,
          data,
        };
      }
      return {
        status: "unknown",
        observed: `The lock probe could not ${
          r.stage === "connect"
            ? "reach the metastore"
            : r.stage === "poll"
              ? "watch its lock"
              : "take its lock"
        }: ${String(r.error ?? "no detail")}.`,
        expected,
        remediation: `Check verify.metastore-available first (the metastore must answer Thrift calls), then rerun; the probe's log: \`kubectl -n ${ns} logs job/${job.job}\` (with --keep-jobs).`,
        data,
      };
    }
    const released = Number(r.releasedAfterSeconds);
    if (!Number.isFinite(released)) {
      return {
        status: "unknown",
        observed: `The lock probe reported no release time: ${JSON.stringify(r).slice(0, 200)}.`,
        expected,
        remediation: `Rerun the verification; if it repeats, read the probe's log (--keep-jobs).`,
        data,
      };
    }
    const measured = `An abandoned lock on ${String(r.table)} was released after ${released} s`;
    if (released > bound + LOCK_POLL_SECONDS) {
      return {
        status: "warn",
        observed: `${measured}, later than the ${bound} s bound: housekeeping runs, but late. ${others}`,
        expected,
        remediation: `A slow metastore database or overloaded replicas delay housekeeping: see the MetastoreDatabaseDown and MetastoreLockHeldTooLong sections of docs/runbooks/foundation.md and the replicas' log (${logs}).`,
        data,
      };
    }
    const silent = figures?.oldestSilentSeconds;
    if (typeof silent === "number" && silent > bound) {
      return {
        status: "warn",
        observed: `${measured} (bound ${bound} s), but another lock had no heartbeat for ${silent} s, longer than the bound. ${others}`,
        expected,
        remediation: `Inspect that lock and its writer with the queries in ${RUNBOOK}.`,
        data,
      };
    }
    return {
      status: "pass",
      observed: `${measured} (bound ${bound} s). ${others}`,
      expected,
      remediation: "",
      data,
    };
  },
};
