/**
 * pinned-charts (mandatory): every Helm chart the platform installs, as a Pulumi `helm.sh` Release or a Flux
 * HelmRelease, names one exact chart version. A range (`^2.5`, `2.x`, `>=2 <3`) or no version lets Helm or Flux
 * move to a newer chart, and with it to new images, CRDs and defaults, without a reviewed change.
 */
import { chartVersionProblem } from "../../stacks/platform/chartVersion";
import type { LakehousePolicy } from "../lib/policy";
import {
  displayName,
  isFluxHelmRelease,
  isHelmRelease,
  isPlatform,
  kindOf,
  type Obj,
} from "../lib/resources";
import { helmChart } from "../lib/workloads";

export const pinnedCharts: LakehousePolicy = {
  name: "pinned-charts",
  description: "Helm releases (Pulumi or Flux) must pin one exact chart version: never a range, never empty.",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set the exact chart version (e.g. lakehouse:compute.operatorChartVersion: 2.5.2), never ^2.5, 2.x or empty.",
  validateResource: (args, report) => {
    if (!isPlatform(args) || !isHelmRelease(args.type)) return;
    const props = args.props as Obj;
    const chart = helmChart(props);
    const problem = chartVersionProblem(chart.version);
    if (!problem) return;
    const kind = isFluxHelmRelease(args.type) ? "HelmRelease" : kindOf(args.type);
    report(
      `${kind} '${displayName(args)}' must pin an exact version of chart '${chart.chart ?? "?"}' ` +
        `(${chart.versionPath}): ${problem}.`,
    );
  },
};
