import { strict as assert } from "node:assert";
import { lastJobResult, lastJsonLineWith, parseJobLine } from "../../verify/kube/jobResult";

describe("verify/kube/jobResult: the sample job's JSON line (C3)", () => {
  it("keeps a 64-bit snapshot id exact (as a decimal string) where JSON.parse would round it", () => {
    const line =
      '{"rows_read": 500, "rows_merged": 500, "table_rows": 500, "snapshot_id": 5283104583810442139, "aggregate_rows": 12}';
    assert.equal(String(JSON.parse(line).snapshot_id), "5283104583810442000", "what plain JSON.parse does");
    assert.deepEqual(parseJobLine(line), {
      rows_read: 500,
      rows_merged: 500,
      table_rows: 500,
      snapshot_id: "5283104583810442139",
      aggregate_rows: 12,
    });
  });

  it("leaves safe integers, fractions, negatives and digits inside strings alone", () => {
    assert.deepEqual(
      parseJobLine(
        '{"a": 9007199254740991, "b": -9223372036854775807, "c": 1234567890123456.5, "d": 1.12345678901234567, "e": "id 12345678901234567890", "f": null}',
      ),
      {
        a: 9007199254740991,
        b: "-9223372036854775807",
        c: 1234567890123456.5,
        d: Number("1.12345678901234567"),
        e: "id 12345678901234567890",
        f: null,
      },
    );
    assert.deepEqual(parseJobLine('{"s": "quote \\" 12345678901234567890", "n": 12345678901234567890}'), {
      s: 'quote " 12345678901234567890',
      n: "12345678901234567890",
    });
  });

  it("answers undefined for anything but one JSON object", () => {
    for (const l of ["", "lakehouse_ingest: failed: x", "[1, 2]", "{broken", "null"]) {
      assert.equal(parseJobLine(l), undefined, l);
    }
  });

  it("takes the last non-empty stdout line, and only that one", () => {
    assert.deepEqual(lastJobResult('log line\n{"rows_read": 1}\n\n'), { rows_read: 1 });
    assert.equal(lastJobResult('{"rows_read": 1}\nsomething after'), undefined);
    assert.equal(lastJobResult(""), undefined);
  });

  it("in a log, finds the last JSON object line with the field, skipping lines after it and objects without it", () => {
    const log = [
      '{"event": "start"}',
      '{"event": "done", "snapshot": 5432109876543210987}',
      '{"other": 1}',
      "JVM shutting down",
      "",
    ].join("\n");
    assert.deepEqual(lastJsonLineWith(log, "event"), { event: "done", snapshot: "5432109876543210987" });
    assert.equal(lastJsonLineWith(log, "rows_read"), null);
    assert.equal(lastJsonLineWith("", "event"), null);
  });
});
