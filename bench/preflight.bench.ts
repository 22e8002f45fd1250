/**
 * `npm run bench:preflight`: the live path (collectLive + evaluate) against the Kubernetes API stand-in with a
 * big cluster (100 nodes, 5,000 PVCs, 3,000 pods, plus the healthy fixture's other objects) and 50 ms latency on
 * every request.
 *
 * What it shows: the probes are truly concurrent (wall time <= 1.5 x the slowest single kind's page chain, the
 * floor any implementation has since each page needs the previous page's continue token) and there is no N+1
 * (exactly one list call per kind per page). It prints the numbers; it is a benchmark, not a test, but it exits
 * 1 when a target is missed so a CI job can run it.
 *
 * The stand-in runs in a child process, as an apiserver runs on another machine: its JSON encoding must not
 * eat the event loop of the client being measured.
 *
 * Then the CLIs' start-up as whole processes, side by side with a bare `node -e 0` (medians of BENCH_STARTS
 * runs, default 7, after one untimed warm-up): `--help` of preflight, verify and plan, and an offline preflight
 * of the anton example, started the way `npm run` starts them (node -r ./cli/register.cjs); target: at most
 * 300 ms above `node -e 0`. The old start (ts-node --transpile-only) is timed beside them for comparison.
 *
 * Then the live preflight as a user starts it, a whole process (`node -r ./cli/register.cjs preflight/cli/main.ts
 * --kubeconfig ... --output json`: start-up, config, collection, evaluation, rendering, exit) against the same
 * stand-in, side by side with that run's slowest page chain; target: at most 2 x the chain. Its S3 endpoint is a
 * closed port on 127.0.0.1 (refused at once, with keys in the environment so no Secret is read): the stand-in
 * has no object store, and the S3 leg is not what this measures.
 *
 * Options (env): BENCH_RUNS (default 3), BENCH_LATENCY_MS (default 50), BENCH_PAGE_SIZE (default: the config
 * default, 500). The S3 round trip is skipped: there is no object store behind the stand-in.
 */
