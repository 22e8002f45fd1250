import { strict as assert } from "node:assert";
import { runPolicy, validPlan, withChange } from "./fixtures";

const ID = "retain-data";
const one = (plan: ReturnType<typeof validPlan>, config?: Record<string, unknown>) => {
  const vs = runPolicy(ID, plan, config);
  assert.equal(vs.length, 1, JSON.stringify(vs, null, 2));
  assert.equal(vs[0].enforcement, "mandatory");
  return vs[0].message;
};
const deleteClass = (plan: ReturnType<typeof validPlan>) =>
  plan.map((r) =>
    r.name === "base-bucket-class" ? { ...r, props: { ...r.props, reclaimPolicy: "Delete" } } : r,
  );

describe("policy retain-data", () => {
  it("passes the valid plan (Retain bucket class, PVC on a class outside the plan)", () => {
    assert.deepEqual(runPolicy(ID, validPlan()), []);
  });

  it("platform StorageClass with reclaimPolicy Delete (and the OBC on it)", () => {
    const vs = runPolicy(ID, deleteClass(validPlan()));
    assert.deepEqual(
      vs.map((v) => v.message),
      [
        "StorageClass 'lakehouse-bucket' must set reclaimPolicy: Retain (it is Delete): deleting a claim would delete the lakehouse data.",
        "ObjectBucketClaim 'lakehouse-warehouse' must keep its data on delete: StorageClass 'lakehouse-bucket' has reclaimPolicy Delete; use a Retain class (or set retainOnDelete/protect on the resource).",
      ],
    );
  });

  it("platform StorageClass without reclaimPolicy (Kubernetes defaults to Delete)", () => {
    const plan = withChange("base-bucket-class", (p) => delete p.reclaimPolicy);
    assert.equal(
      runPolicy(ID, plan)[0].message,
      "StorageClass 'lakehouse-bucket' must set reclaimPolicy: Retain (it is unset, so Delete): deleting a claim would delete the lakehouse data.",
    );
  });

  it("protect or retainOnDelete on the OBC counts; honorResourceOptions=false turns that off", () => {
    const protectedObc = deleteClass(validPlan()).map((r) =>
      r.name === "metastore-warehouse" ? { ...r, opts: { retainOnDelete: true } } : r,
    );
    assert.equal(runPolicy(ID, protectedObc).length, 1); // only the class itself
    assert.equal(runPolicy(ID, protectedObc, { honorResourceOptions: false }).length, 2);
  });

  it("PVC on a class known (by config) to delete", () => {
    const m = one(validPlan(), { deleteClasses: ["ceph-block"] });
    assert.equal(
      m,
      "PersistentVolumeClaim 'metastore-db-data' must keep its data on delete: StorageClass 'ceph-block' has reclaimPolicy Delete; use a Retain class (or set retainOnDelete/protect on the resource).",
    );
  });

  it("PVC protected with protect: true passes", () => {
    const plan = validPlan().map((r) =>
      r.name === "metastore-db-data" ? { ...r, opts: { protect: true } } : r,
    );
    assert.deepEqual(runPolicy(ID, plan, { deleteClasses: ["ceph-block"] }), []);
  });

  it("StatefulSet deleting its PVCs, or with a claim template on a Delete class", () => {
    const sts = {
      type: "kubernetes:apps/v1:StatefulSet",
      name: "metastore-db",
      urn: "urn:pulumi:anton::lakehouse::lakehouse:foundation:HiveMetastore$kubernetes:apps/v1:StatefulSet::metastore-db",
      props: {
        metadata: { name: "metastore-db", namespace: "lakehouse" },
        spec: {
          persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
          volumeClaimTemplates: [
            { metadata: { name: "data" }, spec: { storageClassName: "lakehouse-bucket" } },
          ],
        },
      },
    };
    const vs = runPolicy(ID, [...deleteClass(validPlan()), sts]).map((v) => v.message);
    assert.ok(
      vs.includes(
        "StatefulSet 'metastore-db' must keep its PVCs when deleted: persistentVolumeClaimRetentionPolicy.whenDeleted is Delete.",
      ),
    );
    assert.ok(
      vs.some((m) =>
        m.startsWith("StatefulSet 'metastore-db' must keep its data on delete: volume claim template 'data'"),
      ),
    );
  });

  it("a PersistentVolume with reclaimPolicy Delete", () => {
    const plan = validPlan();
    plan.push({
      type: "kubernetes:core/v1:PersistentVolume",
      name: "warehouse-pv",
      urn: "urn:pulumi:anton::lakehouse::lakehouse:foundation:HiveMetastore$kubernetes:core/v1:PersistentVolume::warehouse-pv",
      props: { metadata: { name: "warehouse-pv" }, spec: { persistentVolumeReclaimPolicy: "Delete" } },
    });
    assert.equal(
      one(plan),
      "PersistentVolume 'warehouse-pv' must set persistentVolumeReclaimPolicy: Retain (it is Delete).",
    );
  });
});
