/**
 * A real Ceph RADOS Gateway (Debian's Ceph 16) for tests: one monitor, one memstore OSD and radosgw (beast),
 * all on 127.0.0.1 with ports the kernel hands out, all state in a fresh temp dir, no mgr. S3 answers ~2-3 s
 * after the call. Stop it with `stop()`, which kills the three daemons by pid and removes the temp dir.
 *
 * Adapted from the team's recipe (shared/reference/rgw-single-node-up.sh). The daemons run in the foreground
 * as children of the test process (`-f`) so that Node reaps them: no zombies pile up on a machine whose pid 1
 * does not reap, and the exit hook in ./proc kills them if a test run dies without its `after` hook.
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import {
  freePort,
  isAlive,
  requireBinaries,
  run,
  spawnDaemon,
  stopPid,
  StopWaiting,
  tail,
  waitFor,
} from "./proc";

export interface RadosgwUser {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Radosgw extends RadosgwUser {
  /** `http://127.0.0.1:PORT` (use path-style addressing). */
  endpoint: string;
  /** Any region string works with RGW; this is the one the harness's clients should use. */
  region: string;
  /** The temp dir holding ceph.conf, keyring, logs and the mon's data. Removed by `stop()`. */
  base: string;
  /** Pids of ceph-mon, ceph-osd and radosgw, for tests that assert they are gone after `stop()`. */
  pids: { mon: number; osd: number; rgw: number };
  /** Creates another S3 user (radosgw-admin) and returns its keys. */
  createUser(uid: string): Promise<RadosgwUser>;
  /** Runs `radosgw-admin ARGS` against this cluster (quotas, users, buckets) and resolves its stdout. */
  admin(...args: string[]): Promise<string>;
  /** Kills the daemons by pid (rgw, osd, mon), waits until each is gone, removes `base`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * An S3 client for the gateway at `rgw` as `user` (by default the harness's own user): path-style addressing,
 * and checksums only where an operation requires them, since Ceph 16 RGW rejects the SDK's default flexible
 * checksums (aws-chunked uploads) with 411 MissingContentLength.
 */
