/** plan/mask.ts: what `plan --output json` prints of each resource's inputs, with nothing secret in it. */
import * as assert from "assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { isCredentialKey, maskInputs, maskText, SECRET, UNKNOWN } from "../../plan/mask";

const secret = (value: unknown) => ({
  [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
  value,
});

describe("plan: masking resource inputs", () => {
  it("a Pulumi secret leaf is masked where it is; its siblings stay readable", () => {
    const out = maskInputs({
      spec: { url: "jdbc:postgresql://db:5432/metastore", pass: secret("hunter2-leaf"), port: 5432 },
    });
    assert.deepEqual(out, {
      spec: { url: "jdbc:postgresql://db:5432/metastore", pass: SECRET, port: 5432 },
    });
  });

  it("a secret object keeps its keys and a secret array its length, every value masked", () => {
    const out = maskInputs({
      stringData: secret({ username: "hive", password: "p@ss" }),
      list: secret([1, "a"]),
    });
    assert.deepEqual(out, { stringData: { username: SECRET, password: SECRET }, list: [SECRET, SECRET] });
  });

  it("a Kubernetes Secret's data and stringData are masked even when not marked secret", () => {
    const out = maskInputs({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s3" },
      data: { AWS_ACCESS_KEY_ID: "QUtJQQ==" },
      stringData: { endpoint: "http://rgw" },
    });
    assert.deepEqual(out.data, { AWS_ACCESS_KEY_ID: SECRET });
    assert.deepEqual(out.stringData, { endpoint: SECRET });
    assert.deepEqual(out.metadata, { name: "s3" });
  });

  it("values under credential keys are masked, references to secrets are kept", () => {
    const out = maskInputs({
      values: {
        auth: {
          password: "plain",
          existingSecret: "db-creds",
          passwordSecretKeyRef: { name: "x", key: "pw" },
        },
        "spark.hadoop.fs.s3a.secret.key": "AKIA-SECRET",
        "spark.hadoop.fs.s3a.access.key": "AKIA-ACCESS",
        "spark.hadoop.fs.s3a.endpoint": "http://rgw",
        "s3.aws-secret-key": "${ENV:AWS_SECRET_ACCESS_KEY}",
        token: 12345,
        automountServiceAccountToken: false,
        emptyPassword: "",
      },
    });
    assert.deepEqual(out.values, {
      auth: { password: SECRET, existingSecret: "db-creds", passwordSecretKeyRef: { name: "x", key: "pw" } },
      "spark.hadoop.fs.s3a.secret.key": SECRET,
      "spark.hadoop.fs.s3a.access.key": SECRET,
      "spark.hadoop.fs.s3a.endpoint": "http://rgw",
      "s3.aws-secret-key": "${ENV:AWS_SECRET_ACCESS_KEY}",
      token: SECRET,
      automountServiceAccountToken: false,
      emptyPassword: "",
    });
  });

  it("a { name, value } pair whose name is a credential masks the value (env, Helm set)", () => {
    const out = maskInputs({
      env: [
        { name: "AWS_SECRET_ACCESS_KEY", value: "literal-key" },
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
        { name: "PGPASSWORD", value: "$(DB_PASSWORD)" },
        { name: "S3_ENDPOINT", value: "http://rgw" },
      ],
    });
    assert.deepEqual(out.env, [
      { name: "AWS_SECRET_ACCESS_KEY", value: SECRET },
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } },
      { name: "PGPASSWORD", value: "$(DB_PASSWORD)" },
      { name: "S3_ENDPOINT", value: "http://rgw" },
    ]);
  });

  it("credentials in text blobs: properties, YAML and Hadoop XML lines; the rest of the text is kept", () => {
    const props =
      "connector.name=iceberg\ns3.aws-secret-key=abc123\ns3.aws-access-key = AKIA\ns3.endpoint=http://rgw\n";
    assert.equal(
      maskText(props),
      `connector.name=iceberg\ns3.aws-secret-key=${SECRET}\ns3.aws-access-key = ${SECRET}\ns3.endpoint=http://rgw\n`,
    );
    const yaml = "auth:\n  password: s3cr3t\n  username: hive\n  token: ${TOKEN}\n  key: |\n";
    assert.equal(
      maskText(yaml),
      `auth:\n  password: ${SECRET}\n  username: hive\n  token: \${TOKEN}\n  key: |\n`,
    );
    const xml =
      "<configuration>\n  <property>\n    <name>fs.s3a.secret.key</name>\n    <value>xyz</value>\n  </property>\n" +
      "  <property>\n    <name>fs.s3a.endpoint</name>\n    <value>http://rgw</value>\n  </property>\n</configuration>\n";
    const masked = maskText(xml);
    assert.match(
      masked,
      new RegExp(`<name>fs\\.s3a\\.secret\\.key</name>\\n\\s*<value>\\${SECRET.slice(0, -1)}\\]</value>`),
    );
    assert.match(masked, /<value>http:\/\/rgw<\/value>/);
    assert.ok(!masked.includes("xyz"));
    assert.equal(maskText("--db-password=hunter2"), `--db-password=${SECRET}`);
    assert.equal(
      maskText("-Xmx1g -Djavax.jdo.option.ConnectionPassword=hunter2 -Dfoo=bar"),
      `-Xmx1g -Djavax.jdo.option.ConnectionPassword=${SECRET} -Dfoo=bar`,
    );
  });

  it("text is masked where the policy pack sees a secret: args, JVM options in env, secret shapes", () => {
    const out = maskInputs({
      containers: [
        {
          args: ["--db-password=hunter2", "--port=9083"],
          env: [{ name: "SERVICE_OPTS", value: "-Xmx1g -Djavax.jdo.option.ConnectionPassword=hunter2" }],
        },
      ],
      data: { "notes.txt": "key id AKIAABCDEFGHIJKLMNOP for the backup\n", "run.sh": "echo hi\n" },
    });
    assert.deepEqual(out, {
      containers: [
        {
          args: [`--db-password=${SECRET}`, "--port=9083"],
          env: [{ name: "SERVICE_OPTS", value: `-Xmx1g -Djavax.jdo.option.ConnectionPassword=${SECRET}` }],
        },
      ],
      // An access key id inside prose cannot be cut out by line rules: the whole text is masked.
      data: { "notes.txt": SECRET, "run.sh": "echo hi\n" },
    });
    assert.ok(!JSON.stringify(out).includes("hunter2"));
  });

  it("unknowns read [unknown]; the serialised provider is left out", () => {
    const out = maskInputs({ __provider: "exports.handler = ...", id: pulumi.runtime.unknownValue, n: 1 });
    assert.deepEqual(out, { id: UNKNOWN, n: 1 });
  });

  it("credential key names: what counts and what only names a secret", () => {
    for (const k of [
      "password",
      "PGPASSWORD",
      "connectionPassword",
      "secretAccessKey",
      "AWS_ACCESS_KEY_ID",
      "apiKey",
      "fs.s3a.secret.key",
      "token",
      "credentials",
    ])
      assert.ok(isCredentialKey(k), k);
    for (const k of [
      "secretKeyRef",
      "secretName",
      "existingSecret",
      "passwordSecretName",
      "tokenFile",
      "key",
      "name",
      "endpoint",
      "username",
    ])
      assert.ok(!isCredentialKey(k), k);
  });
});
