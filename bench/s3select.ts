/**
 * The S3 Select benchmark's runner (the CLI is s3select.bench.ts): one generated CSV object on S3, one selective
 * filter (event_type = 'chargeback', 1 % of rows, returning event_id and amount), run several ways:
 *
 * - `get-filter`: a full GET of the object, filtered in the client while it streams;
 * - `s3-select`: `SelectObjectContent`, the filter evaluated inside RGW, only matching rows returned;
 * - `trino-iceberg`: the same rows as an Iceberg (Parquet) table, the same SELECT through Trino;
 * - `trino-csv`: Trino scanning the CSV object itself through a Hive external table (what Trino's Hive
 *   connector does now that it has no S3 Select: release 427 removed it).
 *
 * Every leg must return exactly the rows the generator says match (count and sum of amount), or the run fails:
 * a fast wrong answer is not a result. Legs run round-robin (run 1 of each, then run 2 ...) so load from other
 * processes on a shared machine hits them alike; each leg's figure is the median of its runs.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { addCephSelectFix, selectCsvRows, selectExpression, type SelectDialect } from "./lib/ceph-select";
import { CountingAgent } from "./lib/counting-agent";
import { amountToCents, EVENT_COLUMNS, generateEventsCsv, SELECTIVE_FILTER } from "./lib/events-csv";
import { median } from "./lib/stats";
import { TrinoClient } from "../verify/http/trino";
import { physicalInputBytes } from "./lib/trino-stats";

export type LegName = "get-filter" | "s3-select" | "trino-iceberg" | "trino-csv";

export const LEG_LABELS: Record<LegName, string> = {
  "get-filter": "full GET + filter in the client",
  "s3-select": "S3 Select (SelectObjectContent)",
  "trino-iceberg": "Trino, Iceberg/Parquet table",
  "trino-csv": "Trino, Hive table on the CSV object",
};

export interface S3Endpoint {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3SelectBenchOptions {
  s3: S3Endpoint;
  /** Bucket for the object (created when missing). @default "lakehouse-bench-s3select" */
  bucket?: string;
  /** Size of the generated CSV object in bytes. */
  sizeBytes: number;
  /** Runs per leg; the figure is the median. @default 3 */
  runs?: number;
  /** @default "ceph16" */
  dialect?: SelectDialect;
  /**
   * The Trino legs, when given: a coordinator with an `iceberg` catalog and a `hive` catalog on the same
   * metastore and S3 (see bench/lib/engines.ts). Omitted: only the two S3 legs run.
   */
  trino?: { url: string; schema?: string };
  log?: (msg: string) => void;
}

export interface LegResult {
  leg: LegName;
  label: string;
  runsMs: number[];
  medianMs: number;
  /** Bytes the leg read from the object store, median run (for Trino: its physicalInputBytes). */
  storageBytes: number;
  /** Bytes that reached this process over the wire, median run (headers and framing included). */
  clientBytes: number;
  rows: number;
  amountCents: number;
}

export interface S3SelectBenchResult {
  object: { bucket: string; key: string; bytes: number; rows: number; uploadMs: number };
  expected: { rows: number; amountCents: number };
  expression: string;
  dialect: SelectDialect;
  /** Trino's load of the Iceberg table (CTAS from the CSV table), when the Trino legs ran. */
  load?: { ms: number; icebergBytes: number; files: number };
  legs: LegResult[];
}

/** SQL string literal. */
const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

interface Sample {
  ms: number;
  storageBytes: number;
  clientBytes: number;
  rows: number;
  amountCents: number;
}

/** Streams `body` line by line into `onLine` (the header line included). */
async function forEachLine(body: Readable, onLine: (line: string) => void): Promise<void> {
  let carry = "";
  body.setEncoding("utf8");
  for await (const chunk of body as AsyncIterable<string>) {
    const lines = (carry + chunk).split("\n");
    carry = lines.pop() ?? "";
    for (const l of lines) onLine(l);
  }
  if (carry) onLine(carry);
}

