import { strict as assert } from "node:assert";
import { isSecretName, secretInKeyValue, secretInText } from "../../policy-pack/lib/secrets";
import { runPolicy, validPlan, withChange } from "./fixtures";

const ID = "no-plaintext-secrets";
const one = (plan: ReturnType<typeof validPlan>, config?: Record<string, unknown>) => {
  const vs = runPolicy(ID, plan, config);
  assert.equal(vs.length, 1, JSON.stringify(vs, null, 2));
  assert.equal(vs[0].enforcement, "mandatory");
  return vs[0].message;
};
const FAKE_KEY_ID = "AKIA" + "ABCDEFGHIJKLMNOP";

describe("policy no-plaintext-secrets", () => {
  it("recognises credential key names and not references to them", () => {
    for (const k of [
      "password",
      "POSTGRES_PASSWORD",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_ACCESS_KEY_ID",
      "fs.s3a.secret.key",
      "s3.aws-secret-key",
      "javax.jdo.option.ConnectionPassword",
      "apiKey",
      "token",
      "internal-communication.shared-secret",
    ]) {
      assert.ok(isSecretName(k), k);
    }
    for (const k of [
      "secretName",
      "existingSecret",
      "passwordSecretRef",
      "tokenFile",
      "DB_PASSWORD_FILE",
      "tokenTTL",
      "bypass",
      "keyName",
    ]) {
      assert.ok(!isSecretName(k), k);
    }
  });

  it("judges values: literals are secrets, placeholders are not; shapes are found in any text", () => {
    assert.match(secretInKeyValue("password", "hunter2") ?? "", /'password' has a literal value/);
    assert.equal(secretInKeyValue("password", "${ENV:DB_PASSWORD}"), undefined);
    assert.equal(secretInKeyValue("password", ""), undefined);
    assert.equal(secretInKeyValue("endpoint", "http://rgw"), undefined);
    assert.match(secretInText(`x\naccess=${FAKE_KEY_ID}\n`) ?? "", /AWS access key id/);
    assert.match(secretInText("-----BEGIN RSA PRIVATE KEY-----\nMII...") ?? "", /PEM private key/);
    assert.match(
      secretInText("<property><name>fs.s3a.secret.key</name><value>abc</value></property>") ?? "",
      /fs.s3a.secret.key/,
    );
  });

  it("passes the valid plan (secretKeyRef env, placeholders, a Secret resource)", () => {
    assert.deepEqual(runPolicy(ID, validPlan()), []);
  });

  it("env value under a password name", () => {
    const plan = withChange("metastore-server", (p) => {
      p.spec.template.spec.containers[0].env[2] = { name: "DB_PASSWORD", value: "hunter2" };
    });
    const m = one(plan);
    assert.equal(
      m,
      "Deployment 'hive-metastore' must not hold a plaintext secret in container 'metastore' env 'DB_PASSWORD': 'DB_PASSWORD' has a literal value; move it to a Secret.",
    );
    assert.ok(!m.includes("hunter2"), "the message must not print the secret");
  });

  it("env value shaped like an AWS access key under an innocent name", () => {
    const plan = withChange("metastore-server", (p) => {
      p.spec.template.spec.containers[0].env.push({ name: "S3_USER", value: FAKE_KEY_ID });
    });
    assert.match(one(plan), /env 'S3_USER': it contains an AWS access key id/);
  });

  it("allowKeys exempts a named key", () => {
    const plan = withChange("metastore-server", (p) => {
      p.spec.template.spec.containers[0].env.push({ name: "TOKEN", value: "public-demo" });
    });
    assert.equal(runPolicy(ID, plan).length, 1);
    assert.deepEqual(runPolicy(ID, plan, { allowKeys: ["TOKEN"] }), []);
  });

  it("JVM -D options in an env value: a literal password is found, a $(VAR) reference is not", () => {
    const opts = (pw: string) =>
      `-Xmx768m -Djavax.jdo.option.ConnectionUserName=$(DB_USER) -Djavax.jdo.option.ConnectionPassword=${pw} -javaagent:/x.jar`;
    const plan = withChange("metastore-server", (p) => {
      p.spec.template.spec.containers[0].env.push({ name: "SERVICE_OPTS", value: opts("$(DB_PASSWORD)") });
    });
    assert.deepEqual(runPolicy(ID, plan), []);
    const bad = withChange("metastore-server", (p) => {
      p.spec.template.spec.containers[0].env.push({ name: "SERVICE_OPTS", value: opts("hunter2") });
    });
    assert.match(
      one(bad),
      /env 'SERVICE_OPTS': JVM property 'javax.jdo.option.ConnectionPassword' has a literal value/,
    );
  });

  it("a literal password in container args; a $(VAR) reference is fine", () => {
    const ok = withChange("metastore-server", (p) => {
      p.spec.template.spec.containers[0].args = ["--db-password=$(DB_PASSWORD)", "--verbose"];
    });
    assert.deepEqual(runPolicy(ID, ok), []);
    const bad = withChange("metastore-server", (p) => {
      p.spec.template.spec.containers[0].args = ["--verbose", "--db-password=hunter2"];
    });
    assert.match(one(bad), /in container 'metastore' args\[1\]: 'db-password' has a literal value/);
  });

  it("ConfigMap data key holding a secret", () => {
    const plan = withChange("metastore-site", (p) => (p.data.AWS_SECRET_ACCESS_KEY = "s3cr3t"));
    assert.equal(
      one(plan),
      "ConfigMap 'hive-metastore-site' must not hold a plaintext secret in data 'AWS_SECRET_ACCESS_KEY': 'AWS_SECRET_ACCESS_KEY' has a literal value; move it to a Secret.",
    );
  });

  it("ConfigMap Hadoop XML property with a literal password", () => {
    const plan = withChange("metastore-site", (p) => {
      p.data["metastore-site.xml"] = p.data["metastore-site.xml"].replace("${env.DB_PASSWORD}", "hunter2");
    });
    assert.match(
      one(plan),
      /data 'metastore-site.xml': property 'javax.jdo.option.ConnectionPassword' has a literal value/,
    );
  });

  it("Helm values catalog properties with a literal S3 secret key", () => {
    const plan = withChange("trino-release", (p) => {
      p.values.catalogs.lakehouse = p.values.catalogs.lakehouse.replace(
        "${ENV:AWS_SECRET_ACCESS_KEY}",
        "abc123",
      );
    });
    assert.match(
      one(plan),
      /^Release 'trino-release' must not hold a plaintext secret in values 'catalogs.lakehouse': 's3.aws-secret-key' has a literal value/,
    );
  });

  it("Helm values key named password", () => {
    const plan = withChange(
      "trino-release",
      (p) => (p.values.auth = { passwordAuth: "admin:$2y$10$hash", password: "admin" }),
    );
    assert.match(one(plan), /values 'auth.password': 'password' has a literal value/);
  });

  it("Helm values env list entry", () => {
    const plan = withChange(
      "trino-release",
      (p) => (p.values.env = [{ name: "S3_SECRET_KEY", value: "abc" }]),
    );
    assert.match(one(plan), /values 'env\[0\]' \(env 'S3_SECRET_KEY'\)/);
  });

  it("SparkApplication sparkConf with a literal S3A secret", () => {
    const plan = withChange(
      "spark-smoke",
      (p) => (p.spec.sparkConf["spark.hadoop.fs.s3a.secret.key"] = "abc"),
    );
    assert.match(
      one(plan),
      /^SparkApplication 'iceberg-smoke' must not hold a plaintext secret in sparkConf 'spark.hadoop.fs.s3a.secret.key'/,
    );
  });

  it("a Secret resource may hold secrets", () => {
    const plan = withChange("metastore-db", (p) => (p.stringData.AWS_SECRET_ACCESS_KEY = FAKE_KEY_ID));
    assert.deepEqual(runPolicy(ID, plan), []);
  });
});
