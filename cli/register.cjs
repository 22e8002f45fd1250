// Loads the CLIs' TypeScript without compiling it at every start (`node -r ./cli/register.cjs preflight/cli/main.ts`).
// Sucrase strips the types, as ts-node --transpile-only did (neither type-checks: `npm run typecheck` does), and
// keeps line numbers. Its output is cached by content under node_modules/.cache/lakehouse-ts, so a file that did
// not change is read, not transformed, and sucrase itself is loaded only on a cache miss. An edited file has a
// new hash: nothing is ever stale, and no build step is needed.
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const CACHE = path.join(__dirname, "..", "node_modules", ".cache", "lakehouse-ts");
const OPTIONS = { transforms: ["typescript", "imports"] };
// The transform's inputs besides the source: sucrase's version and the options.
const SALT = `${require("sucrase/package.json").version} ${JSON.stringify(OPTIONS)}`;
let transform;

Module._extensions[".ts"] = function (module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const key = crypto
    .createHash("sha256")
    .update(SALT)
    .update("\0")
    .update(filename)
    .update("\0")
    .update(source);
  const cached = path.join(CACHE, `${key.digest("hex").slice(0, 40)}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, "utf8");
  } catch {
    transform ??= require("sucrase").transform;
    code = transform(source, { ...OPTIONS, filePath: filename }).code;
    try {
      fs.mkdirSync(CACHE, { recursive: true });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code);
      fs.renameSync(tmp, cached);
    } catch {
      // A read-only checkout still runs, only without the cache.
    }
  }
  module._compile(code, filename);
};

// Packages too slow to load as they ship, each loaded from one CommonJS file that esbuild bundles ahead of its
// first use: @kubernetes/client-node 1.x is ~900 ES modules (23 MB), ~0.9 s of CPU to load on this machine's
// cores, against ~0.3 s for the bundle (docs/performance.md, CLI start-up). The bundle is cached under
// node_modules/.cache/lakehouse-bundles, keyed by the package's resolved path and version, esbuild's version and
// the options: `npm ci` or an upgrade changes the key, so a bundle is never stale. Built with the package's own
// files only (nothing fetched). Without esbuild, or if a bundle cannot be built or written, the package loads as
// it ships: slower, never wrong. LAKEHOUSE_NO_PREBUNDLE=1 turns bundles off (to compare, or to rule them out);
// LAKEHOUSE_BUNDLE_DIR puts them elsewhere (the tests use a scratch folder).
const BUNDLED = new Set(["@kubernetes/client-node"]);
const BUNDLES =
  process.env.LAKEHOUSE_BUNDLE_DIR ||
  path.join(__dirname, "..", "node_modules", ".cache", "lakehouse-bundles");
const BUNDLE_OPTIONS = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: true,
  keepNames: true,
};
const bundles = new Map();

function bundleOf(request) {
  if (bundles.has(request)) return bundles.get(request);
  // Resolving the package below comes back through the hook: while this runs, the package resolves as it ships.
  bundles.set(request, undefined);
  let file;
  try {
    const entry = require.resolve(request);
    const pkgDir = path.dirname(require.resolve(`${request}/package.json`));
    const version = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;
    const esbuildVersion = require("esbuild/package.json").version;
    const key = crypto
      .createHash("sha256")
      .update(`${request}\0${entry}\0${version}\0${esbuildVersion}\0${JSON.stringify(BUNDLE_OPTIONS)}`)
      .digest("hex")
      .slice(0, 40);
    file = path.join(BUNDLES, `${request.replace(/[^\w.-]+/g, "_")}-${version}-${key}.cjs`);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(BUNDLES, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      require("esbuild").buildSync({
        ...BUNDLE_OPTIONS,
        entryPoints: [entry],
        outfile: tmp,
        logLevel: "silent",
      });
      fs.renameSync(tmp, file);
    }
  } catch {
    file = undefined;
  }
  bundles.set(request, file);
  return file;
}

if (process.env.LAKEHOUSE_NO_PREBUNDLE !== "1") {
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (BUNDLED.has(request)) {
      const file = bundleOf(request);
      if (file) return file;
    }
    return resolveFilename.call(this, request, ...rest);
  };
}
