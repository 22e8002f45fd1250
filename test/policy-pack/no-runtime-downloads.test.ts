import { strict as assert } from "node:assert";
import { parse as parseYaml, stringify } from "yaml";
import { downloadsIn, outsideHost } from "../../policy-pack/policies/no-runtime-downloads";
import type { PlannedResource } from "../../policy-pack/types";
import { cacheAndDagResources, runPolicy, validPlan, type Props } from "./fixtures";

const ID = "no-runtime-downloads";
const NOW = new Date("2026-11-25T12:00:00Z");
const DAG_KEY = "lakehouse_ingest.spark-application.yaml";

/** The valid plan plus the staging Job and the DAG ConfigMap, with one change applied to one resource. */
function plan(name?: string, change?: (p: Props) => void): PlannedResource[] {
  const all = [...validPlan(), ...cacheAndDagResources()];
  if (name && change) {
    const r = all.find((x) => x.name === name);
    if (!r) throw new Error(`fixture has no resource '${name}'`);
    change(r.props as Props);
  }
  return all;
}
/** Edits the SparkApplication manifest inside the DAG ConfigMap. */
const spark = (edit: (app: Props) => void) =>
  plan("spark-dags", (p) => {
    const app = parseYaml(p.data[DAG_KEY]) as Props;
    edit(app);
    p.data[DAG_KEY] = stringify(app);
  });
const one = (resources: PlannedResource[], config?: Record<string, unknown>) => {
  const vs = runPolicy(ID, resources, config, NOW);
  assert.equal(vs.length, 1, JSON.stringify(vs, null, 2));
  assert.equal(vs[0].enforcement, "mandatory");
  return vs[0].message;
};
const initOf = (p: Props) => p.spec.template.spec.initContainers[0];

