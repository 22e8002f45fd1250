/**
 * The benchmark's CSV object: event records in the shape of the sample ingest job's input (event_id,
 * event_time, user_id, event_type, amount), generated from a seeded PRNG so every run and every leg sees the
 * same bytes. One event type, `chargeback`, is rare (1 %): filtering on it is the selective query.
 */

export const EVENT_COLUMNS = ["event_id", "event_time", "user_id", "event_type", "amount"] as const;

/** The selective filter every leg runs: event_type = 'chargeback', returning event_id and amount. */
export const SELECTIVE_FILTER = {
  whereColumn: 4,
  equals: "chargeback",
  columns: [1, 5],
} as const;

/** Event types and their share in percent (sum 100). */
const TYPES: readonly (readonly [string, number])[] = [
  ["view", 55],
  ["click", 25],
  ["purchase", 15],
  ["refund", 4],
  ["chargeback", 1],
];

/** mulberry32: tiny, fast, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface EventsCsv {
  /** The whole object, header line first, every line ending in `\n`. */
  body: Buffer;
  rows: number;
  /** What the selective filter must return: row count and the sum of `amount` in cents. */
  expected: { rows: number; amountCents: number };
}

/** Generates at least `targetBytes` of CSV (whole rows), deterministic for a given seed. */
export function generateEventsCsv(targetBytes: number, seed = 20261201): EventsCsv {
  if (!Number.isFinite(targetBytes) || targetBytes <= 0) {
    throw new Error(`CSV size must be a positive number of bytes, got ${targetBytes}.`);
  }
  const rnd = prng(seed);
  const start = Date.UTC(2026, 10, 1);
  const chunks: string[] = [`${EVENT_COLUMNS.join(",")}\n`];
  let size = chunks[0].length;
  let rows = 0;
  let matched = 0;
  let cents = 0;
  while (size < targetBytes) {
    const p = rnd() * 100;
    let acc = 0;
    let type = TYPES[TYPES.length - 1][0];
    for (const [t, share] of TYPES) {
      acc += share;
      if (p < acc) {
        type = t;
        break;
      }
    }
    const amountCents = Math.floor(rnd() * 50_000);
    const time = new Date(start + rows * 1000 + Math.floor(rnd() * 1000)).toISOString().replace(".000", "");
    const line = `ev-${String(rows).padStart(9, "0")},${time},user-${String(Math.floor(rnd() * 100_000)).padStart(5, "0")},${type},${(amountCents / 100).toFixed(2)}\n`;
    chunks.push(line);
    size += line.length;
    rows++;
    if (type === SELECTIVE_FILTER.equals) {
      matched++;
      cents += amountCents;
    }
  }
  return { body: Buffer.from(chunks.join("")), rows, expected: { rows: matched, amountCents: cents } };
}

/** `"123.45"` -> 12345 (exact: no floating point on money). */
export function amountToCents(amount: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!m) throw new Error(`amount ${JSON.stringify(amount)} is not a decimal with at most 2 places.`);
  const cents = Number(m[2]) * 100 + Number((m[3] ?? "0").padEnd(2, "0"));
  return m[1] ? -cents : cents;
}