/** Sets up the Trino tables for the object: a Hive CSV table over its prefix and an Iceberg copy by CTAS. */
async function prepareTrino(
  trino: TrinoClient,
  schema: string,
  bucket: string,
  prefix: string,
): Promise<{ ms: number; icebergBytes: number; files: number; csvTable: string; icebergTable: string }> {
  const csvTable = `hive.${schema}.events_csv`;
  const icebergTable = `iceberg.${schema}.events`;
  await trino.query(
    `CREATE SCHEMA IF NOT EXISTS hive.${schema} WITH (location = ${sqlString(`s3://${bucket}/hive-${schema}/`)})`,
  );
  await trino.query(`DROP TABLE IF EXISTS ${csvTable}`);
  await trino.query(
    `CREATE TABLE ${csvTable} (${EVENT_COLUMNS.map((c) => `${c} varchar`).join(", ")}) WITH (format = 'CSV', ` +
      `external_location = ${sqlString(`s3://${bucket}/${prefix}`)}, skip_header_line_count = 1)`,
  );
  await trino.query(`CREATE SCHEMA IF NOT EXISTS iceberg.${schema}`);
  await trino.query(`DROP TABLE IF EXISTS ${icebergTable}`);
  const load = await trino.query(
    `CREATE TABLE ${icebergTable} AS SELECT event_id, from_iso8601_timestamp(event_time) AS event_time, user_id, ` +
      `event_type, CAST(amount AS decimal(12, 2)) AS amount FROM ${csvTable}`,
  );
  const files = await trino.query(
    `SELECT count(*), coalesce(sum(file_size_in_bytes), 0) FROM iceberg.${schema}."events$files"`,
  );
  const [n, bytes] = files.rows[0] as readonly unknown[];
  return { ms: load.wallMs, icebergBytes: Number(bytes), files: Number(n), csvTable, icebergTable };
}