describe("policy no-runtime-downloads", () => {
  it("tells in-cluster hosts from outside ones", () => {
    assert.equal(outsideHost("http://rook-ceph-rgw-storage.storage.svc:80/x"), undefined);
    assert.equal(outsideHost("http://minio.data.svc.cluster.local/x"), undefined);
    assert.equal(outsideHost("http://127.0.0.1:9000/x"), undefined);
    assert.equal(outsideHost("https://repo1.maven.org/maven2/a.jar"), "repo1.maven.org");
    assert.equal(outsideHost("https://user@nexus.lan/x"), "nexus.lan");
    assert.equal(outsideHost("https://nexus.lan/x", [".lan"]), undefined);
    assert.deepEqual(downloadsIn("# see https://example.com/docs\necho ok"), []);
    assert.deepEqual(downloadsIn("pip install --no-index --find-links /wheels x"), []);
  });

  it("passes the valid plan: the pods copy from the cache, the staging Job alone reaches the source", () => {
    assert.deepEqual(runPolicy(ID, plan(), undefined, NOW), []);
  });

  it("a metastore init container that downloads from Maven Central in its command", () => {
    const p = plan("metastore-server", (x) => {
      initOf(x).command = ["sh", "-c", "curl -fsSL -o /jars/pg.jar https://repo1.maven.org/maven2/pg.jar"];
    });
    assert.equal(
      one(p),
      "Deployment 'hive-metastore' must not download from outside the cluster at pod start: init container " +
        "'fetch-jars' fetches https://repo1.maven.org/maven2/pg.jar (in its command); serve it from the " +
        "in-cluster artifact cache (stacks/platform/artifacts.ts).",
    );
  });

  it("a download hidden in the script a container runs from a mounted ConfigMap (the old fetch-jars.sh)", () => {
    const p = plan("metastore-site", (x) => {
      x.data["artifact-cache.sh"] =
        '#!/bin/sh\nMAVEN_REPO="${MAVEN_REPO:-https://repo1.maven.org/maven2}"\ncurl -o "$f" "$MAVEN_REPO/$p"\n';
    });
    assert.match(
      one(p),
      /^Deployment 'hive-metastore' must not download .*: init container 'fetch-jars' fetches https:\/\/repo1\.maven\.org\/maven2 \(in the script hive-metastore-site\/artifact-cache\.sh it runs\)/,
    );
  });

  it("pip install without --no-index in a CronJob", () => {
    const p = plan("metastore-backup", (x) => {
      x.spec.jobTemplate.spec.template.spec.containers[0].command = [
        "sh",
        "-c",
        "pip install --target /tmp/py awscli && /tmp/py/bin/aws s3 cp ...",
      ];
    });
    assert.equal(
      one(p),
      "CronJob 'metastore-backup' must not download from outside the cluster at pod start: container 'backup' " +
        "runs `pip install` without --no-index (packages from PyPI) (in its command); serve it from the " +
        "in-cluster artifact cache (stacks/platform/artifacts.ts).",
    );
  });

  it("a Python script's docstrings are prose; a pip it runs through subprocess is still a download", () => {
    const script = [
      "#!/usr/bin/env python3",
      '"""Table maintenance. Standard library only: no pip install, nothing downloaded.',
      "",
      "See https://trino.io/docs/current/connector/iceberg.html for the procedures.",
      '"""',
      "import subprocess",
      "",
      "def main():",
      "    '''Runs the statements (no pip install here either).'''",
      "    return 0",
    ].join("\n");
    assert.deepEqual(downloadsIn(script, [], true), []);
    // Read as shell text, the same lines would be findings: the Python reading is what keeps them out.
    assert.equal(downloadsIn(script).length, 2);
    const runsPip = `${script}\nsubprocess.run(["pip", "install", "pyiceberg"], check=True)\n`;
    assert.deepEqual(downloadsIn(runsPip, [], true), [
      "runs `pip install` without --no-index (packages from PyPI)",
    ]);
    const fetches = `${script}\nurllib.request.urlopen("https://pypi.org/simple/pyiceberg/")\n`;
    assert.deepEqual(downloadsIn(fetches, [], true), ["fetches https://pypi.org/simple/pyiceberg/"]);
  });

  it("OS packages installed at start", () => {
    const p = plan("metastore-backup", (x) => {
      x.spec.jobTemplate.spec.template.spec.containers[0].args = [
        "apt-get update && apt-get -y install awscli",
      ];
    });
    assert.match(one(p), /container 'backup' installs OS packages from the distribution's mirrors/);
  });

  it("the SparkApplication the DAG ConfigMap carries: a driver init container that downloads", () => {
    const p = spark((app) => {
      app.spec.driver.initContainers[0].command = [
        "sh",
        "-c",
        "curl -o /opt/lakehouse/jars/x.jar https://repo1.maven.org/maven2/x.jar",
      ];
    });
    assert.equal(
      one(p),
      `ConfigMap 'lakehouse-dags' (manifest '${DAG_KEY}') driver must not download from outside the cluster at ` +
        "pod start: init container 'fetch-jars' fetches https://repo1.maven.org/maven2/x.jar (in its command); " +
        "serve it from the in-cluster artifact cache (stacks/platform/artifacts.ts).",
    );
  });

  it("the SparkApplication resolving spark.jars.packages through Ivy", () => {
    const p = spark((app) => {
      app.spec.sparkConf["spark.jars.packages"] = "org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.1";
    });
    assert.match(
      one(p),
      /^ConfigMap 'lakehouse-dags' \(manifest 'lakehouse_ingest\.spark-application\.yaml'\) must not download .*: it resolves spark\.jars\.packages=org\.apache\.iceberg:.* through Ivy from Maven repositories/,
    );
  });

  it("the SparkApplication with a remote jar in spark.jars", () => {
    const p = spark((app) => {
      app.spec.sparkConf["spark.jars"] = "https://repo1.maven.org/maven2/x.jar";
    });
    assert.match(one(p), /it fetches https:\/\/repo1\.maven\.org\/maven2\/x\.jar \(spark\.jars\)/);
  });

  it("the staging Job's script is allowed only to the staging Job: another Job running it is a violation", () => {
    const p = plan("metastore-stage", (x) => {
      x.spec.template.metadata.labels["app.kubernetes.io/name"] = "my-prefetch";
    });
    const vs = runPolicy(ID, p, undefined, NOW).map((v) => v.message);
    assert.deepEqual(
      vs.map(
        (m) =>
          /fetches (\S+) \(in the script artifact-cache-stage\/artifact-cache\.sh it runs\)/.exec(m)?.[1],
      ),
      ["https://repo1.maven.org/maven2", "https://files.pythonhosted.org"],
    );
    assert.match(
      vs[0],
      /^Job 'artifact-cache-stage-0123456789' must not download .*: container 'stage' fetches/,
    );
  });

  it("in-cluster URLs pass; allowedHosts admits a mirror inside the cluster network", () => {
    const inCluster = plan("metastore-server", (x) => {
      initOf(x).command = ["sh", "-c", "curl -o /jars/x.jar http://nexus.tools.svc:8081/repository/x.jar"];
    });
    assert.deepEqual(runPolicy(ID, inCluster, undefined, NOW), []);
    const lan = plan("metastore-server", (x) => {
      initOf(x).command = ["sh", "-c", "curl -o /jars/x.jar http://nexus.lan:8081/repository/x.jar"];
    });
    assert.match(one(lan), /fetches http:\/\/nexus\.lan:8081\/repository\/x\.jar/);
    assert.deepEqual(runPolicy(ID, lan, { allowedHosts: ["nexus.lan"] }, NOW), []);
  });

  it("is waivable like the others, for one resource, until the waiver expires", () => {
    const p = plan("metastore-server", (x) => {
      initOf(x).command = ["sh", "-c", "curl -o /jars/x.jar https://repo1.maven.org/maven2/x.jar"];
    });
    const waiver = (expires: string) => ({
      waivers: [
        { resource: "metastore-server", reason: "custom image with the jars lands next week", expires },
      ],
    });
    assert.deepEqual(runPolicy(ID, p, waiver("2026-12-31"), NOW), []);
    const expired = runPolicy(ID, p, waiver("2026-11-01"), NOW).map((v) => v.message);
    assert.equal(expired.filter((m) => /must not download/.test(m)).length, 1);
  });
});
