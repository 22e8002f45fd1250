/**
 * What every phase's pods share: the security contexts, the JVM heap from sizing, the helper containers' fixed
 * resources. Pure.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { PodSize } from "../../preflight/config/schema";
import { parseBytes } from "../../preflight/quantity";

/** Pod security context: a fixed non-root uid/gid (the image's own user), fsGroup for volumes, RuntimeDefault seccomp. */
export function podSecurity(uid: number): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Container security context: no privilege escalation, no capabilities. */
export function containerSecurity(readOnlyRootFilesystem: boolean): k8s.types.input.core.v1.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ["ALL"] },
  };
}

/**
 * The JVM heap for a container of this size: 75 % of its memory limit (the rest is metaspace, threads, direct
 * buffers), in MiB, at least 256.
 */
export function jvmHeapMiB(size: PodSize): number {
  const limit = parseBytes(size.memoryLimit ?? size.memory);
  if (limit === undefined) {
    throw new Error(
      `The memory size "${size.memoryLimit ?? size.memory}" is not a quantity; expected e.g. "1Gi".`,
    );
  }
  return Math.max(256, Math.floor((limit * 0.75) / (1024 * 1024)));
}

/** Resources of small helper init containers (jar download, AWS CLI copy): fixed, they are I/O bound. */
export const HELPER_RESOURCES = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { memory: "128Mi" },
} as const;
