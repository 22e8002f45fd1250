/** What every benchmark prints first: the machine, the load and the engine versions, so figures can be compared. */
import { execFileSync } from "node:child_process";
import * as os from "node:os";

/** First line of `cmd args` (stdout or stderr), or "not found". Never throws. */
export function versionOf(cmd: string, args: string[]): string {
  try {
    const out = execFileSync(cmd, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 10_000,
    });
    return out.trim().split("\n")[0] ?? "";
  } catch (e) {
    const err = e as { stderr?: string };
    return err.stderr?.trim().split("\n")[0] || "not found";
  }
}

export function machineLine(): string {
  const [l1, l5] = os.loadavg();
  return (
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? "?"}), ` +
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; load ${l1.toFixed(1)} (1 min) / ${l5.toFixed(1)} (5 min); ` +
    `node ${process.version}; ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}`
  );
}
