/**
 * When an Iceberg table needs `ALTER TABLE ... EXECUTE optimize`, decided from its `"t$files"` (pure):
 *
 * - any delete file (content 1 = position deletes, 2 = equality deletes): every read merges them into the data
 *   files it scans, and joins pay that on each probe side; measured here: a DELETE of 1/8 of lineitem made Q3
 *   ~2-3x slower until optimize rewrote the files;
 * - many small data files: each costs an S3 GET per column chunk and a split; Trino's optimize rewrites files
 *   under its `file_size_threshold` (default 100 MB), so that is the bar here too. "Many" = at least
 *   `minSmallFiles` (default 8) and at least half of the table's files: one small table of one small file
 *   (nation, region) needs nothing.
 */

export interface TableFiles {
  table: string;
  dataFiles: number;
  dataBytes: number;
  /** Data files under the small-file threshold. */
  smallDataFiles: number;
  deleteFiles: number;
  /** Rows the delete files remove (position deletes: one row each). */
  deletedRows: number;
}

export interface OptimizeAdvice {
  table: string;
  needed: boolean;
  /** One sentence: why, or why not. */
  reason: string;
}

export const SMALL_FILE_BYTES = 100 * 1024 * 1024;

/** Builds TableFiles from `SELECT content, file_size_in_bytes, record_count FROM "t$files"` rows. */
export function tableFiles(
  table: string,
  rows: readonly (readonly unknown[])[],
  smallBytes = SMALL_FILE_BYTES,
): TableFiles {
  const out: TableFiles = {
    table,
    dataFiles: 0,
    dataBytes: 0,
    smallDataFiles: 0,
    deleteFiles: 0,
    deletedRows: 0,
  };
  for (const [content, size, records] of rows) {
    if (Number(content) === 0) {
      out.dataFiles++;
      out.dataBytes += Number(size);
      if (Number(size) < smallBytes) out.smallDataFiles++;
    } else {
      out.deleteFiles++;
      out.deletedRows += Number(records);
    }
  }
  return out;
}

export function optimizeAdvice(f: TableFiles, opts: { minSmallFiles?: number } = {}): OptimizeAdvice {
  const minSmall = opts.minSmallFiles ?? 8;
  if (f.deleteFiles > 0) {
    return {
      table: f.table,
      needed: true,
      reason:
        `${f.deleteFiles} delete file(s) (${f.deletedRows} deleted rows) are merged into every read; ` +
        `run ALTER TABLE ${f.table} EXECUTE optimize to rewrite the data without them.`,
    };
  }
  if (f.smallDataFiles >= minSmall && f.smallDataFiles * 2 >= f.dataFiles) {
    return {
      table: f.table,
      needed: true,
      reason:
        `${f.smallDataFiles} of ${f.dataFiles} data files are under ${SMALL_FILE_BYTES / 1024 / 1024} MB; ` +
        `run ALTER TABLE ${f.table} EXECUTE optimize to compact them.`,
    };
  }
  return {
    table: f.table,
    needed: false,
    reason: `${f.dataFiles} data file(s), no delete files: nothing to compact.`,
  };
}
