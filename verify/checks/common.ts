/**
 * Outcomes shared by every Job-based check: the Job could not be created or read, it timed out, was skipped,
 * or ended without its result line. Pure.
 */
import type { CheckOutcome } from "../../preflight/checks/types";
import type { JobObservation } from "../types";

/** One line of a log tail for an `observed` field: the last non-empty line, shortened. */
export function lastLine(text: string, max = 200): string {
  const line =
    text
      .trim()
      .split("\n")
      .filter((l) => l.trim() !== "")
      .pop() ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * The outcome for a Job that produced no result to judge, or undefined when it did (then the check decides).
 * Not being able to measure is `unknown`, never `pass`: the verification fails closed.
 */
export function jobProblem(
  obs: JobObservation,
  expected: string,
  namespace: string,
): CheckOutcome | undefined {
  switch (obs.state) {
    case "skipped":
      return { status: "skipped", observed: obs.reason, expected, remediation: "" };
    case "error":
      if (obs.stage === "start") {
        return {
          status: "unknown",
          observed: `The verification Job ${obs.job ?? ""} could not start: ${obs.message}`,
          expected,
          remediation: `Fix what the pod reports: an image the nodes cannot pull (pass --python-image/--restore-image with a reachable pinned image) or a Secret/ConfigMap key it references that does not exist (docs/verification.md, Jobs).`,
        };
      }
      return {
        status: "unknown",
        observed: `The verification Job${obs.job ? ` ${obs.job}` : ""} could not be ${
          obs.stage === "create" ? "created" : obs.stage === "wait" ? "watched" : "read"
        }: ${obs.message}`,
        expected,
        remediation: `Check that the Kubernetes API is reachable and that your identity may create and delete jobs and configmaps and read pods and pods/log in namespace ${namespace} (docs/verification.md, RBAC).`,
      };
    case "timeout":
      return {
        status: "unknown",
        observed: `The verification Job ${obs.job} did not finish within ${Math.round(obs.waitedMs / 1000)} s (${obs.detail})${
          obs.logTail ? `; last log line: ${lastLine(obs.logTail)}` : ""
        }.`,
        expected,
        remediation: `Run \`kubectl -n ${namespace} describe job ${obs.job}\` (image pull, scheduling, a hung connection) and rerun with a longer --timeout if the cluster is just slow.`,
        data: { job: obs.job },
      };
    case "completed":
      if (obs.result) return undefined;
      return {
        status: "unknown",
        observed: `The verification Job ${obs.job} ended (${obs.succeeded ? "succeeded" : "failed"}${
          obs.exitCode !== null ? `, exit ${obs.exitCode}` : ""
        }) without printing its result line${obs.logTail ? `; last log line: ${lastLine(obs.logTail)}` : ""}.`,
        expected,
        remediation: `Read the Job's log (\`kubectl -n ${namespace} logs job/${obs.job}\`, or rerun with --keep-jobs): the image may lack the tools the script needs (docs/verification.md, Images).`,
        data: { job: obs.job, exitCode: obs.exitCode },
      };
  }
}

/**
 * What a run's clean-up left behind: the clean-up Job's own complaint (unless it completed with `ok`), then the
 * leftovers the runner saw. Empty when everything was removed; a non-empty list is worth a warning, not a
 * failed criterion (the sample job and the Airflow DAG run share this).
 */
export function cleanupLeftovers(cleanup: JobObservation, leftovers: readonly string[]): string[] {
  const cleanOk = cleanup.state === "completed" && cleanup.result?.ok === true;
  if (cleanOk) return [...leftovers];
  const said =
    cleanup.state === "completed"
      ? `reported ${JSON.stringify(cleanup.result?.errors ?? cleanup.result?.error ?? lastLine(cleanup.logTail))}`
      : cleanup.state === "error"
        ? cleanup.message
        : cleanup.state;
  return [`the clean-up Job ${said}`, ...leftovers];
}

/**
 * The last step of a run that succeeded (the sample job, the Airflow DAG run): `pass` when its clean-up removed
 * everything, else `warn` naming what is left (cleanupLeftovers) with `remediation`, how to remove it by hand.
 */
export function cleanupOutcome(run: {
  /** What the run showed, the start of `observed`. */
  seen: string;
  cleanup: JobObservation;
  leftovers: readonly string[];
  expected: string;
  remediation: string;
  data: Record<string, unknown>;
}): CheckOutcome {
  const { seen, expected, data } = run;
  const left = cleanupLeftovers(run.cleanup, run.leftovers);
  if (left.length > 0) {
    return {
      status: "warn",
      observed: `${seen}; but not everything was removed: ${left.join("; ")}.`,
      expected,
      remediation: run.remediation,
      data,
    };
  }
  return {
    status: "pass",
    observed: `${seen}; scratch tables and landing file removed.`,
    expected,
    remediation: "",
    data,
  };
}
