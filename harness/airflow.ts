/**
 * A real Airflow with its REST API, from the venvs of .ci/setup.d/55-airflow.sh, on SQLite in a temp dir:
 *
 * - Airflow 3 (3.3.2): `airflow api-server` (REST API v2, one worker; the simple auth manager with user `admin`
 *   whose password this harness writes into the manager's password file before start), `airflow dag-processor`
 *   and `airflow scheduler` with the LocalExecutor (its task processes talk to the api-server's execution API).
 * - Airflow 2 (2.10.5): `airflow webserver` (REST API v1 with the basic_auth backend, one gunicorn worker; user
 *   `admin` created with `airflow users create`) and `airflow scheduler` (SequentialExecutor, the only one SQLite
 *   allows there; it also runs the DAG file processor).
 * The scheduler starts last, once the API answers and `schedulerAfter` resolved.
 *
 * A scheduler, not `airflow dags test`: the check triggers its run through the REST API, and only a scheduler
 * picks up a run created that way (dags test runs a DAG in its own process, without the API, the queue or the
 * run's conf as the API stores it). Everything binds 127.0.0.1 on a port the kernel hands out, and is stopped by
 * pid, with the children each process started (uvicorn/gunicorn workers, file processors, task processes).
 * Start: `db migrate` ~10-25 s, then the API answers in ~10-30 s (2 cores, under load).
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { freePort, isAlive, run, spawnDaemon, stopPid, tail, waitFor } from "./proc";

export const AIRFLOW_CACHE = process.env.LAKEHOUSE_CACHE || path.join(os.homedir(), ".cache", "lakehouse");

/** The Airflow lines the project supports, as .ci/setup.d/55-airflow.sh installs them. */
export const AIRFLOW_LINES = [
  { version: "3.3.2", provider: "10.25.0", api: "v2" },
  { version: "2.10.5", provider: "10.10.0", api: "v1" },
] as const;

export type AirflowLine = (typeof AIRFLOW_LINES)[number];

/** The venv of an Airflow line; throws a one-line error naming the setup script when it is missing. */
export function airflowVenv(version: string): string {
  const venv = path.join(AIRFLOW_CACHE, `airflow-${version}`);
  if (!fs.existsSync(path.join(venv, "bin", "airflow"))) {
    throw new Error(
      `Airflow ${version} not installed: run bash .ci/setup.d/55-airflow.sh (missing ${venv}).`,
    );
  }
  return venv;
}

