/**
 * A real Prometheus Pushgateway for tests (built from its Go module at the version the program's image pins,
 * .ci/setup.d/65-pushgateway.sh), on 127.0.0.1 with a port the kernel hands out, stopped by pid. Ready in well
 * under a second.
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, spawnDaemon, stopPid, tail, waitFor } from "./proc";

export interface Pushgateway {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Its own /metrics: what Prometheus scrapes (pushed groups included). */
  scrape(): Promise<string>;
  stop(): Promise<void>;
}

/** The binary: `$LAKEHOUSE_PUSHGATEWAY`, else the cache's build. */
export function pushgatewayBinary(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.LAKEHOUSE_PUSHGATEWAY ??
    path.join(env.LAKEHOUSE_CACHE ?? path.join(os.homedir(), ".cache", "lakehouse"), "bin", "pushgateway")
  );
}

export async function startPushgateway(): Promise<Pushgateway> {
  const bin = pushgatewayBinary();
  if (!fs.existsSync(bin)) {
    throw new Error(`Pushgateway not installed at ${bin}: run bash .ci/setup.d/65-pushgateway.sh.`);
  }
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-pushgateway-"));
  const log = path.join(base, "pushgateway.log");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = await spawnDaemon(bin, [`--web.listen-address=127.0.0.1:${port}`], log);
  const stop = async (): Promise<void> => {
    if (child.pid) await stopPid(child.pid);
    fs.rmSync(base, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `the Pushgateway on ${url}`,
      async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) })).ok,
      30_000,
      100,
      () => tail(log),
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    scrape: async () => {
      const r = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
      if (!r.ok) throw new Error(`GET ${url}/metrics answered ${r.status}`);
      return r.text();
    },
    stop,
  };
}
