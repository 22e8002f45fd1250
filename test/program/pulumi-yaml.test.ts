/**
 * The project file declares exactly the schema's keys with the schema's defaults, and the anton stack file parses
 * with the same loader the CLIs use (every key it sets is known, every schema key is set, no secret in plain text).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackFile, parseConfig, parseYamlText } from "../../preflight/config/load";
import { CONFIG_KEYS, configSchema } from "../../preflight/config/schema";

const ROOT = path.resolve(__dirname, "../..");

interface Declaration {
  type?: string;
  items?: { type: string };
  description?: string;
  default?: unknown;
  value?: unknown;
  secret?: boolean;
}

function projectFile(): {
  name: string;
  runtime: unknown;
  main: string;
  config: Record<string, Declaration>;
} {
  const file = path.join(ROOT, "Pulumi.yaml");
  return parseYamlText(fs.readFileSync(file, "utf8"), file) as ReturnType<typeof projectFile>;
}

describe("Pulumi.yaml", () => {
  it("is the nodejs/TypeScript project `lakehouse` with index.ts as main", () => {
    const p = projectFile();
    assert.strictEqual(p.name, "lakehouse");
    assert.deepStrictEqual(p.runtime, { name: "nodejs", options: { typescript: true } });
    assert.strictEqual(p.main, "index.ts");
  });

  it("declares every lakehouse: key of the schema, and nothing else", () => {
    const declared = Object.keys(projectFile().config);
    for (const k of declared) assert.ok(k.startsWith("lakehouse:"), `${k} is not in the lakehouse namespace`);
    assert.deepStrictEqual(declared.map((k) => k.slice("lakehouse:".length)).sort(), [...CONFIG_KEYS].sort());
  });

  it("declares a description and a default for each key (a key without either would be required)", () => {
    for (const [k, d] of Object.entries(projectFile().config)) {
      assert.ok(d.description && d.description.length > 10, `${k} has no description`);
      assert.ok("default" in d, `${k} has no default`);
      assert.ok(!("value" in d), `${k} must not pin a value for every stack`);
    }
  });

  it("uses only the types Pulumi project config supports, with items for arrays", () => {
    for (const [k, d] of Object.entries(projectFile().config)) {
      if (d.type === undefined) {
        // Untyped keys are the structured ones: Pulumi has no `object` type.
        assert.strictEqual(typeof d.default, "object", `${k}: an untyped declaration is for object values`);
        assert.ok(!Array.isArray(d.default), `${k}: arrays must be declared with type: array`);
        continue;
      }
      assert.ok(["string", "integer", "boolean", "array"].includes(d.type), `${k}: type ${d.type}`);
      if (d.type === "array") assert.ok(d.items?.type, `${k}: an array needs items`);
    }
  });

  it("declares defaults equal to the schema's defaults", () => {
    const raw: Record<string, unknown> = {};
    for (const [k, d] of Object.entries(projectFile().config)) raw[k.slice("lakehouse:".length)] = d.default;
    assert.deepStrictEqual(parseConfig(raw, "Pulumi.yaml defaults"), configSchema.parse({}));
    // and each declared default is the full object, not a partial one the schema silently completes
    for (const [k, d] of Object.entries(projectFile().config)) {
      const key = k.slice("lakehouse:".length) as keyof typeof raw;
      assert.deepStrictEqual(
        JSON.parse(JSON.stringify(d.default)),
        JSON.parse(JSON.stringify((configSchema.parse({}) as Record<string, unknown>)[key])),
        `${k}`,
      );
    }
  });
});

describe("Pulumi.anton.yaml", () => {
  const text = fs.readFileSync(path.join(ROOT, "Pulumi.anton.yaml"), "utf8");

  it("parses with loadStackFile and holds the Anton homelab's names", () => {
    const { config, encryptedKeys } = loadStackFile("anton", ROOT);
    assert.deepStrictEqual(encryptedKeys, []);
    assert.strictEqual(config.cluster.cephNamespace, "storage");
    assert.strictEqual(config.cluster.objectStore, "storage");
    assert.strictEqual(config.cluster.rgwService, "rook-ceph-rgw-storage");
    assert.strictEqual(config.cluster.airflowNamespace, "airflow");
    assert.strictEqual(config.cluster.monitoringNamespace, "monitoring");
    assert.strictEqual(config.cluster.fluxNamespace, "flux-system");
    assert.strictEqual(config.platform.namespace, "lakehouse");
    assert.ok(
      Object.values(config.triggers).some((v) => v),
      "the operator declared at least one trigger",
    );
    assert.ok(config.knowledge.teamSql && config.knowledge.teamKubernetes && config.knowledge.backupStrategy);
  });

  it("sets every schema key (the stack file is the whole picture) and only schema keys", () => {
    const doc = parseYamlText(text, "Pulumi.anton.yaml") as { config: Record<string, unknown> };
    const keys = Object.keys(doc.config)
      .filter((k) => k.startsWith("lakehouse:"))
      .map((k) => k.slice("lakehouse:".length));
    assert.deepStrictEqual(keys.sort(), [...CONFIG_KEYS].sort());
  });

  it("holds no secret in plain text", () => {
    const { config } = loadStackFile("anton", ROOT);
    assert.strictEqual(config.s3.accessKeyId, "");
    assert.strictEqual(config.s3.secretAccessKey, "");
    assert.doesNotMatch(text, /accessKeyId:\s*\S|secretAccessKey:\s*\S|password:\s*\S/i);
  });

  it("an encrypted (secure) value is recognised as a secret, not read as plain text", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lakehouse-stack-"));
    try {
      const withSecret = text.replace(
        "    credentialsSecret:",
        "    secretAccessKey:\n      secure: v1:AAAABBBBCCCC\n    credentialsSecret:",
      );
      fs.writeFileSync(path.join(dir, "Pulumi.anton.yaml"), withSecret);
      const loaded = loadStackFile("anton", dir);
      assert.deepStrictEqual(loaded.encryptedKeys, ["lakehouse:s3.secretAccessKey"]);
      assert.strictEqual(loaded.config.s3.secretAccessKey, "");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("docs/configuration.md", () => {
  it("documents every key and every field of the schema", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs/configuration.md"), "utf8");
    const defaults = configSchema.parse({}) as Record<string, unknown>;
    const missing: string[] = [];
    for (const key of CONFIG_KEYS) {
      if (!doc.includes(`lakehouse:${key}`)) missing.push(`lakehouse:${key}`);
      const v = defaults[key];
      if (v && typeof v === "object" && !Array.isArray(v)) {
        for (const field of Object.keys(v))
          if (!doc.includes(field)) missing.push(`lakehouse:${key}.${field}`);
      }
    }
    assert.deepStrictEqual(missing, []);
  });
});
