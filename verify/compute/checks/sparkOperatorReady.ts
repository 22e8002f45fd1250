/**
 * `verify.spark-operator-ready`: Flux reports the operator's HelmRelease Ready, the controller Deployment has an
 * available replica, the SparkApplication CRD serves v1beta2, and the webhook (when enabled) is available with a
 * ready endpoint behind its Service. Pure.
 */
import type { CheckOutcome } from "../../../preflight/checks/types";
import { COMPUTE_NAMES } from "../../../stacks/compute/names";
import type { ComputeObservations, VerifyCheckDefinition } from "../../types";

export const sparkOperatorReady: VerifyCheckDefinition<ComputeObservations> = {
  id: "verify.spark-operator-ready",
  title:
    "Spark Operator is deployed and functional (HelmRelease Ready, controller available, CRD served, webhook answering)",
  severity: "critical",
  critical: true,
  phase: "compute",
  evaluate(obs, ctx): CheckOutcome {
    const ns = ctx.config.platform.namespace;
    const webhookOn = ctx.config.compute.webhook;
    const expected =
      `HelmRelease ${ns}/${COMPUTE_NAMES.operatorRelease} Ready, Deployment ${COMPUTE_NAMES.operatorController} ` +
      `available, CRD sparkapplications.sparkoperator.k8s.io serving v1beta2` +
      (webhookOn ? `, webhook ${COMPUTE_NAMES.operatorWebhook} available with a ready endpoint` : "");
    const o = obs.operator;
    if (o.state === "error") {
      return {
        status: "unknown",
        observed: `The operator's objects could not be read: ${o.message}`,
        expected,
        remediation: `Check that the Kubernetes API is reachable and that your identity may get helmreleases, deployments, endpoints in ${ns} and customresourcedefinitions (docs/verification.md, RBAC).`,
      };
    }
    const problems: string[] = [];
    const fixes: string[] = [];
    if (!o.release.found) {
      problems.push(`HelmRelease ${ns}/${COMPUTE_NAMES.operatorRelease} does not exist`);
      fixes.push("run `pulumi up` with the compute gate open");
    } else if (o.release.ready !== "True") {
      problems.push(
        `HelmRelease ${COMPUTE_NAMES.operatorRelease} is not Ready (${o.release.ready}${o.release.reason ? `, ${o.release.reason}` : ""}${o.release.message ? `: ${o.release.message}` : ""})`,
      );
      fixes.push(
        `read \`kubectl -n ${ns} describe helmrelease ${COMPUTE_NAMES.operatorRelease}\` and \`flux logs --kind=HelmRelease\``,
      );
    }
    if (!o.controller.found) {
      problems.push(`Deployment ${COMPUTE_NAMES.operatorController} does not exist`);
    } else if (o.controller.available < 1) {
      problems.push(
        `Deployment ${COMPUTE_NAMES.operatorController} has ${o.controller.available}/${o.controller.desired} available replicas`,
      );
      fixes.push(
        `check its pods (\`kubectl -n ${ns} get pods -l app.kubernetes.io/component=controller\`): quota, image pull, crash`,
      );
    }
    if (!o.crd.found) {
      problems.push("the CRD sparkapplications.sparkoperator.k8s.io is not installed");
      fixes.push(
        "let Flux install the chart's CRDs (install.crds CreateReplace) or apply them from the chart",
      );
    } else if (!o.crd.served.includes("v1beta2")) {
      problems.push(
        `the SparkApplication CRD serves ${o.crd.served.join(", ") || "no version"}, not v1beta2`,
      );
      fixes.push("upgrade the operator chart to 2.x (lakehouse:compute.operatorChartVersion)");
    }
    if (o.webhook.enabled) {
      if (o.webhook.desired === null) {
        problems.push(
          `the webhook Deployment ${COMPUTE_NAMES.operatorWebhook} does not exist although compute.webhook is true`,
        );
      } else if (o.webhook.available < 1) {
        problems.push(`the webhook has ${o.webhook.available}/${o.webhook.desired} available replicas`);
      } else if (!o.webhook.readyEndpoints) {
        problems.push(
          `the webhook Service ${COMPUTE_NAMES.operatorWebhookService} has no ready endpoint, so the API server gets no answer`,
        );
        fixes.push(
          `check the NetworkPolicy ${COMPUTE_NAMES.webhookNetworkPolicy} and the webhook pod's readiness`,
        );
      }
    }
    const data = { operator: o };
    if (problems.length === 0) {
      const c = o.controller as Extract<typeof o.controller, { found: true }>;
      return {
        status: "pass",
        observed:
          `HelmRelease Ready; controller ${c.available}/${c.desired} available; CRD serves v1beta2` +
          (o.webhook.enabled
            ? `; webhook available with ${o.webhook.readyEndpoints} ready endpoint(s).`
            : "; webhook disabled."),
        expected,
        remediation: "",
        data,
      };
    }
    return {
      status: "fail",
      observed: `${problems.join("; ")}.`,
      expected,
      remediation: `${(fixes.length ? fixes : ["see docs/runbooks/compute.md (SparkOperatorDown)"]).join("; ")}; docs/runbooks/compute.md.`,
      data,
    };
  },
};