export function s3Client(
  rgw: Pick<Radosgw, "endpoint" | "region"> & RadosgwUser,
  user: RadosgwUser = rgw,
): S3Client {
  return new S3Client({
    endpoint: rgw.endpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

const BINARIES = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "ceph-authtool", "monmaptool"];
const INSTALL_HINT = "run bash .ci/setup.d/10-apt.sh";

/**
 * Range of ports for the OSD's messenger. The mon and RGW ports come from the kernel; the OSD binds 4 ports
 * from this range (Ceph picks the first free ones), so a random 100-port window below the kernel's ephemeral
 * range keeps parallel clusters from fighting and leaves room when ports are taken.
 */
function msgrPortWindow(): number {
  return 20_000 + Math.floor(Math.random() * 120) * 100;
}

function cephConf(
  base: string,
  fsid: string,
  monPort: number,
  rgwPort: number,
  pmin: number,
  memstoreGib = 2,
): string {
  return `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monPort}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
ms bind port min = ${pmin}
ms bind port max = ${pmin + 99}
keyring = ${base}/keyring
run dir = ${base}/run
admin socket = ${base}/run/$name.asok
pid file = ${base}/run/$name.pid
log file = ${base}/log/$name.log
# Without this the mon writes its cluster log under /var/log/ceph.
mon cluster log file = ${base}/log/$cluster.$channel.log
crash dir = ${base}/crash
mon data = ${base}/mon/$id
osd data = ${base}/osd/$id
osd objectstore = memstore
memstore device bytes = ${Math.round(memstoreGib * 1024 ** 3)}
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail crit = 1
# The default (1 s) makes start-up take ~15 s and every pool/user change slow.
paxos propose interval = 0.05
paxos min wait = 0.01
auth allow insecure global id reclaim = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw thread pool size = 32
`;
}

/**
 * Starts a fresh radosgw. The ports come from the kernel but are only reserved once the server binds them, so
 * another process can take one in between: a failed start is retried once with new ports before giving up.
 */
export interface RadosgwOptions {
  startTimeoutMs?: number;
  /** Size of the memstore OSD (all objects live in RAM). SF10 TPC-H needs ~8 GiB. @default 2 */
  memstoreGib?: number;
}

export async function startRadosgw(opts: RadosgwOptions = {}): Promise<Radosgw> {
  try {
    return await startRadosgwOnce(opts);
  } catch (e) {
    if (/not installed/.test((e as Error).message)) throw e;
    return startRadosgwOnce(opts);
  }
}

/** Starts mon + OSD + radosgw and a first S3 user. Throws (after cleaning up) when any step fails. */
async function startRadosgwOnce(opts: RadosgwOptions = {}): Promise<Radosgw> {
  requireBinaries("radosgw", BINARIES, INSTALL_HINT);
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-rgw-"));
  for (const d of ["mon/a", "osd/0", "run", "log", "crash"])
    fs.mkdirSync(path.join(base, d), { recursive: true });
  const conf = path.join(base, "ceph.conf");
  const keyring = path.join(base, "keyring");
  const env = { ...process.env, CEPH_CONF: conf };
  const children: ChildProcess[] = [];

  const stopAll = async (): Promise<void> => {
    // Throwaway memstore data: SIGKILL straight away (SIGTERM costs ~2 s per daemon), newest first.
    for (const c of [...children].reverse()) if (c.pid) await stopPid(c.pid, 0, "SIGKILL");
    fs.rmSync(base, { recursive: true, force: true });
  };

  try {
    const [monPort, rgwPort] = [await freePort(), await freePort()];
    const fsid = randomUUID();
    const osdUuid = randomUUID();
    fs.writeFileSync(conf, cephConf(base, fsid, monPort, rgwPort, msgrPortWindow(), opts.memstoreGib));
    const auth = (...a: string[]): Promise<string> => run("ceph-authtool", [keyring, ...a], { env });
    await auth("--create-keyring", "--gen-key", "-n", "mon.", "--cap", "mon", "allow *");
    await auth(
      "--gen-key",
      "-n",
      "client.admin",
      "--cap",
      "mon",
      "allow *",
      "--cap",
      "osd",
      "allow *",
      "--cap",
      "mgr",
      "allow *",
    );
    await auth(
      "--gen-key",
      "-n",
      "osd.0",
      "--cap",
      "mon",
      "allow profile osd",
      "--cap",
      "mgr",
      "allow profile osd",
      "--cap",
      "osd",
      "allow *",
    );
    await auth(
      "--gen-key",
      "-n",
      "client.rgw.a",
      "--cap",
      "mon",
      "allow rw",
      "--cap",
      "osd",
      "allow rwx",
      "--cap",
      "mgr",
      "allow rw",
    );
    const monmap = path.join(base, "monmap");
    await run(
      "monmaptool",
      ["--create", "--fsid", fsid, "--addv", "a", `[v2:127.0.0.1:${monPort}]`, monmap],
      { env },
    );
    await run("ceph-mon", ["--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring], { env });
    const log = (n: string): string => path.join(base, "log", `${n}.out`);
    children.push(await spawnDaemon("ceph-mon", ["-f", "-i", "a"], log("mon"), { env }));

    await run("ceph", ["--connect-timeout", "20", "osd", "new", osdUuid, "0"], { env, timeoutMs: 30_000 });
    await run("ceph-osd", ["-i", "0", "--mkfs", "--osd-uuid", osdUuid], { env });
    children.push(await spawnDaemon("ceph-osd", ["-f", "-i", "0"], log("osd"), { env }));
    // radosgw waits for the OSD by itself (its pool creation blocks until the OSD is up), so no polling of
    // `ceph osd dump` here: the beast frontend answering HTTP means the whole chain is up.
    children.push(await spawnDaemon("radosgw", ["-f", "-n", "client.rgw.a"], log("rgw"), { env }));

    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitFor(
      `radosgw to answer HTTP on ${endpoint}`,
      async () => {
        for (const c of children) {
          if (c.exitCode !== null || c.signalCode !== null) {
            throw new StopWaiting(`${c.spawnfile} exited early`);
          }
        }
        const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        return true;
      },
      timeoutMs,
      100,
      () =>
        `Logs:\n${["mon.a", "osd.0", "client.rgw.a"].map((n) => `${n}: ${tail(path.join(base, "log", `${n}.log`), 8)}`).join("\n")}`,
    );
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`${dead.spawnfile} exited during start-up; see ${base}/log.`);

    const createUser = async (uid: string): Promise<RadosgwUser> => {
      const out = await run("radosgw-admin", ["user", "create", `--uid=${uid}`, `--display-name=${uid}`], {
        env,
      });
      const keys = (JSON.parse(out) as { keys?: { access_key: string; secret_key: string }[] }).keys ?? [];
      if (!keys[0]) throw new Error(`radosgw-admin user create --uid=${uid} returned no keys.`);
      return { accessKeyId: keys[0].access_key, secretAccessKey: keys[0].secret_key };
    };
    const first = await createUser("lakehouse-test");
    let stopped = false;
    return {
      endpoint,
      region: "us-east-1",
      ...first,
      base,
      pids: { mon: children[0].pid ?? -1, osd: children[1].pid ?? -1, rgw: children[2].pid ?? -1 },
      createUser,
      admin: (...args: string[]) => run("radosgw-admin", args, { env }),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopAll();
        const left = children.filter((c) => c.pid && isAlive(c.pid));
        if (left.length > 0)
          throw new Error(`radosgw harness: pids ${left.map((c) => c.pid).join(", ")} survived SIGKILL.`);
      },
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
