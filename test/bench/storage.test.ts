/**
 * `npm run bench:storage`: its pure parts (the AWS CLI's config, the report), then the whole bench once as a
 * user types it, on its own real radosgw at a tiny size with one run: the output's shape (both legs, every
 * figure, the ratio and the goal line), never its speed. And its refusals of bad flags.
 */
import { strict as assert } from "node:assert";
import * as net from "node:net";
import * as os from "node:os";
import { renderStorageReport } from "../../bench/lib/render";
import { AwsCliSession, awsCliConfig, READ_RATIO_GOAL, type StorageBenchResult } from "../../bench/storage";
import { npmRun } from "../npm";

const MiB = 2 ** 20;

describe("bench: storage helpers (pure)", () => {
  it("configures the AWS CLI with the probe's part size and parallelism, path-style, checksums only when required", () => {
    const c = awsCliConfig("us-east-1", 8 * MiB, 8);
    assert.equal(
      c.file,
      [
        "[default]",
        "region = us-east-1",
        "request_checksum_calculation = when_required",
        "response_checksum_validation = when_required",
        "s3 =",
        "    max_concurrent_requests = 8",
        "    multipart_chunksize = 8MB",
        "    multipart_threshold = 8MB",
        "    addressing_style = path",
        "",
      ].join("\n"),
    );
    assert.ok(c.settings.includes("aws configure set default.s3.max_concurrent_requests 8"));
    assert.ok(c.settings.includes("aws configure set default.s3.multipart_chunksize 8MB"));
    assert.equal(c.settings.length, 7);
  });

  it("renders both legs, the ratio and whether the goal was met", () => {
    const r: StorageBenchResult = {
      endpoint: "http://127.0.0.1:7480",
      object: { bytes: 256 * MiB, partBytes: 8 * MiB, parallelism: 8 },
      runs: 3,
      probe: {
        writeMs: [2000, 2100, 1900],
        readMs: [1000, 1100, 900],
        ttfbMedianMs: [20, 30, 25],
        ttfbP95Ms: [60, 70, 65],
        writeRate: (256 * MiB) / 2,
        readRate: 256 * MiB,
      },
      awsCli: {
        version: "aws-cli/1.45.11",
        settings: ["aws configure set default.s3.max_concurrent_requests 8"],
        uploadMs: [2500],
        downloadMs: [1250],
        warmupMs: [400],
        writeRate: (256 * MiB) / 2.5,
        readRate: (256 * MiB) / 1.25,
      },
      ratio: { write: 1.25, read: 1.25 },
      goal: { readRatio: READ_RATIO_GOAL, met: true },
    };
    const text = renderStorageReport(r);
    assert.match(
      text,
      /^object: 256 MiB \(268 MB\), 8 MiB parts and ranges, 8 at a time, 3 run\(s\) per leg/,
    );
    assert.match(
      text,
      /^probe \(risk\.storage-bandwidth\) +134 MB\/s +2000 \/ 2100 \/ 1900 +268 MB\/s +1000 \/ 1100 \/ 900 +median 25 ms, p95 65 ms$/m,
    );
    assert.match(text, /^aws s3 cp +107 MB\/s +2500 +215 MB\/s +1250$/m);
    assert.match(text, /^probe \/ aws s3 cp +1\.25x +1\.25x$/m);
    assert.match(text, /goal: the probe reads at >= 0\.9x the AWS CLI's rate: met \(1\.25x\)$/);
    assert.match(
      renderStorageReport({ ...r, ratio: { write: 1, read: 0.5 }, goal: { readRatio: 0.9, met: false } }),
      /MISSED \(0\.50x\)$/,
    );
  });
});

describe("bench: storage's AWS CLI session", function () {
  this.timeout(60_000);
  const hangSockets: net.Socket[] = [];
  let hang: net.Server | undefined;
  after(async () => {
    for (const s of hangSockets) s.destroy();
    await new Promise<void>((r) => (hang ? hang.close(() => r()) : r()));
  });

  it("stops the CLI and says so when a command does not finish in time (a store that blocks writes)", async () => {
    hang = net.createServer((s) => hangSockets.push(s));
    await new Promise<void>((r) => hang!.listen(0, "127.0.0.1", () => r()));
    const endpoint = `http://127.0.0.1:${(hang.address() as net.AddressInfo).port}`;
    const cli = new AwsCliSession(process.env.PYTHON ?? "python3", {
      PATH: process.env.PATH,
      HOME: os.tmpdir(),
      AWS_ACCESS_KEY_ID: "AKIATEST",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
    });
    const t0 = Date.now();
    await assert.rejects(
      cli.run([["--endpoint-url", endpoint, "s3api", "list-buckets"]], 3_000),
      /^Error: The AWS CLI did not finish aws s3api list-buckets within 3 s; it was stopped\. Is the store full or hung\?$/,
    );
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
    await cli.close();
    await assert.rejects(cli.run([["--version"]], 1_000), /The AWS CLI process ended \(exit SIGKILL\)/);
  });
});

describe("npm run bench:storage (as a user types it)", function () {
  this.timeout(240_000);

  it("at a tiny size, one run: both legs on the same radosgw with their figures and the ratio, exit 0", async () => {
    const args = ["--size-mib", "6", "--part-mib", "5", "--parallelism", "2", "--runs", "1"];
    const r = await npmRun(["bench:storage", "--", ...args, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^bench:storage {2}machine: \d+ cores .*; load [\d.]+ \(1 min\)/m);
    assert.match(r.stdout, /^engines: radosgw \(Ceph 16\), 2 GiB memstore; ceph version 16\./m);
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf("\n{") + 1)) as StorageBenchResult;
    assert.deepEqual(json.object, { bytes: 6 * MiB, partBytes: 5 * MiB, parallelism: 2 });
    assert.equal(json.runs, 1);
    for (const runs of [
      json.probe.writeMs,
      json.probe.readMs,
      json.awsCli.uploadMs,
      json.awsCli.downloadMs,
    ]) {
      assert.equal(runs.length, 1, "one counted run per leg (the warm-up is not counted)");
      assert.ok(runs[0] > 0);
    }
    assert.match(json.awsCli.version, /^aws-cli\/1\./);
    assert.ok(json.awsCli.settings.includes("aws configure set default.s3.multipart_chunksize 5MB"));
    assert.ok(json.probe.readRate > 0 && json.awsCli.readRate > 0);
    assert.equal(json.ratio.read, json.probe.readRate / json.awsCli.readRate);
    assert.equal(json.goal.met, json.ratio.read >= 0.9);
    // The same result as the table a user reads.
    assert.match(renderStorageReport(json), /^probe \/ aws s3 cp +\d+\.\d\dx +\d+\.\d\dx$/m);
  });

  it("rejects bad flags with a message naming them, exit 2, before starting anything", async () => {
    const r = await npmRun(["bench:storage", "--", "--part-mib", "4"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^bench:storage: --part-mib must be a number from 5 to 512, got "4"\.$/m);
    assert.doesNotMatch(r.stdout, /engines:/);
  });
});
