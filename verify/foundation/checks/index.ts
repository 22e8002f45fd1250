/** The foundation phase's post-deploy checks, in report order: a plain array (a registry by construction). */
import type { FoundationObservations, VerifyCheckDefinition } from "../../types";
import { artifactCache } from "./artifactCache";
import { backupRestore } from "./backupRestore";
import { icebergRoundtrip } from "./icebergRoundtrip";
import { metastoreAvailable } from "./metastoreAvailable";
import { metastoreLockTimeout } from "./metastoreLockTimeout";

export const FOUNDATION_CHECKS: readonly VerifyCheckDefinition<FoundationObservations>[] = [
  metastoreAvailable,
  icebergRoundtrip,
  backupRestore,
  artifactCache,
  metastoreLockTimeout,
];
