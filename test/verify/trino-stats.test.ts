/**
 * The statistics the analytics verification keeps from a finished query's last client-protocol page. The
 * sample is the `stats` object Trino 476 returned for TPC-H Q3 on Iceberg (scale 1, one node), verbatim.
 */
import { strict as assert } from "node:assert";
import { queryStats } from "../../verify/http/trino";

const TRINO_476_Q3_STATS = {
  state: "FINISHED",
  queued: false,
  scheduled: true,
  progressPercentage: 100,
  runningPercentage: 0,
  nodes: 1,
  totalSplits: 23,
  queuedSplits: 0,
  runningSplits: 0,
  completedSplits: 23,
  planningTimeMillis: 3383,
  analysisTimeMillis: 1501,
  cpuTimeMillis: 3579,
  wallTimeMillis: 30422,
  queuedTimeMillis: 17,
  elapsedTimeMillis: 18958,
  finishingTimeMillis: 5,
  physicalInputTimeMillis: 1697,
  processedRows: 7828483,
  processedBytes: 48091203,
  physicalInputBytes: 45052059,
  physicalWrittenBytes: 0,
  internalNetworkInputBytes: 3365338,
  peakMemoryBytes: 81325424,
  spilledBytes: 0,
};

describe("verify/http/trino: queryStats", () => {
  it("keeps elapsed, nodes, rows and the scanned, storage and exchanged bytes of Trino 476's final stats", () => {
    assert.deepEqual(queryStats(TRINO_476_Q3_STATS), {
      elapsedMs: 18958,
      cpuMs: 3579,
      nodes: 1,
      processedRows: 7828483,
      processedBytes: 48091203,
      physicalInputBytes: 45052059,
      physicalInputMs: 1697,
      internalNetworkInputBytes: 3365338,
      peakMemoryBytes: 81325424,
    });
  });

  it("leaves out what an older Trino does not report, or reports as something other than a number", () => {
    assert.deepEqual(queryStats({ state: "FINISHED", elapsedTimeMillis: 10, processedBytes: "12" }), {
      elapsedMs: 10,
    });
    assert.equal(queryStats({ state: "FINISHED" }), undefined);
    assert.equal(queryStats(undefined), undefined);
  });
});
