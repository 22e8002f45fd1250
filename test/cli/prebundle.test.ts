/**
 * cli/register.cjs loads @kubernetes/client-node from one esbuild bundle built ahead of its first use (the CLIs'
 * start-up target, docs/performance.md): the bundle is built once per package version, reused after, keyed so an
 * upgrade cannot meet a stale one, and the bundled client works (the live preflight through it: the CLI tests
 * against the API stand-in and test/e2e against a real kube-apiserver run the CLIs this way). Never timed here.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const CLIENT_VERSION = (
  JSON.parse(
    fs.readFileSync(path.join(ROOT, "node_modules", "@kubernetes", "client-node", "package.json"), "utf8"),
  ) as { version: string }
).version;

// What a CLI sees: where the package resolves, and a KubeConfig from it that builds an API client.
const PROBE = `
const k8s = require("@kubernetes/client-node");
const kc = new k8s.KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: "c", server: "https://127.0.0.1:6443", skipTLSVerify: false }],
  users: [{ name: "u", token: "t" }],
  contexts: [{ name: "x", cluster: "c", user: "u" }],
  currentContext: "x",
});
const api = kc.makeApiClient(k8s.CoreV1Api);
console.log(JSON.stringify({
  resolved: require.resolve("@kubernetes/client-node"),
  server: kc.getCurrentCluster().server,
  listNode: typeof api.listNode,
  apiException: new k8s.ApiException(403, "m", "b", {}).code,
}));
`;

describe("cli/register.cjs: @kubernetes/client-node from a bundle built ahead", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "prebundle-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(env: NodeJS.ProcessEnv): {
    resolved: string;
    server: string;
    listNode: string;
    apiException: number;
  } {
    const r = spawnSync(process.execPath, ["-r", "./cli/register.cjs", "-e", PROBE], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, LAKEHOUSE_BUNDLE_DIR: dir, ...env },
      timeout: 100_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as ReturnType<typeof run>;
  }

  it("builds the bundle on first use, named by the package version, and the bundled client works", () => {
    const first = run({});
    assert.equal(path.dirname(first.resolved), dir);
    assert.match(
      path.basename(first.resolved),
      new RegExp(`^_kubernetes_client-node-${CLIENT_VERSION}-[0-9a-f]{40}\\.cjs$`),
    );
    assert.deepEqual(
      fs.readdirSync(dir),
      [path.basename(first.resolved)],
      "one bundle, no temporary file left",
    );
    assert.equal(first.server, "https://127.0.0.1:6443");
    assert.equal(first.listNode, "function");
    assert.equal(first.apiException, 403);
  });

  it("reuses the bundle on the next start instead of building it again", () => {
    const [file] = fs.readdirSync(dir);
    const before = fs.statSync(path.join(dir, file)).mtimeMs;
    const again = run({});
    assert.equal(again.resolved, path.join(dir, file));
    assert.equal(fs.statSync(path.join(dir, file)).mtimeMs, before);
  });

  it("LAKEHOUSE_NO_PREBUNDLE=1 loads the package as it ships, with the same behaviour", () => {
    const plain = run({ LAKEHOUSE_NO_PREBUNDLE: "1" });
    assert.equal(
      plain.resolved,
      path.join(ROOT, "node_modules", "@kubernetes", "client-node", "dist", "index.js"),
    );
    assert.equal(plain.listNode, "function");
    assert.equal(plain.apiException, 403);
  });

  it("falls back to the package as it ships when no bundle can be written", () => {
    const blocked = path.join(dir, "not-a-folder");
    fs.writeFileSync(blocked, "a file where the bundle folder should be");
    const r = run({ LAKEHOUSE_BUNDLE_DIR: path.join(blocked, "bundles") });
    assert.equal(
      r.resolved,
      path.join(ROOT, "node_modules", "@kubernetes", "client-node", "dist", "index.js"),
    );
    assert.equal(r.apiException, 403);
  });
});
