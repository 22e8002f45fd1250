/**
 * deploy/rbac/preflight-clusterrole.yaml against what the probes really request: the stand-in enforces the
 * manifest's rules (as an apiserver would for that ServiceAccount) while the whole live collection runs, and
 * the request log is compared with the rules in both directions (nothing missing, nothing unused).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../../../preflight/config/load";
import { KINDS } from "../../../preflight/model";
import { collectLive } from "../../../preflight/probes";
import { KIND_SPECS, rbacResource } from "../../../preflight/probes/kube";
import {
  loadObjects,
  refusedUrl,
  startKubeApi,
  type KubeApi,
  type RecordedRequest,
} from "../../../harness/kube-api";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const MANIFEST = path.join(ROOT, "deploy", "rbac", "preflight-clusterrole.yaml");
const FIXTURES = path.join(ROOT, "test", "fixtures", "healthy");

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs?: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

const docs = parseAllDocuments(fs.readFileSync(MANIFEST, "utf8")).map((d) => d.toJSON() as Doc);
const clusterRole = docs.find((d) => d.kind === "ClusterRole") as Doc;
const role = docs.find((d) => d.kind === "Role") as Doc;

const ruleAllows = (rule: Rule, r: RecordedRequest) =>
  (rule.apiGroups ?? []).includes(r.group ?? "") &&
  (rule.resources ?? []).includes(r.plural ?? "") &&
  (rule.verbs ?? []).includes(r.verb) &&
  (!rule.resourceNames || (r.name !== undefined && rule.resourceNames.includes(r.name)));

/** What the ServiceAccount may do under the manifest (ClusterRole anywhere, Role in its namespace only). */
const allowed = (r: RecordedRequest) =>
  (clusterRole.rules ?? []).some((rule) => ruleAllows(rule, r)) ||
  (r.namespace === role.metadata.namespace && (role.rules ?? []).some((rule) => ruleAllows(rule, r)));

describe("deploy/rbac/preflight-clusterrole.yaml", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "kube-rbac-"));
  let api: KubeApi;
  after(async () => {
    await api?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("is read-only and binds both roles to the one ServiceAccount", () => {
    const sa = docs.find((d) => d.kind === "ServiceAccount") as Doc;
    assert.ok(sa && clusterRole && role);
    for (const rule of [...(clusterRole.rules ?? []), ...(role.rules ?? [])]) {
      for (const v of rule.verbs ?? []) assert.ok(["get", "list"].includes(v), `verb ${v} is not read-only`);
      assert.ok(
        !(rule.resources ?? []).includes("*") && !(rule.apiGroups ?? []).includes("*"),
        "no wildcards",
      );
    }
    assert.ok(
      !(clusterRole.rules ?? []).some((r) => (r.resources ?? []).includes("secrets")),
      "no Secrets cluster-wide",
    );
    assert.deepEqual(role.rules, [
      { apiGroups: [""], resources: ["secrets"], resourceNames: ["lakehouse-s3"], verbs: ["get"] },
    ]);
    for (const binding of docs.filter((d) => d.kind.endsWith("Binding"))) {
      assert.deepEqual(binding.subjects, [
        { kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace },
      ]);
    }
    const crb = docs.find((d) => d.kind === "ClusterRoleBinding") as Doc;
    const rb = docs.find((d) => d.kind === "RoleBinding") as Doc;
    assert.equal(crb.roleRef?.name, clusterRole.metadata.name);
    assert.deepEqual(
      [rb.roleRef?.kind, rb.roleRef?.name, rb.metadata.namespace],
      ["Role", role.metadata.name, role.metadata.namespace],
    );
  });

  it("is enough: the whole live collection under exactly these rules reads every kind and the S3 Secret", async () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "lakehouse-s3", namespace: "storage" },
      data: {
        AccessKey: Buffer.from("AK").toString("base64"),
        SecretKey: Buffer.from("SK").toString("base64"),
      },
    };
    const other = { ...secret, metadata: { name: "other", namespace: "storage" } };
    api = await startKubeApi({ objects: [...loadObjects(FIXTURES), secret, other], authorize: allowed });
    const kubeconfig = api.writeKubeconfig(tmp);
    // An endpoint where nothing listens: the S3 round trip fails fast, but the Secret is read first.
    const config = parseConfig(
      { s3: { endpoint: await refusedUrl(), credentialsSecret: "storage/lakehouse-s3" } },
      "test",
    );
    const { facts } = await collectLive(config, { kubeconfig }, {});
    for (const kind of KINDS)
      assert.equal(facts.kinds[kind].state, "ok", `${kind}: ${JSON.stringify(facts.kinds[kind])}`);
    assert.equal(facts.s3.state, "done", "credentials were found, the round trip was attempted");
    assert.ok(
      api.requests.every((r) => r.status !== 403),
      "nothing was denied",
    );
    assert.ok(
      api.requests.some(
        (r) => r.verb === "get" && r.path === "/api/v1/namespaces/storage/secrets/lakehouse-s3",
      ),
    );

    // And the rules really bite: another Secret, or a cluster-wide secrets list, is denied.
    const denied = { method: "GET", path: "", query: {}, time: 0 };
    assert.equal(
      allowed({ ...denied, verb: "get", group: "", plural: "secrets", namespace: "storage", name: "other" }),
      false,
    );
    assert.equal(allowed({ ...denied, verb: "list", group: "", plural: "secrets" }), false);
    assert.equal(
      allowed({
        ...denied,
        verb: "get",
        group: "",
        plural: "secrets",
        namespace: "default",
        name: "lakehouse-s3",
      }),
      false,
    );
  });

  it("is exact: every rule's resource is one the probes request, with the verb they use", () => {
    const used = new Set(api.requests.map((r) => `${r.verb} ${r.resource}`));
    const granted = new Set<string>();
    for (const rule of clusterRole.rules ?? []) {
      for (const g of rule.apiGroups ?? [])
        for (const res of rule.resources ?? [])
          for (const v of rule.verbs ?? []) granted.add(`${v} ${rbacResource({ group: g, plural: res })}`);
    }
    assert.deepEqual([...granted].sort(), [...used].filter((u) => u !== "get secrets").sort());
    // The rules also follow KIND_SPECS, so a new kind without a rule fails here even before it has fixtures.
    assert.deepEqual([...granted].sort(), KINDS.map((k) => `list ${rbacResource(KIND_SPECS[k])}`).sort());
  });
});
