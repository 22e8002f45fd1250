/**
 * Kubernetes resource quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/)
 * as plain numbers: CPU in cores, memory and storage in bytes. Pure functions.
 */

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

/** Parses any Kubernetes quantity to a plain number, or returns undefined when it is not one. */
function parseQuantity(q: string | number | undefined | null): number | undefined {
  if (q === undefined || q === null) return undefined;
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  const suffix = m[2] ?? "";
  const mult = BINARY[suffix] ?? DECIMAL[suffix];
  return mult === undefined ? undefined : n * mult;
}

/** CPU quantity ("500m", "2", "1.5", "250000n") in cores. */
export function parseCpu(q: string | number | undefined | null): number | undefined {
  return parseQuantity(q);
}

/** Memory or storage quantity ("60Gi", "512Mi", "1G", "1048576") in bytes. */
export function parseBytes(q: string | number | undefined | null): number | undefined {
  return parseQuantity(q);
}

export const GiB = 2 ** 30;

/** 64424509440 -> "60Gi"; 1.5 GiB -> "1.5Gi"; small values in Mi. */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) >= GiB) return `${round(bytes / GiB)}Gi`;
  return `${round(bytes / 2 ** 20)}Mi`;
}

/** 6 -> "6", 0.25 -> "250m". */
export function formatCpu(cores: number): string {
  if (Math.abs(cores) >= 1 || cores === 0) return `${round(cores)}`;
  return `${Math.round(cores * 1000)}m`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Decimal units, as S3 tools and Trino's docs quote transfer sizes: 504e6 -> "504 MB", 1.5e9 -> "1.5 GB". */
export function formatSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}

/** Bytes over milliseconds as a rate, e.g. "50.4 MB/s"; "n/a" for no time. */
export function formatRate(bytes: number, ms: number): string {
  return ms > 0 ? `${formatSize((bytes * 1000) / ms)}/s` : "n/a";
}