export interface Airflow {
  version: string;
  /** `v2` (Airflow 3) or `v1` (Airflow 2). */
  api: "v1" | "v2";
  /** `http://127.0.0.1:PORT` */
  url: string;
  username: string;
  password: string;
  home: string;
  dagsFolder: string;
  /** An authenticated JSON call to `/api/<api>/...`; resolves status and parsed body. */
  request(method: string, apiPath: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Waits until `check` of GET `apiPath` holds (the DAG processor's and scheduler's pace). */
  waitForApi(
    apiPath: string,
    what: string,
    check: (body: unknown) => boolean,
    timeoutMs?: number,
  ): Promise<unknown>;
  /** Last lines of each process's log, for failure messages. */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

export interface AirflowOptions {
  /** The DAG folder Airflow reads (the test writes the files into it). */
  dagsFolder: string;
  /** Extra environment for every Airflow process (connections, knobs). */
  env?: Record<string, string>;
  /** How long the API may take to answer after start. @default 240000 */
  startTimeoutMs?: number;
  /**
   * The scheduler starts once this resolves (and the API answers): what its first tasks need, e.g. the cluster
   * their connection points at. Airflow 2 parses DAGs in the scheduler, so they are listed only from then on.
   */
  schedulerAfter?: Promise<unknown>;
}

/** The pids of every descendant of `pid` (from /proc), deepest last. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function httpJson(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        timeout: 30_000,
        headers: {
          accept: "application/json",
          ...headers,
          ...(data !== undefined
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) }
            : {}),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: timed out after 30 s`)));
    req.on("error", reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

/** Starts one Airflow line against `dagsFolder`. */
export async function startAirflow(line: AirflowLine, opts: AirflowOptions): Promise<Airflow> {
  const venv = airflowVenv(line.version);
  const airflowBin = path.join(venv, "bin", "airflow");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `lakehouse-airflow-${line.version}-`));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const username = "admin";
  const password = randomBytes(12).toString("hex");
  const v3 = line.api === "v2";
  const env: NodeJS.ProcessEnv = {
    PATH: `${path.join(venv, "bin")}:/usr/bin:/bin`,
    HOME: home,
    LANG: "C.UTF-8",
    AIRFLOW_HOME: home,
    AIRFLOW__CORE__DAGS_FOLDER: opts.dagsFolder,
    AIRFLOW__CORE__LOAD_EXAMPLES: "False",
    AIRFLOW__CORE__UNIT_TEST_MODE: "False",
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(home, "airflow.db")}`,
    AIRFLOW__CORE__PARALLELISM: "2",
    AIRFLOW__LOGGING__LOGGING_LEVEL: "INFO",
    ...(v3
      ? {
          AIRFLOW__CORE__EXECUTOR: "LocalExecutor",
          AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: `${username}:admin`,
          AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `${url}/execution/`,
          AIRFLOW__API__BASE_URL: url,
          AIRFLOW__API__WORKERS: "1",
          AIRFLOW__API__HOST: "127.0.0.1",
          AIRFLOW__API__PORT: String(port),
          AIRFLOW__API_AUTH__JWT_SECRET: randomBytes(24).toString("hex"),
          AIRFLOW__API__SECRET_KEY: randomBytes(24).toString("hex"),
          // A new or changed file is seen within seconds (defaults: 300 s listing, 30 s re-parse).
          AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL: "5",
          AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL: "5",
          AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES: "1",
        }
      : {
          AIRFLOW__CORE__EXECUTOR: "SequentialExecutor",
          AIRFLOW__API__AUTH_BACKENDS: "airflow.api.auth.backend.basic_auth",
          AIRFLOW__WEBSERVER__SECRET_KEY: randomBytes(24).toString("hex"),
          AIRFLOW__WEBSERVER__WORKERS: "1",
          AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL: "5",
          AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL: "5",
          AIRFLOW__SCHEDULER__PARSING_PROCESSES: "1",
        }),
    ...opts.env,
  };
  const children: { name: string; child: ChildProcess; log: string }[] = [];
  const logs = (lines = 20): string =>
    children.map((c) => `--- airflow ${c.name} (${c.log}):\n${tail(c.log, lines)}`).join("\n");
  const stopAll = async (): Promise<void> => {
    for (const c of [...children].reverse()) {
      const pid = c.child.pid;
      if (!pid) continue;
      const kids = descendants(pid);
      await stopPid(pid, 15_000);
      for (const k of kids.reverse()) await stopPid(k, 5_000);
    }
    children.length = 0;
  };
  const spawnNamed = async (name: string, args: string[]): Promise<void> => {
    const log = path.join(home, `${name}.log`);
    children.push({ name, child: await spawnDaemon(airflowBin, args, log, { env }), log });
  };

  let auth: Record<string, string> = {};
  const authenticate = async (): Promise<void> => {
    if (!v3) {
      auth = { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` };
      return;
    }
    const r = await httpJson(`${url}/auth/token`, "POST", {}, { username, password });
    const token = (r.body as { access_token?: string } | null)?.access_token;
    if (r.status >= 300 || !token) throw new Error(`POST /auth/token: HTTP ${r.status}`);
    auth = { authorization: `Bearer ${token}` };
  };
  const request = async (method: string, apiPath: string, body?: unknown) => {
    const r = await httpJson(`${url}/api/${line.api}${apiPath}`, method, auth, body);
    if (r.status === 401 && v3) {
      await authenticate(); // the token expired
      return httpJson(`${url}/api/${line.api}${apiPath}`, method, auth, body);
    }
    return r;
  };

  try {
    await run(airflowBin, ["db", "migrate"], { env, timeoutMs: 300_000 });
    if (v3) {
      // The simple auth manager keeps passwords it finds in its file: the test knows this one.
      fs.writeFileSync(
        path.join(home, "simple_auth_manager_passwords.json.generated"),
        JSON.stringify({ [username]: password }),
        { mode: 0o600 },
      );
      await spawnNamed("api-server", ["api-server", "--host", "127.0.0.1", "--port", String(port)]);
      await spawnNamed("dag-processor", ["dag-processor"]);
    } else {
      await run(
        airflowBin,
        [
          "users",
          "create",
          "--username",
          username,
          "--password",
          password,
          "--role",
          "Admin",
          "--firstname",
          "Lake",
          "--lastname",
          "House",
          "--email",
          "admin@lakehouse.invalid",
        ],
        { env, timeoutMs: 180_000 },
      );
      await spawnNamed("webserver", ["webserver", "--hostname", "127.0.0.1", "--port", String(port)]);
    }
    await waitFor(
      `Airflow ${line.version}'s REST API on ${url}`,
      async () => {
        if (!children.every((c) => c.child.pid && isAlive(c.child.pid))) {
          throw new Error("an Airflow process exited");
        }
        await authenticate();
        const r = await request("GET", "/dags?limit=1");
        return r.status === 200;
      },
      opts.startTimeoutMs ?? 240_000,
      500,
      () => logs(),
    );
    // Airflow 3's tasks report through the api-server's execution API: the scheduler starts once it answers,
    // or the first task (the DAG's first scheduled run, at once: it is unpaused) would fail to connect.
    await opts.schedulerAfter;
    await spawnNamed("scheduler", ["scheduler"]);
  } catch (e) {
    const detail = logs();
    await stopAll();
    fs.rmSync(home, { recursive: true, force: true });
    throw new Error(`Airflow ${line.version} did not start: ${(e as Error).message}\n${detail}`, {
      cause: e,
    });
  }

  return {
    version: line.version,
    api: line.api,
    url,
    username,
    password,
    home,
    dagsFolder: opts.dagsFolder,
    request,
    async waitForApi(apiPath, what, check, timeoutMs = 120_000) {
      let last: unknown;
      await waitFor(
        what,
        async () => {
          const r = await request("GET", apiPath);
          last = r.body;
          return r.status === 200 && check(r.body);
        },
        timeoutMs,
        500,
        () => `Last answer: ${JSON.stringify(last).slice(0, 600)}\n${logs(30)}`,
      );
      return last;
    },
    logs,
    async stop() {
      await stopAll();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
