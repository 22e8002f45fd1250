/**
 * The artifact cache's script (stacks/platform/artifacts.ts) for real: sh + curl (S3 SigV4) + sha256sum against
 * a real Ceph radosgw, staged from the local mirror of every pinned artifact (.ci/setup.d/45-artifacts.sh) the
 * way an air-gapped homelab points lakehouse:artifacts.source at its mirror:
 * - the first stage stores every pinned artifact; a second one, with the source a closed port, fetches nothing;
 *   a version bump fetches only the new artifact;
 * - the pods' fetch reads only the cache (no source at all), keeps verified files on a restart, refuses a
 *   corrupt object naming it, and fails at once, in one line naming the artifact, the cache and the fix, when
 *   an object is missing; a corrupt object is reported by the check and re-staged;
 * - the gateway itself refuses an upload whose bytes differ from the digest the script declares;
 * - the verification Jobs' command installs pyiceberg + pyarrow from the fetched wheels with pip --no-index.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import {
  cacheKey,
  JMX_EXPORTER_JAR,
  METASTORE_JARS,
  platformArtifacts,
  PYTHON_REQUIREMENTS,
  totalBytes,
  type PinnedArtifact,
} from "../../stacks/platform/artifacts";
import { jobWheels, pythonCommand } from "../../verify/kube/helperJob";
import {
  mirrorSources,
  runArtifactScript,
  TEST_CACHE_BUCKET,
  type ScriptRun,
} from "../../harness/artifact-cache";
import { freePort } from "../../harness/proc";
import { startRadosgw, type Radosgw, s3Client } from "../../harness/radosgw";

const ALL = platformArtifacts();
const POSTGRES = METASTORE_JARS[0];
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const ok = (r: ScriptRun) => assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}\n${r.stdout.slice(-2000)}`);

describe("artifact cache script on a real radosgw", function () {
  this.timeout(600_000);
  let rgw: Radosgw;
  let dir: string;
  let sources: { maven: string; pypi: string };
  /** A source nothing listens on: any fetch from it fails. */
  let closed: { maven: string; pypi: string };
  const tmp = () => fs.mkdtempSync(path.join(dir, "t-"));

  before(async () => {
    sources = mirrorSources(ALL);
    rgw = await startRadosgw();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-artifact-cache-"));
    const port = await freePort();
    closed = { maven: `http://127.0.0.1:${port}/maven2`, pypi: `http://127.0.0.1:${port}/pypi` };
  });
  after(async () => {
    await rgw?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const keysInBucket = async (): Promise<string[]> => {
    const s3 = s3Client(rgw);
    try {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const r = await s3.send(
          new ListObjectsV2Command({ Bucket: TEST_CACHE_BUCKET, ContinuationToken: token }),
        );
        out.push(...(r.Contents ?? []).map((o) => o.Key ?? ""));
        token = r.NextContinuationToken;
      } while (token);
      return out.sort();
    } finally {
      s3.destroy();
    }
  };

  it("stage: creates the bucket and stores every pinned artifact, sha256-verified, on the first run", async () => {
    const r = await runArtifactScript("stage", ALL, { rgw, sources, tmp: tmp() });
    ok(r);
    assert.match(r.stdout, /created the bucket s3:\/\/lakehouse-artifacts/);
    assert.deepEqual(r.result, {
      event: "artifact-cache",
      ok: true,
      mode: "stage",
      artifacts: ALL.length,
      cached: 0,
      staged: ALL.length,
      restaged: 0,
      bytesFromSource: totalBytes(ALL),
      bytesFromCache: 0,
    });
    assert.deepEqual(await keysInBucket(), ALL.map(cacheKey).sort());
    process.stderr.write(
      `      [artifact cache] first stage: ${ALL.length} artifacts, ${(totalBytes(ALL) / 2 ** 20).toFixed(1)} MiB in ${(r.ms / 1000).toFixed(1)} s\n`,
    );
  });

  it("stage again with the public source unreachable: everything is cached, nothing is fetched", async () => {
    const r = await runArtifactScript("stage", ALL, { rgw, sources: closed, tmp: tmp() });
    ok(r);
    assert.equal(r.result?.staged, 0);
    assert.equal(r.result?.cached, ALL.length);
    assert.equal(r.result?.bytesFromSource, 0);
    assert.equal(r.result?.bytesFromCache, totalBytes(ALL));
  });

  it("a version bump stages only the new artifact", async () => {
    const mirror = path.join(dir, "bump-mirror");
    const body = Buffer.from("pretend jar of a bumped version\n");
    const bumped: PinnedArtifact = {
      source: "maven",
      coordinates: "org.example:bumped:2.0.0",
      file: "bumped-2.0.0.jar",
      path: "org/example/bumped/2.0.0/bumped-2.0.0.jar",
      sha256: sha(body),
      bytes: body.length,
      why: "test",
    };
    fs.mkdirSync(path.join(mirror, path.dirname(bumped.path)), { recursive: true });
    fs.writeFileSync(path.join(mirror, bumped.path), body);
    // The mirror holds ONLY the new jar: fetching anything else from it would fail the run.
    const r = await runArtifactScript("stage", [...ALL, bumped], {
      rgw,
      sources: { maven: `file://${mirror}`, pypi: closed.pypi },
      tmp: tmp(),
    });
    ok(r);
    assert.equal(r.result?.staged, 1);
    assert.equal(r.result?.bytesFromSource, body.length);
    assert.match(r.stdout, /bumped-2\.0\.0\.jar: staged from file:/);
  });

  it("stage refuses a source file whose sha256 differs from the pin, names both sums, stores nothing", async () => {
    const mirror = path.join(dir, "bad-mirror");
    const bad: PinnedArtifact = {
      source: "maven",
      coordinates: "org.example:tampered:1.0",
      file: "tampered-1.0.jar",
      path: "org/example/tampered/1.0/tampered-1.0.jar",
      sha256: "0".repeat(64),
      bytes: 9,
      why: "test",
    };
    fs.mkdirSync(path.join(mirror, path.dirname(bad.path)), { recursive: true });
    fs.writeFileSync(path.join(mirror, bad.path), "tampered\n");
    const r = await runArtifactScript("stage", [bad], {
      rgw,
      sources: { maven: `file://${mirror}`, pypi: closed.pypi },
      tmp: tmp(),
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `refusing tampered-1\\.0\\.jar \\(org\\.example:tampered:1\\.0\\) from file:.*: sha256 is ${sha("tampered\n")}, expected 0{64}`,
      ),
    );
    assert.equal(r.result?.ok, false);
    assert.ok(!(await keysInBucket()).includes(cacheKey(bad)));
  });

  it("fetch (the pods' script, no source in it) copies and verifies; a restart keeps verified files", async () => {
    const dest = path.join(dir, "metastore-jars");
    const jars = [...METASTORE_JARS, JMX_EXPORTER_JAR];
    const first = await runArtifactScript("fetch", jars, { rgw, dest, tmp: dest });
    ok(first);
    assert.deepEqual(first.result, {
      event: "artifact-cache",
      ok: true,
      mode: "fetch",
      artifacts: jars.length,
      present: 0,
      fetched: jars.length,
      bytesFromCache: totalBytes(jars),
    });
    for (const j of jars) assert.equal(sha(fs.readFileSync(path.join(dest, j.file))), j.sha256);
    const again = await runArtifactScript("fetch", jars, { rgw, dest, tmp: dest });
    ok(again);
    assert.equal(again.result?.fetched, 0);
    assert.equal(again.result?.bytesFromCache, 0);
    assert.deepEqual(
      fs.readdirSync(dest).filter((f) => f.endsWith(".part")),
      [],
    );
  });

  it("a corrupt cached object: the pod refuses it in one line naming it, check reports it, stage re-stages it", async () => {
    const s3 = s3Client(rgw);
    try {
      await s3.send(
        new PutObjectCommand({ Bucket: TEST_CACHE_BUCKET, Key: cacheKey(POSTGRES), Body: "not a jar" }),
      );
    } finally {
      s3.destroy();
    }
    const dest = path.join(dir, "corrupt");
    const r = await runArtifactScript("fetch", [POSTGRES], { rgw, dest, tmp: dest });
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      new RegExp(
        `^artifact-cache: postgresql-42\\.7\\.4\\.jar \\(org\\.postgresql:postgresql:42\\.7\\.4\\): the cached copy ` +
          `s3://lakehouse-artifacts/maven/org/postgresql/postgresql/42\\.7\\.4/postgresql-42\\.7\\.4\\.jar at ` +
          `http://127\\.0\\.0\\.1:\\d+ has sha256 ${sha("not a jar")}, expected ${POSTGRES.sha256}; the cache is ` +
          `corrupt, stage it with the Job artifact-cache-stage .*docs/runbooks/foundation\\.md#artifact-cache\\.$`,
      ),
    );
    assert.deepEqual(
      fs.readdirSync(dest).filter((f) => f.endsWith(".jar") || f.endsWith(".part")),
      [],
    );

    const check = await runArtifactScript("check", ALL, { rgw, tmp: tmp() });
    assert.equal(check.code, 1);
    assert.equal(check.result?.ok, false);
    assert.deepEqual(check.result?.corrupt, ["postgresql-42.7.4.jar"]);
    assert.deepEqual(check.result?.missing, []);
    assert.equal(check.result?.verified, ALL.length - 1);

    const restage = await runArtifactScript("stage", ALL, { rgw, sources, tmp: tmp() });
    ok(restage);
    assert.equal(restage.result?.restaged, 1);
    assert.equal(restage.result?.staged, 1);
    assert.equal(restage.result?.bytesFromSource, POSTGRES.bytes);
    assert.match(
      restage.stdout,
      /postgresql-42\.7\.4\.jar: refusing the cached copy .*: sha256 is [0-9a-f]{64}, expected/,
    );
    ok(await runArtifactScript("fetch", [POSTGRES], { rgw, dest, tmp: dest }));
  });

  it("a missing object fails the pod at once with one line naming the artifact, the cache and the fix", async () => {
    const s3 = s3Client(rgw);
    try {
      await s3.send(new DeleteObjectCommand({ Bucket: TEST_CACHE_BUCKET, Key: cacheKey(JMX_EXPORTER_JAR) }));
    } finally {
      s3.destroy();
    }
    const dest = path.join(dir, "missing");
    const r = await runArtifactScript("fetch", [POSTGRES, JMX_EXPORTER_JAR], { rgw, dest, tmp: dest });
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /^artifact-cache: jmx_prometheus_javaagent-1\.0\.1\.jar \(io\.prometheus\.jmx:jmx_prometheus_javaagent:1\.0\.1\) is not in the artifact cache \(s3:\/\/lakehouse-artifacts\/maven\/io\/prometheus\/jmx\/.* at http:\/\/127\.0\.0\.1:\d+\); stage it with the Job artifact-cache-stage \(pulumi up; .*\), see docs\/runbooks\/foundation\.md#artifact-cache\.$/,
    );
    // No retry loop: one 404 and out (the timeout of a pod start is the only other bound).
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    const check = await runArtifactScript("check", ALL, { rgw, tmp: tmp() });
    assert.deepEqual(check.result?.missing, ["jmx_prometheus_javaagent-1.0.1.jar"]);
    ok(await runArtifactScript("stage", ALL, { rgw, sources, tmp: tmp() }));
    const after = await runArtifactScript("check", ALL, { rgw, tmp: tmp() });
    ok(after);
    assert.equal(after.result?.verified, ALL.length);
  });

  it("an unreachable cache fails the pod with the endpoint named, not a hang", async () => {
    const port = await freePort();
    const dest = path.join(dir, "unreachable");
    const r = await runArtifactScript("fetch", [POSTGRES], {
      rgw: { ...rgw, endpoint: `http://127.0.0.1:${port}` },
      dest,
      tmp: dest,
    });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `could not read s3://lakehouse-artifacts/maven/org/postgresql/.* at http://127\\.0\\.0\\.1:${port} \\(HTTP 000 `,
      ),
    );
  });

  it("the gateway refuses an upload whose bytes differ from the declared x-amz-content-sha256", async () => {
    const file = path.join(dir, "upload.bin");
    fs.writeFileSync(file, "some bytes\n");
    const code = await new Promise<string>((resolve) => {
      const child = execFile(
        "curl",
        [
          "-K",
          "-",
          "-sS",
          "--aws-sigv4",
          `aws:amz:${rgw.region}:s3`,
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "-T",
          file,
          "-H",
          `x-amz-content-sha256: ${"1".repeat(64)}`,
          `${rgw.endpoint}/${TEST_CACHE_BUCKET}/maven/example/upload.bin`,
        ],
        { timeout: 30_000 },
        (_err, out) => resolve(`${out}`),
      );
      child.stdin?.end(`user = "${rgw.accessKeyId}:${rgw.secretAccessKey}"\n`);
    });
    assert.equal(code, "400");
    assert.ok(!(await keysInBucket()).includes("maven/example/upload.bin"));
  });

  it("the verification Jobs' command installs pyiceberg + pyarrow from the fetched wheels, pip --no-index", async () => {
    const wheels = path.join(dir, "wheels");
    ok(await runArtifactScript("fetch", jobWheels(true), { rgw, dest: wheels, tmp: wheels }));
    const scripts = path.join(dir, "scripts");
    fs.mkdirSync(scripts);
    fs.writeFileSync(
      path.join(scripts, "probe.py"),
      'import json, pyarrow, pyiceberg, thrift\nprint(json.dumps({"pyiceberg": pyiceberg.__version__, "pyarrow": pyarrow.__version__}))\n',
    );
    // A fresh venv: the packages this machine's Python has must not stand in for the install.
    const venv = path.join(dir, "venv");
    await new Promise<void>((resolve, reject) =>
      execFile("python3", ["-m", "venv", venv], { timeout: 120_000 }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    const [sh, flag, line] = pythonCommand("probe.py", true, {
      wheels,
      scripts,
      target: path.join(dir, "py"),
    });
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        sh,
        [flag, line],
        {
          // No proxy, and an index URL that cannot answer: pip must not need one.
          env: { PATH: `${venv}/bin:/usr/bin:/bin`, HOME: dir, PIP_INDEX_URL: closed.pypi },
          timeout: 300_000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: `${stdout}`, stderr: `${stderr}` }),
      );
    });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(out.stdout.trim().split("\n").pop() ?? "{}"), {
      pyiceberg: PYTHON_REQUIREMENTS[0].split("==")[1],
      pyarrow: PYTHON_REQUIREMENTS[1].split("==")[1],
    });
  });
});
