// Which test file runs in which tier. `npm run test:fast` (no engine started: pure code, Pulumi's mock runtime,
// the Kubernetes API stand-in, promtool and python3 scripts), `npm run test:engines` (real engines: radosgw,
// PostgreSQL, Hive Metastore, Trino, PySpark, Airflow), `npm run test:e2e` (the Pulumi engine against a real
// Kubernetes control plane). `npm test` runs every file in one mocha run. test/tiers/tiers.test.ts checks that
// no fast-tier file imports an engine harness.
const fs = require("node:fs");
const path = require("node:path");
const base = require("../../.mocharc.json");

const ROOT = path.join(__dirname, "..", "..");

/** Folders whose every test file starts real engines (or runs beside the ones that do). */
const ENGINE_DIRS = ["test/analytics/", "test/compute-engines/", "test/foundation-scripts/"];

/** Single engine test files outside those folders (besides `*.real.test.ts`, which are engine tests by name). */
const ENGINE_FILES = [
  "test/bench/analytics.test.ts",
  "test/bench/s3select.test.ts",
  "test/bench/storage.test.ts",
  "test/harness/harness.test.ts",
  "test/harness/hive-metastore.test.ts",
  "test/harness/trino.test.ts",
  "test/preflight/probes/kube-s3.test.ts",
  "test/preflight/probes/s3-bandwidth.test.ts",
  "test/preflight/probes/s3.test.ts",
];

/** "fast" | "engines" | "e2e" for a test file path relative to the repository ("test/..."). */
function tierOf(file) {
  if (file.startsWith("test/e2e/")) return "e2e";
  if (
    file.endsWith(".real.test.ts") ||
    ENGINE_DIRS.some((d) => file.startsWith(d)) ||
    ENGINE_FILES.includes(file)
  ) {
    return "engines";
  }
  return "fast";
}

/** Every `*.test.ts` file under test/ (what mocha's recursive glob finds), relative to the repository, sorted. */
function testFiles() {
  return fs
    .readdirSync(path.join(ROOT, "test"), { recursive: true })
    .map((f) => `test/${String(f).split(path.sep).join("/")}`)
    .filter((f) => f.endsWith(".test.ts"))
    .sort();
}

/** The repository's mocha settings (.mocharc.json) with one tier's files as the spec. */
function mochaConfig(tier) {
  return { ...base, spec: testFiles().filter((f) => tierOf(f) === tier) };
}

module.exports = { ENGINE_DIRS, ENGINE_FILES, tierOf, testFiles, mochaConfig };
