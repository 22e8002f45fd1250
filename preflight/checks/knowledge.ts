/**
 * Knowledge prerequisites: attested by the operator in `lakehouse:knowledge`. Advisory (`warn`) unless
 * `lakehouse:knowledge.enforce` is true, in which case an unattested one is a blocking `fail`.
 */
import type { LakehouseConfig } from "../config/schema";
import { PHASES } from "../model";
import type { CheckDefinition } from "./types";

type KnowledgeKey = Exclude<keyof LakehouseConfig["knowledge"], "enforce">;

function knowledge(
  id: string,
  title: string,
  key: KnowledgeKey,
  what: string,
  learn: string,
): CheckDefinition {
  return {
    id,
    title,
    category: "knowledge",
    severity: "medium",
    critical: (config) => config.knowledge.enforce,
    gates: PHASES,
    evaluate(_facts, { config }) {
      const expected = `The team attests: ${what} (lakehouse:knowledge.${key}).`;
      if (config.knowledge[key]) {
        return {
          status: "pass",
          observed: `Attested in lakehouse:knowledge.${key}.`,
          expected,
          remediation: "",
        };
      }
      const enforced = config.knowledge.enforce;
      return {
        status: enforced ? "fail" : "warn",
        observed: `Not attested: lakehouse:knowledge.${key} is false${enforced ? " and lakehouse:knowledge.enforce is true" : ""}.`,
        expected,
        remediation: `${learn}, then run \`pulumi config set --path lakehouse:knowledge.${key} true\`.`,
      };
    },
  };
}

export const KNOWLEDGE_CHECKS: readonly CheckDefinition[] = [
  knowledge(
    "prereq.team-sql",
    "Team familiarity with SQL and data concepts",
    "teamSql",
    "basic understanding of SQL and data concepts",
    "Make sure whoever runs the platform can write SQL and reason about tables, partitions and snapshots",
  ),
  knowledge(
    "prereq.team-kubernetes",
    "Kubernetes administration skills",
    "teamKubernetes",
    "ability to debug pods, services and storage",
    "Make sure someone can debug pods, services and PVCs (kubectl describe/logs, Ceph status)",
  ),
  knowledge(
    "prereq.backup-strategy",
    "Backup and recovery strategy",
    "backupStrategy",
    "a data backup and recovery procedure is understood (metastore database and Iceberg metadata)",
    "Write down how the metastore database and Iceberg metadata are backed up and restored (see the foundation runbook)",
  ),
];