import { execFileSync, fork, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { reportBenchFailure } from "../cli/exit";
import { parseConfig } from "../preflight/config/load";
import { evaluate } from "../preflight/evaluate";
import { KINDS, type Kind, type KubeObject } from "../preflight/model";
import { collectLive } from "../preflight/probes";
import { KIND_SPECS } from "../preflight/probes/kube";
import { kubeconfigYaml, loadObjects, startKubeApi, type RecordedRequest } from "../harness/kube-api";

const NODES = 100;
const PVCS = 5000;
const PODS = 3000;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const FIXTURES = path.resolve(__dirname, "..", "test", "fixtures", "healthy");
const ROOT = path.resolve(__dirname, "..");
const STARTS = Number(process.env.BENCH_STARTS ?? 7);
const START_TARGET_MS = 300;
/** Whole-process live preflight / slowest page chain. */
const PROCESS_TARGET = 2;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall time of one process run to its exit (stdout discarded), in ms. A non-zero exit fails the bench. */
function timeProcess(argv: string[]): number {
  const t0 = performance.now();
  execFileSync(process.execPath, argv, {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  return performance.now() - t0;
}

/** The CLIs' start-up beside `node -e 0`; true when every CLI start is within the target. */
function startUp(): boolean {
  const register = ["-r", "./cli/register.cjs"];
  const anton = [
    "--from",
    "examples/anton/cluster.json",
    "--from",
    "examples/anton/metrics.json",
    "--output",
    "json",
  ];
  const cases: [string, string[], boolean][] = [
    ["node -e 0", ["-e", "0"], false],
    ["preflight --help", [...register, "preflight/cli/main.ts", "--help"], true],
    ["preflight --from anton (offline run)", [...register, "preflight/cli/main.ts", ...anton], true],
    ["verify --help", [...register, "verify/cli/main.ts", "--help"], true],
    ["plan --help", [...register, "plan/main.ts", "--help"], true],
    [
      "(before) ts-node preflight --help",
      ["-r", "ts-node/register/transpile-only", "preflight/cli/main.ts", "--help"],
      false,
    ],
  ];
  console.log(
    `
CLI start-up, whole processes, median of ${STARTS} runs after a warm-up; load ${os.loadavg()[0].toFixed(2)} (1 min) on ${os.cpus().length} cores`,
  );
  let base = 0;
  let ok = true;
  for (const [name, argv, targeted] of cases) {
    timeProcess(argv);
    const ms = median(Array.from({ length: STARTS }, () => timeProcess(argv)));
    if (name === "node -e 0") base = ms;
    const over = ms - base;
    const verdict = targeted ? (over <= START_TARGET_MS ? " OK" : " MISSED") : "";
    if (targeted) ok &&= over <= START_TARGET_MS;
    console.log(
      `  ${name.padEnd(38)} ${ms.toFixed(0).padStart(6)} ms${name === "node -e 0" ? "" : `  (+${over.toFixed(0)} ms over node -e 0${targeted ? `, target <= ${START_TARGET_MS}` : ""})${verdict}`}`,
    );
  }
  return ok;
}

/** A TCP port on 127.0.0.1 that nothing listens on (taken from the OS, then released): connections are refused. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * The live preflight as a whole process, RUNS times, each beside the slowest page chain the stand-in saw in that
 * run; true when the median ratio is within the target. Exit 0, 3 or 4 are verdicts; anything else fails.
 */
async function wholeProcess(
  server: { ask: (m: ToServer) => Promise<FromServer> },
  kubeconfig: string,
): Promise<boolean> {
  const s3 = `http://127.0.0.1:${await closedPort()}`;
  const env = {
    ...process.env,
    NO_COLOR: "1",
    AWS_ENDPOINT_URL_S3: s3,
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
  };
  const argv = [
    "-r",
    "./cli/register.cjs",
    "preflight/cli/main.ts",
    "--kubeconfig",
    kubeconfig,
    "--output",
    "json",
  ];
  console.log(
    `\nLive preflight as a whole process (node -r ./cli/register.cjs preflight/cli/main.ts --kubeconfig ... --output json; S3 endpoint ${s3}, closed); load ${os.loadavg()[0].toFixed(2)} (1 min)`,
  );
  const ratios: number[] = [];
  // One untimed run first, as for the starts below: the compile cache and the OS file cache are warm after it.
  spawnSync(process.execPath, argv, { cwd: ROOT, env, stdio: "ignore" });
  for (let run = 1; run <= RUNS; run++) {
    await server.ask({ op: "clear" });
    const t0 = performance.now();
    const r = spawnSync(process.execPath, argv, { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 << 20 });
    const wall = performance.now() - t0;
    if (r.status !== 0 && r.status !== 3 && r.status !== 4) {
      throw new Error(
        `the live preflight exited ${r.status ?? r.signal}: ${(r.stderr ?? "").trim().split("\n").pop()}`,
      );
    }
    const decision = (JSON.parse(r.stdout) as { decision?: string }).decision;
    const log = await server.ask({ op: "requests" });
    const slowest = chains(log.op === "requests" ? log.requests : [])[0];
    const ratio = wall / slowest.ms;
    ratios.push(ratio);
    console.log(
      `  run ${run}: process ${wall.toFixed(0)} ms  vs  slowest chain ${slowest.kind} ${slowest.pages}p/${slowest.ms} ms  ` +
        `(x ${PROCESS_TARGET}: ${slowest.ms * PROCESS_TARGET} ms); ratio ${ratio.toFixed(2)}; exit ${r.status}, decision ${decision}`,
    );
  }
  const m = median(ratios);
  const ok = m <= PROCESS_TARGET;
  console.log(`  median ratio ${m.toFixed(2)} (target <= ${PROCESS_TARGET}) ${ok ? "OK" : "MISSED"}`);
  return ok;
}

/** The fixture's objects, topped up with generated nodes, pods, PVCs and node metrics to the target counts. */
function bigCluster(): KubeObject[] {
  const base = loadObjects(FIXTURES);
  const count = (kind: string) => base.filter((o) => o.kind === kind).length;
  const out = [...base];
  const nodeNames = base.filter((o) => o.kind === "Node").map((o) => o.metadata?.name as string);
  for (let i = nodeNames.length; i < NODES; i++) {
    const name = `bench-node-${String(i).padStart(3, "0")}`;
    nodeNames.push(name);
    out.push({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        creationTimestamp: "2026-03-14T09:12:44Z",
        labels: { "kubernetes.io/hostname": name },
      },
      spec: {},
      status: {
        allocatable: { cpu: "15800m", memory: "65013836Ki", pods: "110" },
        capacity: { cpu: "16", memory: "65640524Ki", pods: "110" },
        conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
      },
    });
    out.push({
      apiVersion: "metrics.k8s.io/v1beta1",
      kind: "NodeMetrics",
      metadata: { name },
      timestamp: "2026-11-25T17:59:48Z",
      window: "10s",
      usage: { cpu: "3000000000n", memory: "16Gi" },
    });
  }
  for (let i = count("Pod"); i < PODS; i++) {
    const ns = `team-${i % 40}`;
    out.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `worker-${i}`, namespace: ns, labels: { app: `app-${i % 200}` } },
      spec: {
        nodeName: nodeNames[i % nodeNames.length],
        containers: [
          {
            name: "main",
            image: "registry.local/app:1.0.0",
            resources: { requests: { cpu: "50m", memory: "128Mi" } },
          },
        ],
      },
      status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
    });
  }
  for (let i = count("PersistentVolumeClaim"); i < PVCS; i++) {
    out.push({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: `data-${i}`, namespace: `team-${i % 40}` },
      spec: {
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: "1Gi" } },
        storageClassName: "ceph-block",
        volumeName: `pvc-${i}`,
      },
      status: { phase: "Bound", capacity: { storage: "1Gi" } },
    });
  }
  return out;
}

