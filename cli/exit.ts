/**
 * Exit codes for every CLI of the project (preflight, verify, plan, the benchmarks): the `EXIT` contract
 * (preflight/model.ts), what each CLI's outcome maps to, what an error that reached a CLI's top level maps to,
 * and how a CLI run as a program ends its process.
 *
 *   0 ready / verified / no mandatory violation   3 blocked / a criterion failed or could not be checked
 *   1 unexpected error                            4 not needed (preflight)
 *   2 invalid input (flag, file, stack config)    5 a mandatory policy violation (plan)
 */
import { EXIT, InputError, type Phase, type Report, type Status } from "../preflight/model";
import type { CliIO } from "./io";
import { UsageError } from "./flags";

export { EXIT };

/** preflight: the decision, or with `phase` that phase's gate (open 0, closed 3). */
export function preflightExit(report: Pick<Report, "decision" | "gates">, phase?: Phase): number {
  if (phase) return report.gates[phase]?.open ? EXIT.ready : EXIT.blocked;
  if (report.decision === "ready") return EXIT.ready;
  if (report.decision === "not-needed") return EXIT.notNeeded;
  return EXIT.blocked;
}

/** verify: fail closed, a failed or unknown overall status is 3. */
export function verifyExit(result: { status: Status }): number {
  return result.status === "fail" || result.status === "unknown" ? EXIT.blocked : EXIT.ready;
}

/** plan: 5 when any violation is mandatory. */
export function planExit(result: { mandatoryViolations: number }): number {
  return result.mandatoryViolations > 0 ? EXIT.mandatoryViolation : EXIT.ready;
}

/** The user's to fix (exit 2): an InputError, also one thrown by another copy of the module (matched by name). */
export function isInputError(e: unknown): e is Error {
  return e instanceof InputError || (e as Error | undefined)?.name === "InputError";
}

/**
 * What a CLI (`prog`: preflight, verify) does with an error that reached its top level: one line on stderr
 * and the exit code. An InputError is the user's to fix (its message, exit 2); anything else is unexpected
 * (its first line, exit 1; the stack trace too with LAKEHOUSE_DEBUG=1).
 */
export function reportFailure(prog: string, e: unknown, io: Pick<CliIO, "stderr" | "env">): number {
  if (isInputError(e)) {
    io.stderr.write(`${prog}: ${e.message}\n`);
    return EXIT.invalidInput;
  }
  const err = e as Error | undefined;
  const debug = io.env.LAKEHOUSE_DEBUG === "1";
  const msg = (err?.message ?? String(e)).split("\n")[0];
  io.stderr.write(
    `${prog}: unexpected error: ${msg}${debug ? "" : " (set LAKEHOUSE_DEBUG=1 for the stack trace)"}\n`,
  );
  if (debug && err?.stack) io.stderr.write(`${err.stack}\n`);
  return EXIT.unexpected;
}

/**
 * plan's wording of the same mapping (a contract of its own): `error: <message>` and exit 2 for input errors,
 * else `error: <whole message>`, exit 1, and the stack trace when LAKEHOUSE_DEBUG is set at all.
 */
export function reportPlanFailure(e: unknown, io: Pick<CliIO, "stderr">): number {
  if (e instanceof InputError) {
    io.stderr.write(`error: ${e.message}\n`);
    return EXIT.invalidInput;
  }
  io.stderr.write(`error: ${(e as Error).message ?? String(e)}\n`);
  if (process.env.LAKEHOUSE_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
  return EXIT.unexpected;
}

/**
 * A benchmark's top-level failure: a UsageError is its message and exit 2, anything else
 * `<command> failed: <message>` and exit 1. Sets process.exitCode, so the process ends once its work has.
 */
export function reportBenchFailure(command: string, e: unknown): void {
  console.error(
    e instanceof UsageError ? e.message : `${command} failed: ${(e as Error)?.message ?? String(e)}`,
  );
  process.exitCode = e instanceof UsageError ? EXIT.invalidInput : EXIT.unexpected;
}

/**
 * Runs a CLI as the program and ends the process with its exit code once stdout has taken everything. It exits
 * explicitly: a live probe's keep-alive sockets or a timed-out call's socket must not hold the process open.
 * stdout is a file, pipe or TTY here, all written synchronously on Linux, so nothing is lost; the callback
 * covers the rest. With `closedPipeIsFine`, a reader that stops early (`| head`) closing the pipe ends the
 * process with 0 instead of a stack trace.
 */
export function runAsProgram(main: () => Promise<number>, opts: { closedPipeIsFine?: boolean } = {}): void {
  if (opts.closedPipeIsFine) {
    process.stdout.on("error", (e: NodeJS.ErrnoException) =>
      process.exit(e.code === "EPIPE" ? EXIT.ready : EXIT.unexpected),
    );
  }
  void main().then((code) => {
    process.stdout.write("", () => process.exit(code));
  });
}
