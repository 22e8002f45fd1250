/**
 * retain-data (mandatory, stack): lakehouse data survives a delete.
 *
 * - Platform StorageClasses (block or Rook bucket classes) set `reclaimPolicy: Retain` (Kubernetes defaults an
 *   unset policy to Delete).
 * - Platform PVCs, StatefulSet volume claim templates and ObjectBucketClaims must not use a class whose policy is
 *   Delete, where that is visible: a class in the plan, or one listed in `deleteClasses`.
 * - StatefulSets must not delete their PVCs (`persistentVolumeClaimRetentionPolicy.whenDeleted: Delete`);
 *   PersistentVolumes must not be `persistentVolumeReclaimPolicy: Delete`.
 *
 * Decision on Pulumi options: `retainOnDelete` or `protect` on a PVC/OBC counts as keeping its data (Pulumi
 * will then never delete it), unless `honorResourceOptions` is false. They do not help against `kubectl delete`
 * or a deleted namespace, which is why a Retain class is the recommended fix and they never excuse a platform
 * StorageClass. CrossGuard shows policies `protect` only; `npm run plan` also passes `retainOnDelete`.
 */
import type { PolicyResource } from "@pulumi/policy";
import { configOf, type LakehousePolicy } from "../lib/policy";
import { asArray, asObj, displayName, isKube, isPlatform, kindOf, safe, str } from "../lib/resources";

const retainDataDefaults = {
  /** StorageClasses outside the plan known to delete data (reclaimPolicy Delete). */
  deleteClasses: [] as string[],
  /** Let `protect` / `retainOnDelete` on a PVC or OBC count as keeping its data. */
  honorResourceOptions: true,
};

function keptByOptions(r: PolicyResource): boolean {
  const o = r.opts as { protect?: boolean; retainOnDelete?: boolean } | undefined;
  return !!(o?.protect || o?.retainOnDelete);
}

export const retainData: LakehousePolicy = {
  name: "retain-data",
  description:
    "Lakehouse PVCs and buckets must keep their data on delete (Retain classes, no Delete policies).",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Use a StorageClass with reclaimPolicy: Retain (lakehouse:platform.blockStorageClass / bucketStorageClass).",
  configSchema: {
    properties: {
      deleteClasses: { type: "array", items: { type: "string" }, default: retainDataDefaults.deleteClasses },
      honorResourceOptions: { type: "boolean", default: retainDataDefaults.honorResourceOptions },
    },
  },
  validateStack: (args, report) => {
    const cfg = configOf(args, retainDataDefaults);
    const policies = new Map<string, string>();
    for (const r of args.resources) {
      safe(() => {
        if (isKube(r.type, "StorageClass")) {
          policies.set(displayName(r), str(r.props.reclaimPolicy) ?? "Delete");
        }
      }, undefined);
    }
    const deletes = (cls: string | undefined) =>
      cls !== undefined &&
      (policies.get(cls) === "Delete" || (!policies.has(cls) && cfg.deleteClasses.includes(cls)));

    for (const r of args.resources) {
      safe(() => {
        if (!isPlatform(r)) return;
        const kind = kindOf(r.type);
        const name = displayName(r);
        const spec = asObj(r.props.spec);
        const kept = cfg.honorResourceOptions && keptByOptions(r);
        if (isKube(r.type, "StorageClass")) {
          const p = str(r.props.reclaimPolicy);
          if (p !== "Retain") {
            report(
              `StorageClass '${name}' must set reclaimPolicy: Retain (it is ${p ?? "unset, so Delete"}): ` +
                `deleting a claim would delete the lakehouse data.`,
              r.urn,
            );
          }
        } else if (isKube(r.type, "PersistentVolumeClaim", "ObjectBucketClaim")) {
          const cls = str(spec.storageClassName);
          if (deletes(cls) && !kept) {
            report(
              `${kind} '${name}' must keep its data on delete: StorageClass '${cls}' has reclaimPolicy Delete; ` +
                `use a Retain class (or set retainOnDelete/protect on the resource).`,
              r.urn,
            );
          }
        } else if (isKube(r.type, "PersistentVolume")) {
          if (str(spec.persistentVolumeReclaimPolicy) === "Delete") {
            report(
              `PersistentVolume '${name}' must set persistentVolumeReclaimPolicy: Retain (it is Delete).`,
              r.urn,
            );
          }
        } else if (isKube(r.type, "StatefulSet")) {
          const whenDeleted = str(asObj(spec.persistentVolumeClaimRetentionPolicy).whenDeleted);
          if (whenDeleted === "Delete") {
            report(
              `StatefulSet '${name}' must keep its PVCs when deleted: persistentVolumeClaimRetentionPolicy.whenDeleted is Delete.`,
              r.urn,
            );
          }
          for (const t of asArray(spec.volumeClaimTemplates)) {
            const tname = str(asObj(asObj(t).metadata).name) ?? "?";
            const cls = str(asObj(asObj(t).spec).storageClassName);
            if (deletes(cls)) {
              report(
                `StatefulSet '${name}' must keep its data on delete: volume claim template '${tname}' uses ` +
                  `StorageClass '${cls}' with reclaimPolicy Delete; use a Retain class.`,
                r.urn,
              );
            }
          }
        }
      }, undefined);
    }
  },
};
