/**
 * table_maintenance.py without engines (fast tier): its refusal rules as a table of cases over reconcile records
 * (the contract with restore.sh's reconcile), the metrics it pushes as valid Prometheus text (`promtool check
 * metrics`) with exactly the documented names, and bad input: a missing or invalid variable exits 2 naming it,
 * unreachable Trino and S3 exit 3 within seconds with orphan removal refused (fail closed), never a traceback.
 * The same script runs against the real engines in test/analytics/maintenance.test.ts.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { MAINTENANCE_METRICS, REFUSAL_REASONS } from "../../../stacks/analytics/dashboard";
import { runScript } from "../../foundation-scripts/helpers";
import { freePort } from "../../../harness/proc";

const DIR = path.resolve(__dirname, "../../../stacks/analytics/scripts");
const SCRIPT = path.join(DIR, "table_maintenance.py");
const PROMTOOL = "/usr/bin/promtool";

/** Runs `code` with the script importable as `tm`; resolves the JSON it prints. */
function py(code: string): unknown {
  const r = spawnSync(
    "python3",
    [
      "-c",
      `import json, sys\nsys.path.insert(0, ${JSON.stringify(DIR)})\nimport table_maintenance as tm\n${code}`,
    ],
    // Importing the script must not leave a __pycache__ beside it in the repository.
    { encoding: "utf8", timeout: 30_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const NOW = "2026-12-06T12:00:00Z";

/** orphan_policy(state, record, where, now, days) -> [reasons, why]. */
function policy(state: string, record: unknown, days = 14): { reasons: string[]; why: string } {
  const [reasons, why] = py(
    `r = tm.orphan_policy(${JSON.stringify(state)}, json.loads(${JSON.stringify(JSON.stringify(record))}), "s3://b/metastore/reconcile/latest.json", tm.parse_time(${JSON.stringify(NOW)}), ${days})\nprint(json.dumps(r))`,
  ) as [string[], string];
  return { reasons, why };
}

const record = (over: Record<string, unknown>) => ({
  event: "reconcile",
  ok: true,
  time: "2026-12-05T12:00:00Z",
  dryRun: false,
  moved: ["lakehouse.events"],
  registered: [],
  left: [],
  missing: [],
  ...over,
});

const baseEnv = (over: Record<string, string> = {}): Record<string, string> => ({
  TRINO_URL: "http://127.0.0.1:1",
  RETENTION_DAYS: "14",
  S3_ENDPOINT: "http://127.0.0.1:1",
  AWS_REGION: "us-east-1",
  BACKUP_BUCKET: "lakehouse-metastore-backup",
  BACKUP_PREFIX: "metastore",
  BACKUP_AWS_ACCESS_KEY_ID: "k",
  BACKUP_AWS_SECRET_ACCESS_KEY: "s",
  WAREHOUSE_AWS_ACCESS_KEY_ID: "k",
  WAREHOUSE_AWS_SECRET_ACCESS_KEY: "s",
  ...over,
});

describe("table_maintenance.py (no engines)", function () {
  this.timeout(120_000);

  it("refuses orphan removal exactly as the reconcile record says (table of cases)", () => {
    const cases: [string, string, unknown, string[], RegExp][] = [
      [
        "no record",
        "absent",
        null,
        [],
        /no reconcile record at s3:\/\/b\/metastore\/reconcile\/latest\.json/,
      ],
      [
        "a restore reconciled yesterday",
        "ok",
        record({}),
        ["restore-reconciled"],
        /refused until 2026-12-19T12:00:00Z/,
      ],
      [
        "reconciled 13 days 23 hours ago: still inside 14 days",
        "ok",
        record({ time: "2026-11-22T13:00:00Z" }),
        ["restore-reconciled"],
        /within the 14-day retention/,
      ],
      [
        "reconciled 15 days ago, nothing left",
        "ok",
        record({ time: "2026-11-21T12:00:00Z" }),
        [],
        /older than the retention/,
      ],
      [
        "reconciled 15 days ago, a table left divergent",
        "ok",
        record({
          time: "2026-11-21T12:00:00Z",
          left: [{ table: "lakehouse.events", reason: "rolled back" }],
        }),
        ["divergent-tables"],
        /left divergent tables: lakehouse\.events/,
      ],
      [
        "yesterday, divergent (reconcile.sh then says ok: false)",
        "ok",
        record({ ok: false, left: ["sales.orders"] }),
        ["restore-reconciled", "divergent-tables"],
        /left divergent tables: sales\.orders/,
      ],
      [
        "long ago, a table missing only: that table is skipped, orphans elsewhere may go",
        "ok",
        record({ ok: false, time: "2026-10-01T00:00:00Z", missing: ["sales.gone"] }),
        [],
        /older than the retention/,
      ],
      [
        "long ago, a reconcile that did not run through",
        "ok",
        record({ ok: false, time: "2026-10-01T00:00:00Z", error: "warehouse unreachable" }),
        ["reconcile-failed"],
        /did not finish: warehouse unreachable/,
      ],
      [
        "ok: false and nothing to show for it (fail closed)",
        "ok",
        record({ ok: false }),
        ["restore-reconciled", "reconcile-failed"],
        /ok is false/,
      ],
      [
        "a time with an offset",
        "ok",
        record({ time: "2026-12-06T13:00:00+02:00" }),
        ["restore-reconciled"],
        /11:00:00Z/,
      ],
      ["unreadable (fail closed)", "unreadable", null, ["record-unreadable"], /latest\.json/],
    ];
    for (const [name, state, rec, reasons, why] of cases) {
      const got = policy(state, rec);
      assert.deepEqual(got.reasons, reasons, name);
      assert.match(got.why, why, name);
      for (const r of got.reasons) assert.ok((REFUSAL_REASONS as readonly string[]).includes(r), r);
    }
  });

  it("looks for the record where backup.sh writes: <prefix, slashes trimmed>/reconcile/latest.json", () => {
    const prefixOf = (prefix: string) =>
      py(
        `print(json.dumps(tm.load_env(${JSON.stringify(baseEnv({ BACKUP_PREFIX: prefix }))})["backup_prefix"]))`,
      );
    assert.equal(prefixOf("/dumps/"), "dumps");
    assert.equal(prefixOf("metastore"), "metastore");
    assert.equal(prefixOf(""), "");
    // With no S3 reachable the key is still named in the refusal (fail closed).
    const [state, , why] = py(
      `print(json.dumps(tm.read_record(tm.load_env(${JSON.stringify(baseEnv({ BACKUP_PREFIX: "/dumps/" }))}))))`,
    ) as [string, unknown, string];
    assert.equal(state, "unreadable");
    assert.match(why, /^s3:\/\/lakehouse-metastore-backup\/dumps\/reconcile\/latest\.json could not be read/);
  });

  it("pushes valid Prometheus text with exactly the documented metric names, every refusal reason always present", () => {
    const text = py(`
result = {"ok": False, "_end": 1765000000.5, "seconds": 12.5, "orphanRemoval": {"reasons": ["divergent-tables"]}}
tables = [
  {"table": "lakehouse.events", "status": "maintained", "before": {"files": 7, "bytes": 7000, "snapshots": 7}, "after": {"files": 1, "bytes": 6000, "snapshots": 3}},
  {"table": "lakehouse.odd\\"name", "status": "skipped", "reason": "catalog-behind-bucket", "before": {"files": 2, "bytes": 10, "snapshots": 2}, "after": {"files": 2, "bytes": 10, "snapshots": 2}},
  {"table": "sales.orders", "status": "failed", "reason": "optimize"},
]
print(json.dumps(tm.metrics_text(result, tables)))`) as string;
    const lint = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
    // promtool lints names and help/type lines; "no HELP" or counters without _total would show here.
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}\n${text}`);
    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(
      families,
      MAINTENANCE_METRICS.map((m) => [m.name, m.type]),
    );
    assert.match(text, /^lakehouse_table_maintenance_success 0$/m);
    for (const r of REFUSAL_REASONS)
      assert.match(
        text,
        new RegExp(
          `^lakehouse_table_maintenance_orphan_removal_refused\\{reason="${r}"\\} ${r === "divergent-tables" ? 1 : 0}$`,
          "m",
        ),
      );
    assert.match(
      text,
      /^lakehouse_iceberg_table_files\{schema="lakehouse",table="events",point="after"\} 1$/m,
    );
    assert.match(text, /table="odd\\"name"/, "label values are escaped");
    assert.match(
      text,
      /^lakehouse_table_maintenance_table_status\{schema="sales",table="orders",status="failed",reason="optimize"\} 1$/m,
    );
  });

  it("--help prints the env contract; bad input exits 2 naming the variable", async () => {
    const help = await runScript("python3", [SCRIPT, "--help"], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /RETENTION_DAYS/);
    const cases: [Record<string, string>, string[], RegExp][] = [
      [baseEnv({ TRINO_URL: "" }), [], /environment variable TRINO_URL is not set/],
      [
        baseEnv({ RETENTION_DAYS: "0" }),
        [],
        /RETENTION_DAYS is '0'; expected a whole number of days >= 1 \(config analytics\.maintenance\.retentionDays\)/,
      ],
      [baseEnv({ RETENTION_DAYS: "7d" }), [], /RETENTION_DAYS is '7d'/],
      [
        baseEnv({ PUSHGATEWAY_URL: "pushgateway:9091" }),
        [],
        /PUSHGATEWAY_URL is 'pushgateway:9091'; expected an http/,
      ],
      [baseEnv({ BACKUP_AWS_SECRET_ACCESS_KEY: "" }), [], /BACKUP_AWS_SECRET_ACCESS_KEY is not set/],
      [baseEnv(), ["--force"], /unknown argument\(s\) --force/],
    ];
    for (const [env, args, re] of cases) {
      const r = await runScript("python3", [SCRIPT, ...args], env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /Traceback/);
    }
  });

  it("with Trino and S3 unreachable: exit 3 in seconds, orphan removal refused (record unreadable), push attempted", async () => {
    const closed = await freePort();
    const t0 = Date.now();
    const r = await runScript(
      "python3",
      [SCRIPT],
      baseEnv({
        TRINO_URL: `http://127.0.0.1:${closed}`,
        S3_ENDPOINT: `http://127.0.0.1:${closed}`,
        PUSHGATEWAY_URL: `http://127.0.0.1:${closed}`,
      }),
      60_000,
    );
    assert.ok(Date.now() - t0 < 30_000, `took ${Date.now() - t0} ms`);
    assert.equal(r.code, 3, r.stderr);
    assert.doesNotMatch(r.stderr, /Traceback/);
    assert.equal(r.json?.ok, false);
    assert.match(
      String(r.json?.error),
      /could not list the tables of catalog iceberg: Trino at http:\/\/127\.0\.0\.1:\d+ is unreachable/,
    );
    assert.deepEqual((r.json?.orphanRemoval as { reasons: string[] }).reasons, ["record-unreadable"]);
    assert.equal(r.json?.pushed, false);
    assert.match(String(r.json?.pushError), /Pushgateway at .* is unreachable/);
  });
});
