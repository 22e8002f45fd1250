/**
 * The landing file `verify.end-to-end` drops (the sample job contract's input records) and the aggregate it expects the
 * sample job to produce, computed here from the same records. Deterministic for a run id. Pure.
 */
import { createHash } from "crypto";

const EVENT_TYPES = ["view", "click", "purchase", "refund"] as const;

interface GeneratedEvents {
  /** CSV with header: event_id,event_time,user_id,event_type,amount. */
  csv: string;
  rows: number;
  /** [event_date, event_type, events, amount_total] sorted by date then type (amount_total with 2 decimals). */
  expected: [string, string, number, string][];
}

/** A small deterministic PRNG (mulberry32) seeded from the run id, so a failing run can be replayed. */
function prng(seed: string): () => number {
  let a = createHash("sha256").update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cents = (c: number): string =>
  `${c < 0 ? "-" : ""}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, "0")}`;

/** `rows` events over 3 UTC days ending the day before `now`, ids prefixed with the run id. */
export function generateEvents(runId: string, rows: number, now: Date): GeneratedEvents {
  const rnd = prng(runId);
  const day0 = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 3 * 86_400_000;
  const lines = ["event_id,event_time,user_id,event_type,amount"];
  const agg = new Map<string, { events: number; cents: number }>();
  for (let i = 0; i < rows; i++) {
    const t = new Date(day0 + Math.floor(rnd() * 3 * 86_400_000));
    const type = EVENT_TYPES[Math.floor(rnd() * EVENT_TYPES.length)];
    const amount = type === "view" ? 0 : Math.floor(rnd() * 50_000) - (type === "refund" ? 50_000 : 0);
    const iso = `${t.toISOString().slice(0, 19)}Z`;
    lines.push(`${runId}-${i},${iso},user-${Math.floor(rnd() * 50)},${type},${cents(amount)}`);
    const key = `${iso.slice(0, 10)}|${type}`;
    const a = agg.get(key) ?? { events: 0, cents: 0 };
    a.events++;
    a.cents += amount;
    agg.set(key, a);
  }
  const expected = [...agg.entries()]
    .map(([k, v]): [string, string, number, string] => {
      const [date, type] = k.split("|");
      return [date, type, v.events, cents(v.cents)];
    })
    .sort((x, y) => (x[0] + x[1] < y[0] + y[1] ? -1 : 1));
  return { csv: `${lines.join("\n")}\n`, rows, expected };
}
