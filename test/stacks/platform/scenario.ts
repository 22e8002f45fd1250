/** Scenario for run-mocked.ts: one FluxHelmRelease from the JSON args (values may be given as an Output). */
import * as pulumi from "@pulumi/pulumi";
import { FluxHelmRelease, type FluxHelmReleaseArgs } from "../../../stacks/platform/fluxHelmRelease";

export function build(input: { name: string; args: FluxHelmReleaseArgs; valuesAsOutput?: boolean }): void {
  const args = input.valuesAsOutput
    ? { ...input.args, values: pulumi.output(input.args.values) }
    : input.args;
  new FluxHelmRelease(input.name, args);
}