interface Chain {
  kind: Kind;
  pages: number;
  ms: number;
  /** Mean time the stand-in held a page (latency + encoding), ms. */
  serverMs: number;
}

/** Per kind, from the stand-in's log: pages and time from the first request's arrival to the last response. */
function chains(requests: RecordedRequest[]): Chain[] {
  return KINDS.map((kind) => {
    const spec = KIND_SPECS[kind];
    const reqs = requests.filter(
      (r) => r.group === spec.group && r.plural === spec.plural && r.verb === "list",
    );
    const first = Math.min(...reqs.map((r) => r.time));
    const last = Math.max(...reqs.map((r) => r.doneTime ?? Infinity));
    const held =
      reqs.reduce((sum, r) => sum + ((r.doneTime ?? r.time) - r.time), 0) / Math.max(1, reqs.length);
    return { kind, pages: reqs.length, ms: Math.round(last - first), serverMs: Math.round(held) };
  }).sort((a, b) => b.ms - a.ms);
}

type ToServer = { op: "requests" } | { op: "clear" } | { op: "stop" };
type FromServer =
  { op: "ready"; url: string } | { op: "requests"; requests: RecordedRequest[] } | { op: "ok" };

/** The child: serves the big cluster until told to stop. */
async function serve(): Promise<void> {
  const api = await startKubeApi({ objects: bigCluster(), latencyMs: LATENCY_MS });
  const reply = (m: FromServer) => process.send?.(m);
  process.on("message", (m: ToServer) => {
    if (m.op === "requests") reply({ op: "requests", requests: api.requests });
    else if (m.op === "clear") {
      api.requests.length = 0;
      reply({ op: "ok" });
    } else void api.stop().then(() => process.disconnect());
  });
  reply({ op: "ready", url: api.url });
}

/** Starts the child stand-in and returns its URL and a request function. */
async function startServer(): Promise<{
  url: string;
  ask: (m: ToServer) => Promise<FromServer>;
  child: ChildProcess;
}> {
  const child = fork(__filename, ["--serve"], { execArgv: ["-r", path.join(ROOT, "cli/register.cjs")] });
  // One reply per request; whichever comes first (the reply or the child's exit) settles it and removes the
  // other listener, so no listener piles up per request and the exit at stop rejects nothing already answered.
  const next = () =>
    new Promise<FromServer>((resolve, reject) => {
      const onMessage = (m: FromServer): void => {
        child.off("exit", onExit);
        resolve(m);
      };
      const onExit = (code: number | null): void => {
        child.off("message", onMessage);
        reject(new Error(`the stand-in process exited (code ${code})`));
      };
      child.once("message", onMessage);
      child.once("exit", onExit);
    });
  const ready = await next();
  if (ready.op !== "ready") throw new Error("the stand-in process did not start");
  return {
    url: ready.url,
    child,
    ask: (m) => {
      const p = next();
      child.send(m);
      return p;
    },
  };
}

