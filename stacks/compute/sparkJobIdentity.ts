/**
 * `lakehouse:compute:SparkJobIdentity`: the ServiceAccount Spark drivers run as, with a namespaced Role that lets
 * a driver create and clean up its executors (pods), their headless Service, the executor ConfigMap and
 * on-demand PVCs, in the platform namespace only. Nothing cluster-wide, no Secrets: the S3 keys reach the pods
 * as `secretKeyRef` env (resolved by the kubelet, not by the driver).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformBaseRefs } from "../types";
import { COMPUTE_NAMES, computeLabels } from "./names";

interface SparkJobIdentityArgs {
  /** The platform base (namespace). */
  readonly base: PlatformBaseRefs;
}

/** The Role's rules. Pure (the tests assert them exactly). */
function sparkDriverRules(): k8s.types.input.rbac.v1.PolicyRule[] {
  const crud = ["create", "get", "list", "watch", "update", "patch", "delete", "deletecollection"];
  return [
    { apiGroups: [""], resources: ["pods"], verbs: crud },
    { apiGroups: [""], resources: ["services"], verbs: crud },
    { apiGroups: [""], resources: ["configmaps"], verbs: crud },
    { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: crud },
  ];
}

export class SparkJobIdentity extends pulumi.ComponentResource {
  /** The ServiceAccount name (SparkApplication `driver.serviceAccount`). */
  declare public readonly serviceAccountName: pulumi.Output<string>;

  constructor(name: string, args: SparkJobIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:compute:SparkJobIdentity", name, {}, opts);
    const ns = args.base.namespace;
    const saName = COMPUTE_NAMES.sparkServiceAccount;
    const labels = computeLabels("spark-job-identity", saName);
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: saName, namespace: ns, labels } },
      { parent: this },
    );
    const role = new k8s.rbac.v1.Role(
      `${name}-role`,
      { metadata: { name: saName, namespace: ns, labels }, rules: sparkDriverRules() },
      { parent: this },
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-binding`,
      {
        metadata: { name: saName, namespace: ns, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: saName },
        subjects: [{ kind: "ServiceAccount", name: saName, namespace: ns }],
      },
      { parent: this, dependsOn: [sa, role] },
    );
    this.serviceAccountName = sa.metadata.name;
    this.registerOutputs({ serviceAccountName: this.serviceAccountName });
  }
}
