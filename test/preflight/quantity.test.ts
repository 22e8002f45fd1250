import { strict as assert } from "assert";
import { formatBytes, formatCpu, GiB, parseBytes, parseCpu } from "../../preflight/quantity";

describe("quantity", () => {
  const cases: [string | number, number | undefined][] = [
    ["500m", 0.5],
    ["2", 2],
    ["1.5", 1.5],
    ["250000n", 0.00025],
    ["60Gi", 60 * GiB],
    ["512Mi", 512 * 2 ** 20],
    ["1G", 1e9],
    ["1e3", 1000],
    [7, 7],
    ["", undefined],
    ["6 cores", undefined],
    ["Gi", undefined],
  ];
  for (const [q, want] of cases) {
    it(`parses ${JSON.stringify(q)}`, () => assert.equal(parseBytes(q), want));
  }
  it("cpu and bytes share the parser", () => assert.equal(parseCpu("100m"), 0.1));
  it("formats", () => {
    assert.equal(formatBytes(60 * GiB), "60Gi");
    assert.equal(formatBytes(512 * 2 ** 20), "512Mi");
    assert.equal(formatCpu(6), "6");
    assert.equal(formatCpu(0.25), "250m");
  });
});
