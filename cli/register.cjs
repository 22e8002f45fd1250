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
