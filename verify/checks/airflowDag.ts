/**
 * `verify.airflow-dag`: Airflow has loaded the DAG `lakehouse_ingest` with no import error, asked through its own
 * REST API (reached through the Kubernetes API service proxy). Not being able to ask is `unknown` with the fix,
 * never a pass. Pure.
 */
import type { CheckOutcome } from "../../preflight/checks/types";
import { airflowApiService } from "../../stacks/compute/common";
import type { ComputeObservations, VerifyCheckDefinition } from "../types";

/** The DAG id (contract C4). */
export const DAG_ID = "lakehouse_ingest";

export const airflowDag: VerifyCheckDefinition<ComputeObservations> = {
  id: "verify.airflow-dag",
  title: "Airflow has loaded the lakehouse_ingest DAG without import errors",
  severity: "critical",
  critical: true,
  phase: "compute",
  evaluate(obs, ctx): CheckOutcome {
    const af = ctx.config.cluster.airflowNamespace;
    const svc = `${af}/${airflowApiService(ctx.config)}:${ctx.config.compute.airflowApiPort}`;
    const expected = `DAG ${DAG_ID} listed by Airflow's API (${svc}) with no import error`;
    const o = obs.airflowDag;
    switch (o.state) {
      case "no-credentials":
        return {
          status: "unknown",
          observed: `Airflow's API credentials could not be read: ${o.message}`,
          expected,
          remediation: `Create Secret ${af}/${o.secret} with keys username and password of an Airflow user that may read DAGs (lakehouse:compute.airflowApiSecret), and allow your identity to get it.`,
        };
      case "unauthorized":
        return {
          status: "unknown",
          observed: `Airflow's API refused the credentials (HTTP ${o.status}): ${o.message}`,
          expected,
          remediation: `Check the username and password in Secret ${af}/${ctx.config.compute.airflowApiSecret} and that the API's auth backend accepts them (Airflow 2: basic_auth in [api] auth_backends; Airflow 3: the auth manager's /auth/token).`,
        };
      case "unreachable":
        return {
          status: "unknown",
          observed: `Airflow's API could not be reached at ${o.target}: ${o.message}`,
          expected,
          remediation: `Set lakehouse:compute.airflowApiService/airflowApiPort/airflowApiVersion to your Airflow's API Service (Airflow 2: <release>-webserver and v1), and allow your identity services/proxy in ${af}.`,
        };
      case "ok": {
        const data = { api: o.api, dag: o.dag, importErrors: o.importErrors };
        if (o.importErrors.length > 0) {
          const e = o.importErrors[0];
          return {
            status: "fail",
            observed: `${o.importErrors.length} import error(s); ${e.filename}: ${e.error.trim().split("\n").pop()}`,
            expected,
            remediation: `Fix the DAG file (dags/lakehouse_ingest.py) or install what it imports (apache-airflow-providers-cncf-kubernetes) in the Airflow image, then wait for the DAG processor to re-parse it.`,
            data,
          };
        }
        if (!o.dag.found) {
          return {
            status: "fail",
            observed: `Airflow does not list the DAG ${DAG_ID} and reports no import error for it.`,
            expected,
            remediation: `Mount ConfigMap ${af}/${ctx.config.compute.dagConfigMap} into Airflow's DAG folder (or use git-sync, docs/runbooks/compute.md) and wait for the DAG processor's next scan.`,
            data,
          };
        }
        return {
          status: o.dag.isPaused ? "warn" : "pass",
          observed: `DAG ${DAG_ID} loaded from ${o.dag.fileloc} (API ${o.api}), no import error${o.dag.isPaused ? "; it is paused, so it will not run on schedule" : ""}.`,
          expected,
          remediation: o.dag.isPaused ? `Unpause it: \`airflow dags unpause ${DAG_ID}\` or in the UI.` : "",
          data,
        };
      }
    }
  },
};