export async function runS3SelectBench(opts: S3SelectBenchOptions): Promise<S3SelectBenchResult> {
  const log = opts.log ?? (() => undefined);
  const runs = opts.runs ?? 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a whole number >= 1, got ${runs}.`);
  const bucket = opts.bucket ?? "lakehouse-bench-s3select";
  const prefix = "csv/";
  const key = `${prefix}events.csv`;
  const dialect = opts.dialect ?? "ceph16";
  const agent = new CountingAgent();
  const s3 = new S3Client({
    endpoint: opts.s3.endpoint,
    region: opts.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: opts.s3.accessKeyId, secretAccessKey: opts.s3.secretAccessKey },
    // Ceph before Reef rejects the SDK's default flexible checksums (aws-chunked uploads) with 411.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { httpAgent: agent, connectionTimeout: 10_000, requestTimeout: 300_000 },
    maxAttempts: 1,
  });
  if (dialect === "ceph16") addCephSelectFix(s3);
  const trinoAgent = new CountingAgent();
  const trino = opts.trino
    ? new TrinoClient(
        { baseUrl: opts.trino.url, label: opts.trino.url, requestOptions: { agent: trinoAgent } },
        { user: "lakehouse-bench", source: "lakehouse-bench" },
      )
    : undefined;
  const schema = opts.trino?.schema ?? "bench_s3select";

  try {
    log(`generating ${(opts.sizeBytes / 1e6).toFixed(0)} MB of CSV ...`);
    const csv = generateEventsCsv(opts.sizeBytes);
    await s3
      .send(new HeadBucketCommand({ Bucket: bucket }))
      .catch(() => s3.send(new CreateBucketCommand({ Bucket: bucket })));
    const t0 = performance.now();
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv.body, ContentType: "text/csv" }),
    );
    const uploadMs = performance.now() - t0;
    log(`uploaded s3://${bucket}/${key}: ${csv.rows} rows in ${uploadMs.toFixed(0)} ms`);

    const expression = selectExpression(SELECTIVE_FILTER, dialect);
    const where = SELECTIVE_FILTER.whereColumn - 1;
    const amountCol = SELECTIVE_FILTER.columns[1] - 1;

    const legs: [LegName, () => Promise<Sample>][] = [
      [
        "get-filter",
        async () => {
          let rows = 0;
          let cents = 0;
          const { value: ms, bytes } = await agent.measure(async () => {
            const start = performance.now();
            const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            let header = true;
            await forEachLine(res.Body as Readable, (line) => {
              if (header || line === "") {
                header = false;
                return;
              }
              const f = line.split(",");
              if (f[where] === SELECTIVE_FILTER.equals) {
                rows++;
                cents += amountToCents(f[amountCol]);
              }
            });
            return performance.now() - start;
          });
          return { ms, storageBytes: bytes.read, clientBytes: bytes.read, rows, amountCents: cents };
        },
      ],
      [
        "s3-select",
        async () => {
          let cents = 0;
          const { value, bytes } = await agent.measure(async () => {
            const start = performance.now();
            const rows = await selectCsvRows(s3, { bucket, key }, expression, (f) => {
              cents += amountToCents(f[1]);
            });
            return { rows, ms: performance.now() - start };
          });
          // RGW reads the whole object from RADOS to evaluate the filter; only the matches cross the wire.
          return {
            ms: value.ms,
            storageBytes: csv.body.length,
            clientBytes: bytes.read,
            rows: value.rows,
            amountCents: cents,
          };
        },
      ],
    ];

    let load: S3SelectBenchResult["load"];
    if (trino) {
      log("loading the CSV into an Iceberg table through Trino (CTAS) ...");
      const prepared = await prepareTrino(trino, schema, bucket, prefix);
      load = { ms: prepared.ms, icebergBytes: prepared.icebergBytes, files: prepared.files };
      log(
        `CTAS: ${prepared.ms.toFixed(0)} ms, ${prepared.files} file(s), ${prepared.icebergBytes} bytes of Parquet`,
      );
      const trinoLeg = (table: string) => async (): Promise<Sample> => {
        const { value: r, bytes } = await trinoAgent.measure(() =>
          trino.query(
            `SELECT event_id, amount FROM ${table} WHERE event_type = ${sqlString(SELECTIVE_FILTER.equals)}`,
          ),
        );
        const cents = r.rows.reduce((t, row) => t + amountToCents(String(row[1])), 0);
        return {
          ms: r.wallMs,
          storageBytes: await physicalInputBytes(opts.trino!.url, r.queryId),
          clientBytes: bytes.read,
          rows: r.rows.length,
          amountCents: cents,
        };
      };
      legs.push(
        ["trino-iceberg", trinoLeg(prepared.icebergTable)],
        ["trino-csv", trinoLeg(prepared.csvTable)],
      );
    }

    const samples = new Map<LegName, Sample[]>(legs.map(([n]) => [n, []]));
    for (let run = 1; run <= runs; run++) {
      for (const [name, fn] of legs) {
        const s = await fn();
        if (s.rows !== csv.expected.rows || s.amountCents !== csv.expected.amountCents) {
          throw new Error(
            `${name} returned ${s.rows} rows / ${s.amountCents} cents, expected ${csv.expected.rows} rows / ` +
              `${csv.expected.amountCents} cents: the leg is wrong, its time would mean nothing.`,
          );
        }
        samples.get(name)?.push(s);
        log(`run ${run}/${runs} ${name}: ${s.ms.toFixed(0)} ms, ${s.clientBytes} bytes to the client`);
      }
    }

    return {
      object: { bucket, key, bytes: csv.body.length, rows: csv.rows, uploadMs },
      expected: csv.expected,
      expression,
      dialect,
      load,
      legs: legs.map(([leg]) => {
        const ss = samples.get(leg) ?? [];
        const mid = [...ss].sort((a, b) => a.ms - b.ms)[Math.floor(ss.length / 2)];
        return {
          leg,
          label: LEG_LABELS[leg],
          runsMs: ss.map((s) => s.ms),
          medianMs: median(ss.map((s) => s.ms)),
          storageBytes: mid.storageBytes,
          clientBytes: mid.clientBytes,
          rows: mid.rows,
          amountCents: mid.amountCents,
        };
      }),
    };
  } finally {
    s3.destroy();
    agent.destroy();
    trinoAgent.destroy();
  }
}
