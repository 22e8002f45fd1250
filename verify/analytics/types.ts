/**
 * What the analytics verification observes through Trino's client protocol. observe.ts fills these (I/O);
 * the checks in verify/analytics/checks/ are pure functions of them.
 */
import type { QueryStats } from "../http/trino";

/** Nothing could be measured: Trino did not answer (or an earlier step that this one needs failed). */
export type NotObserved =
  | { state: "unreachable"; message: string }
  | { state: "error"; stage: string; message: string }
  | { state: "skipped"; reason: string };

type NodesObservation =
  | {
      state: "ok";
      version: string;
      /** Active coordinators. */
      coordinators: number;
      /** Workers (coordinator=false) in state `active`. */
      activeWorkers: number;
      /** Every node Trino knows, with its state (active, inactive, shutting_down). */
      nodes: { id: string; coordinator: boolean; state: string }[];
    }
  | NotObserved;

export type CatalogObservation =
  | {
      state: "ok";
      schemas: string[];
      /** The pipeline's table read back, or why none was read. */
      table:
        | {
            name: string;
            /** Who wrote it, e.g. "the compute phase's sample job". */
            writer: string;
            /** count(*) through Trino. */
            rows: number;
            /** What the table's current snapshot summary says (Iceberg metadata). */
            metadataRecords: number | null;
            positionDeletes: number;
            equalityDeletes: number;
            snapshotId: string | null;
          }
        | { missing: string };
    }
  | NotObserved;

export type DatasetObservation =
  | {
      state: "ok";
      schema: string;
      scale: number;
      /** Tables this run created by CTAS (empty when the dataset was reused). */
      built: string[];
      buildMs: number;
      tables: Record<string, string>;
    }
  | NotObserved;

type JoinObservation =
  | {
      state: "ok";
      query: string;
      tables: string[];
      rows: unknown[][];
      /** The same query on the tpch connector at the same scale (no storage): the known answer. */
      reference: unknown[][];
      ms: number;
    }
  | NotObserved;

export interface TimedQuery {
  name: string;
  title: string;
  runsMs: number[];
  medianMs: number;
  /** Trino's own elapsed time of the median run, when reported. */
  serverMs?: number;
  /** Trino's statistics of the median run (bytes scanned, read from storage, exchanged between stages). */
  stats?: QueryStats;
}

export type LatencyObservation =
  | { state: "ok"; schema: string; scale: number; queries: TimedQuery[] }
  | {
      state: "partial";
      schema: string;
      scale: number;
      queries: TimedQuery[];
      failed: { name: string; message: string };
    }
  | NotObserved;

export type EndToEndObservation =
  | {
      state: "ok";
      source: string;
      table: string;
      aggregateTable: string;
      rowsIn: number;
      /** The job's own JSON line (C3). */
      job: Record<string, unknown>;
      /** count(*) of the run's rows through Trino. */
      rowsOut: number;
      /** Aggregate rows through Trino, [event_date, event_type, events, amount_total] sorted. */
      aggregate: [string, string, number, string][];
      /** What the check computed from the file it generated, same shape. */
      expected: [string, string, number, string][];
      ms: number;
    }
  | NotObserved;

export interface AnalyticsObservations {
  endpoint: string;
  nodes: NodesObservation;
  catalog: CatalogObservation;
  dataset: DatasetObservation;
  join: JoinObservation;
  latency: LatencyObservation;
  endToEnd: EndToEndObservation;
}
