/**
 * S3 Select (`SelectObjectContent`) against Ceph RGW, with what Ceph 16 (Pacific, Debian 12's) needs:
 *
 * - Its s3select engine reads the request XML without decoding entities, so the SDK's correct escaping of the
 *   expression (`"` -> `&quot;`, `>` -> `&gt;`) turns the SQL into a syntax error. A build-step middleware writes
 *   the expression back unescaped and resets Content-Length. Delimiters are left to their defaults for the same
 *   reason (the SDK sends a newline as `&#x0A;`, which Ceph 16 takes literally: every count becomes 0).
 * - Its dialect is not AWS's: `select _1,_5 from stdin where _4 == "x";` (positional columns, `stdin`, `==`,
 *   double-quoted strings, a trailing `;`). Ceph 17+ speaks the standard `... FROM s3object s WHERE s._4 = 'x'`.
 * - Each Records event carries its rows wrapped in a text `<Payload><Records><Payload> ... </Payload>...` frame,
 *   rows end in a trailing comma, and a query error comes back as a Records event `failure -->...<---`
 *   instead of an HTTP error. {@link parseCephRecords} strips the frame and turns the failure into an exception.
 */
import { SelectObjectContentCommand, type S3Client } from "@aws-sdk/client-s3";

export type SelectDialect = "ceph16" | "standard";

const MIDDLEWARE_NAME = "lakehouseCephSelectUnescape";

function xmlUnescape(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** The request-body rewrite the middleware applies (exported for tests): the Expression element unescaped. */
export function unescapeSelectExpression(body: string): string {
  return body.replace(
    /<Expression>([\s\S]*?)<\/Expression>/,
    (_m, expr: string) => `<Expression>${xmlUnescape(expr)}</Expression>`,
  );
}

/** Adds the Ceph 16 expression fix to `client` (idempotent). Only SelectObjectContent bodies are touched. */
export function addCephSelectFix(client: S3Client): void {
  const stack = client.middlewareStack;
  stack.remove(MIDDLEWARE_NAME);
  stack.add(
    (next) => async (args) => {
      const req = args.request as { body?: unknown; headers?: Record<string, string> };
      if (typeof req.body === "string" && req.body.includes("<SelectObjectContentRequest")) {
        const body = unescapeSelectExpression(req.body);
        req.body = body;
        if (req.headers) req.headers["content-length"] = String(Buffer.byteLength(body));
      }
      return next(args);
    },
    { step: "build", name: MIDDLEWARE_NAME, priority: "low" },
  );
}

/** Column positions are 1-based, as S3 Select's `_N`. */
export interface SelectFilter {
  /** Columns to return (1-based positions). */
  readonly columns: readonly number[];
  /** The column compared (1-based position) and the string it must equal. */
  readonly whereColumn: number;
  readonly equals: string;
}

/** The SQL for one equality filter in the given dialect. */
export function selectExpression(f: SelectFilter, dialect: SelectDialect): string {
  if (!/^[\w .:-]*$/.test(f.equals)) {
    throw new Error(
      `S3 Select filter value ${JSON.stringify(f.equals)} must be plain text (letters, digits, _ .:-).`,
    );
  }
  if (dialect === "ceph16") {
    return `select ${f.columns.map((c) => `_${c}`).join(",")} from stdin where _${f.whereColumn} == "${f.equals}";`;
  }
  return `SELECT ${f.columns.map((c) => `s._${c}`).join(", ")} FROM S3Object s WHERE s._${f.whereColumn} = '${f.equals}'`;
}

const CEPH_FRAME = /^\s*<Payload>\s*<Records>\s*<Payload>\s*\n?|<\/Payload>\s*<\/Records>\s*<\/Payload>\s*$/g;

/**
 * Text of one Records event payload with Ceph 16's frame removed; throws on Ceph's in-band query failure.
 * A payload without the frame (Ceph 17+, AWS) is returned as is.
 */
export function parseCephRecords(payload: string): string {
  const text = payload.replace(CEPH_FRAME, "");
  const failure = /failure -->([\s\S]*?)<---/.exec(text);
  if (failure) {
    throw new Error(`S3 Select rejected the expression near: ${failure[1].trim()}`);
  }
  return text;
}

/** One CSV output line split into fields, without the trailing empty field Ceph 16 leaves (`a,b,`). */
export function splitSelectRow(line: string): string[] {
  const fields = line.split(",");
  if (fields.length > 1 && fields[fields.length - 1] === "") fields.pop();
  return fields;
}

/**
 * Runs S3 Select on a CSV object with a header line and calls `onRow` for each returned row.
 * Resolves the number of rows. Rows split across two Records events are joined.
 */
export async function selectCsvRows(
  client: S3Client,
  target: { bucket: string; key: string },
  expression: string,
  onRow: (fields: string[]) => void,
  opts: { abortSignal?: AbortSignal } = {},
): Promise<number> {
  const res = await client.send(
    new SelectObjectContentCommand({
      Bucket: target.bucket,
      Key: target.key,
      Expression: expression,
      ExpressionType: "SQL",
      InputSerialization: { CSV: { FileHeaderInfo: "IGNORE" } },
      OutputSerialization: { CSV: {} },
    }),
    { abortSignal: opts.abortSignal },
  );
  if (!res.Payload)
    throw new Error(`S3 Select on s3://${target.bucket}/${target.key} returned no event stream.`);
  let rows = 0;
  let carry = "";
  const decoder = new TextDecoder();
  const emit = (line: string): void => {
    if (line.trim() === "") return;
    rows++;
    onRow(splitSelectRow(line.trimEnd()));
  };
  for await (const ev of res.Payload) {
    if (!ev.Records?.Payload) continue;
    const text = carry + parseCephRecords(decoder.decode(ev.Records.Payload));
    const lines = text.split("\n");
    carry = lines.pop() ?? "";
    lines.forEach(emit);
  }
  emit(carry);
  return rows;
}
