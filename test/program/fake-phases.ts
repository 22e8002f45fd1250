/**
 * Test phases for the registry and gating tests: one small component per phase (a ConfigMap in the platform
 * namespace), so the tests see which phases register and in which order, independent of the real components.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PHASES, type Phase } from "../../preflight/model";
import { type PhaseDefinition } from "../../stacks/types";
import { platformLabels } from "../../stacks/platform/labels";

class Marker extends pulumi.ComponentResource {
  constructor(phase: Phase, name: string, namespace: string, opts: pulumi.ComponentResourceOptions) {
    super(`lakehouse:${phase}:Marker`, name, {}, opts);
    new k8s.core.v1.ConfigMap(
      `${name}-cm`,
      { metadata: { name, namespace, labels: platformLabels(phase, "marker") }, data: { phase } },
      { parent: this },
    );
    this.registerOutputs({});
  }
}

export const FAKE_PHASES: PhaseDefinition[] = PHASES.map((phase) => ({
  phase,
  title: `Test ${phase}`,
  deploy: (ctx) => ({
    resources: [new Marker(phase, `${phase}-marker`, ctx.base.namespace, { dependsOn: [...ctx.dependsOn] })],
  }),
}));
