/**
 * `npm run verify -- --phase analytics ...` in-process as a user types it: the Trino flags, their errors, and
 * exit 3 with every check unknown (never pass) when Trino does not answer. The passing run against the real
 * Trino is test/analytics/verify.test.ts.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCli, run, USAGE, type CliIO } from "../../verify/cli/main";
import { refusedUrl, kubeconfigYaml } from "../../harness/kube-api";

function io(): CliIO & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    isTTY: false,
    cwd: process.cwd(),
    out: () => out,
    err: () => err,
  };
}

describe("verify CLI: --phase analytics", function () {
  this.timeout(60_000);

  it("parses the Trino flags and lists the analytics checks in --help", () => {
    const a = parseCli([
      "--phase",
      "analytics",
      "--trino-url",
      "http://localhost:8080",
      "--table",
      "lakehouse.events",
    ]);
    assert.deepEqual(a.trino, { kind: "url", url: "http://localhost:8080" });
    assert.equal(a.table, "lakehouse.events");
    assert.deepEqual(parseCli(["--phase", "analytics", "--trino-service", "data/trino:8080"]).trino, {
      kind: "service",
      namespace: "data",
      service: "trino",
      port: 8080,
    });
    for (const id of [
      "trino-available",
      "iceberg-catalog",
      "multi-table-join",
      "query-latency",
      "end-to-end",
    ]) {
      assert.match(USAGE, new RegExp(`verify\\.${id}`));
    }
  });

  const bad: [string[], RegExp][] = [
    [["--trino-url", "localhost:8080"], /--trino-url "localhost:8080" is not an http\(s\) URL/],
    [["--trino-service", "trino"], /--trino-service "trino" is not NAMESPACE\/SERVICE:PORT/],
    [
      ["--trino-url", "http://a", "--trino-service", "a/b:1"],
      /--trino-url and --trino-service exclude each other/,
    ],
    [["--table", "events"], /--table "events" is not SCHEMA\.TABLE/],
  ];
  for (const [args, msg] of bad) {
    it(`exit 2 for ${args.join(" ")}`, async () => {
      const x = io();
      assert.equal(await run(["--phase", "analytics", ...args], x), 2);
      assert.match(x.err(), msg);
    });
  }

  it("exit 3 and every check unknown when Trino does not answer (JSON output)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-verify-analytics-"));
    try {
      const kc = path.join(dir, "kc");
      fs.writeFileSync(kc, kubeconfigYaml(await refusedUrl()));
      const x = io();
      const code = await run(["--phase", "analytics", "--kubeconfig", kc, "--output", "json"], x);
      assert.equal(code, 3, x.err());
      const doc = JSON.parse(x.out()) as { status: string; results: { id: string; status: string }[] };
      assert.equal(doc.status, "fail");
      assert.deepEqual(
        doc.results.map((r) => `${r.id}:${r.status}`),
        ["trino-available", "iceberg-catalog", "multi-table-join", "query-latency", "end-to-end"].map(
          (id) => `verify.${id}:unknown`,
        ),
      );
      assert.match(
        x.err(),
        /verify: analytics phase on http:\/\/127\.0\.0\.1:\d+ .*each query may take up to 600 s/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