async function main(): Promise<void> {
  const objects = bigCluster();
  const server = await startServer();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-preflight-"));
  const kubeconfig = path.join(tmp, "kubeconfig");
  fs.writeFileSync(kubeconfig, kubeconfigYaml(server.url));
  const pageSize = process.env.BENCH_PAGE_SIZE ? Number(process.env.BENCH_PAGE_SIZE) : undefined;
  const config = parseConfig(pageSize ? { probe: { pageSize } } : {}, "bench");
  const count = (kind: Kind) =>
    objects.filter(
      (o) => o.kind === KIND_SPECS[kind].itemKind && (o.apiVersion ?? "").startsWith(KIND_SPECS[kind].group),
    ).length;
  const expectedPages = Object.fromEntries(
    KINDS.map((k) => [k, Math.max(1, Math.ceil(count(k) / config.probe.pageSize))]),
  ) as Record<Kind, number>;

  console.log(
    `bench:preflight  ${count("nodes")} nodes, ${count("persistentvolumeclaims")} PVCs, ${count("pods")} pods, ` +
      `${objects.length} objects in all; ${LATENCY_MS} ms latency per request; page size ${config.probe.pageSize}; ` +
      `${KINDS.length} kinds; ${RUNS} runs (S3 skipped)`,
  );
  let failed = false;
  const walls: number[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      await server.ask({ op: "clear" });
      const t0 = performance.now();
      const { facts } = await collectLive(config, { kubeconfig, skipS3: true }, {});
      const tCollected = performance.now();
      const report = evaluate(facts, { config, stack: null });
      const t1 = performance.now();
      const wall = t1 - t0;
      walls.push(wall);

      const log = await server.ask({ op: "requests" });
      const requests = log.op === "requests" ? log.requests : [];
      const cs = chains(requests);
      const slowest = cs[0];
      const bad = KINDS.filter((k) => facts.kinds[k].state !== "ok");
      const pageMismatch = cs.filter((c) => c.pages !== expectedPages[c.kind]);
      const other = requests.filter((r) => r.verb !== "list");
      const ratio = wall / slowest.ms;
      const ok = bad.length === 0 && pageMismatch.length === 0 && other.length === 0 && ratio <= 1.5;
      failed ||= !ok;
      console.log(
        `\nrun ${run}: wall ${wall.toFixed(0)} ms (collect ${(tCollected - t0).toFixed(0)} ms + evaluate ` +
          `${(t1 - tCollected).toFixed(0)} ms), ${requests.length} requests, decision ${report.decision}`,
      );
      console.log(
        `  slowest chain: ${slowest.kind}: ${slowest.pages} pages x ~${Math.round(slowest.ms / slowest.pages)} ms = ` +
          `${slowest.ms} ms (per page: ${slowest.serverMs} ms in the stand-in incl. the ${LATENCY_MS} ms latency, ` +
          `~${Math.round((slowest.ms - slowest.pages * slowest.serverMs) / slowest.pages)} ms in the client between pages); wall / slowest chain = ${ratio.toFixed(2)} (target <= 1.5) ${ratio <= 1.5 ? "OK" : "MISSED"}`,
      );
      console.log(
        `  list calls per kind = pages: ${pageMismatch.length === 0 ? "OK" : `MISSED ${JSON.stringify(pageMismatch)}`}; ` +
          `other requests: ${other.length}; kinds not ok: ${bad.length ? bad.join(", ") : "none"}`,
      );
      const sum = cs.reduce((t, c) => t + c.ms, 0);
      console.log(
        `  chains: ${cs.map((c) => `${c.kind} ${c.pages}p/${c.ms}ms`).join(", ")}; sum ${sum} ms ` +
          `(= ${(sum / wall).toFixed(1)} x wall: what one kind after another would take at least)`,
      );
    }
    const sorted = [...walls].sort((a, b) => a - b);
    console.log(
      `\nwall time over ${RUNS} runs: min ${sorted[0].toFixed(0)} ms, median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, ` +
        `max ${sorted[sorted.length - 1].toFixed(0)} ms. Targets ${failed ? "MISSED in at least one run" : "met in every run"}.`,
    );
    if (!(await wholeProcess(server, kubeconfig))) failed = true;
    if (!startUp()) failed = true;
  } finally {
    // The child exits once it has stopped its server: that exit is the expected one (unless it is gone already).
    const exited = new Promise((resolve) =>
      server.child.exitCode !== null ? resolve(undefined) : server.child.once("exit", resolve),
    );
    server.child.send({ op: "stop" });
    await exited;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

(process.argv[2] === "--serve" ? serve() : main()).catch((e: unknown) =>
  reportBenchFailure("bench:preflight", e),
);
