/**
 * Runs the program once under mocks in THIS process and prints the MockRunResult as JSON on stdout. The program
 * tests start it as a child process per case: Pulumi's runtime state is process-wide, so each run is isolated.
 *
 * argv[2]: JSON { stack, preview, config (stack file values), fakePhases?, closeGate?: {phase, check} }
 */
import { runUnderMocks, toRuntimeConfig } from "../../plan/mockrun";
import type { Phase, Report } from "../../preflight/model";
import { runPreflight, type RunOptions } from "../../preflight/runner";
import { FAKE_PHASES } from "./fake-phases";

interface Args {
  stack: string;
  preview: boolean;
  config: Record<string, unknown>;
  fakePhases?: boolean;
  /** Closes one gate after the real assessment, as a check that gates only that phase would. */
  closeGate?: { phase: Phase; check: string };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as Args;
  const assess = args.closeGate
    ? async (o: RunOptions): Promise<Report> => {
        const r = await runPreflight(o);
        const { phase, check } = args.closeGate!;
        r.gates[phase] = { phase, open: false, blockedBy: [check], reason: `closed: ${check} failed` };
        return r;
      }
    : undefined;
  const result = await runUnderMocks({
    stack: args.stack,
    preview: args.preview,
    config: toRuntimeConfig(args.config),
    assess,
    definitions: args.fakePhases ? FAKE_PHASES : undefined,
  });
  process.stdout.write(JSON.stringify(result));
}

main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e));
  process.exitCode = 1;
});
