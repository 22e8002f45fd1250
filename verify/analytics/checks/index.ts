/** The analytics phase's post-deploy checks (a plain array: a registry by construction). */
import type { AnalyticsObservations } from "../types";
import type { VerifyCheckDefinition } from "../../types";
import { endToEnd } from "./endToEnd";
import { icebergCatalog } from "./icebergCatalog";
import { multiTableJoin } from "./multiTableJoin";
import { queryLatency } from "./queryLatency";
import { trinoAvailable } from "./trinoAvailable";

export const ANALYTICS_CHECKS: readonly VerifyCheckDefinition<AnalyticsObservations>[] = [
  trinoAvailable,
  icebergCatalog,
  multiTableJoin,
  queryLatency,
  endToEnd,
];
