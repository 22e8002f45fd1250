/**
 * `verify.trino-available`: the coordinator answers the client protocol and as many workers are active as
 * `sizing.trinoWorker.replicas` plans. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import type { AnalyticsObservations } from "../types";
import type { VerifyCheckDefinition } from "../../types";
import { notObserved } from "./common";

export const trinoAvailable: VerifyCheckDefinition<AnalyticsObservations> = {
  id: "verify.trino-available",
  title: "The Trino coordinator answers and the configured number of workers are active",
  severity: "critical",
  critical: true,
  phase: "analytics",
  evaluate(obs, ctx): CheckOutcome {
    const want = ctx.config.sizing.trinoWorker.replicas;
    const expected = `the coordinator answers queries; ${want} active worker${want === 1 ? "" : "s"} (sizing.trinoWorker.replicas)`;
    const missing = notObserved(obs.nodes, expected, obs.endpoint, ctx.config);
    if (missing) return missing;
    const n = obs.nodes as Extract<AnalyticsObservations["nodes"], { state: "ok" }>;
    const data = { version: n.version, activeWorkers: n.activeWorkers, nodes: n.nodes };
    const others = n.nodes.filter((x) => !x.coordinator && x.state !== "active");
    const seen = `Trino ${n.version} at ${obs.endpoint}: ${n.coordinators} active coordinator, ${n.activeWorkers} of ${want} workers active${
      others.length ? ` (${others.map((x) => `${x.id} ${x.state}`).join(", ")})` : ""
    }`;
    if (n.coordinators < 1) {
      return {
        status: "fail",
        observed: `${seen}; no node reports itself as an active coordinator.`,
        expected,
        remediation:
          "The service answers but not from an active coordinator: check which pods back it and the coordinator's log.",
        data,
      };
    }
    if (n.activeWorkers < want) {
      const ns = ctx.config.platform.namespace;
      return {
        status: "fail",
        observed: `${seen}.`,
        expected,
        remediation: `Find why workers are missing or not active: \`kubectl -n ${ns} get pods -l app.kubernetes.io/component=worker\` (Pending = not enough memory for sizing.trinoWorker, CrashLoop = read its log; shutting_down = a drain in progress).`,
        data,
      };
    }
    return { status: "pass", observed: `${seen}.`, expected, remediation: "", data };
  },
};
