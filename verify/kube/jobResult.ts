/**
 * The sample job's result line (the sample job contract: the last stdout line is one JSON object with rows_read,
 * rows_merged, table_rows, snapshot_id, aggregate_rows). Shared by every IngestDriver that reads it from a
 * driver log or a process. Pure.
 *
 * An Iceberg snapshot id is a random 64-bit integer: `JSON.parse` would round it to the nearest double (e.g.
 * 5283104583810442139 -> 5283104583810442000), and a time-travel read `FOR VERSION AS OF` that number then
 * names a snapshot that does not exist. Integers beyond 2^53 are therefore kept exact, as decimal strings.
 */

/** Integers too long to be exact in a JS number (more than 15 digits), as JSON values (not inside strings). */
const LONG_INT = /("(?:[^"\\]|\\.)*")|(?<![\d.])(-?\d{16,})(?![.\deE])/g;

/** Parses one JSON object line; integers beyond 2^53 become decimal strings. Undefined unless an object. */
export function parseJobLine(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  const exact = text.replace(LONG_INT, (m: string, str: string | undefined, int: string | undefined) => {
    if (str !== undefined || int === undefined) return m;
    return Number.isSafeInteger(Number(int)) ? int : `"${int}"`;
  });
  try {
    const v: unknown = JSON.parse(exact);
    return v !== null && typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The last line of `log` that parses as a JSON object with the field `key` (integers beyond 2^53 kept exact),
 * or null. For logs that hold other lines after the result (the JVM's shutdown, a pod's last words), so it is
 * searched from the end: the helper scripts' `{"event": ...}` lines, the sample job's `{"rows_read": ...}` line.
 */
export function lastJsonLineWith(log: string, key: string): Record<string, unknown> | null {
  for (const line of log.split("\n").reverse()) {
    const v = parseJobLine(line);
    if (v && key in v) return v;
  }
  return null;
}

/** The job's result: the last line of `stdout` that parses as a JSON object (C3), or undefined. */
export function lastJobResult(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.trim().split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].trim()) continue;
    return parseJobLine(lines[i]);
  }
  return undefined;
}
