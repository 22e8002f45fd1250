/**
 * `lakehouse:compute:SampleJob`: ships the sample PySpark job (stacks/compute/jobs/lakehouse_ingest.py) to the
 * cluster as a ConfigMap that driver and executors mount (see sparkApplication.ts), and renders the
 * SparkApplication manifest that the DAG and the verification submit. The job file is read by the phase at
 * program time (never at import time) and passed in, so the ConfigMap always holds the file of this commit.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LakehouseConfig } from "../../preflight/config/schema";
import type { PlatformBaseRefs } from "../types";
import { COMPUTE_NAMES, JOB_FILE, computeLabels } from "./names";
import { sampleJobArgs, sampleJobManifest, sampleJobManifestYaml } from "./sparkApplication";

interface SampleJobComponentArgs {
  /** Parsed config: `compute.sampleJob`, `images.spark/tools`, `sizing.sparkDriver/sparkExecutor`, foundation names. */
  readonly config: LakehouseConfig;
  /** The platform base (namespace). */
  readonly base: PlatformBaseRefs;
  /** Text of lakehouse_ingest.py. */
  readonly jobSource: string;
}

export class SampleJob extends pulumi.ComponentResource {
  /** The SparkApplication manifest (YAML) the DAG submits. */
  declare public readonly manifestYaml: pulumi.Output<string>;
  /** The job ConfigMap's name. */
  declare public readonly configMapName: pulumi.Output<string>;

  constructor(name: string, args: SampleJobComponentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("lakehouse:compute:SampleJob", name, {}, opts);
    const { config, base } = args;
    if (!args.jobSource.trim()) {
      throw new Error(
        `SampleJob '${name}': the job file ${JOB_FILE} is empty; expected the PySpark program of stacks/compute/jobs/.`,
      );
    }
    const manifest = sampleJobManifest(sampleJobArgs(config));
    const cm = new k8s.core.v1.ConfigMap(
      `${name}-files`,
      {
        metadata: {
          name: COMPUTE_NAMES.jobConfigMap,
          namespace: base.namespace,
          labels: computeLabels("spark-job", config.compute.sampleJob.name),
        },
        data: { [JOB_FILE]: args.jobSource },
      },
      { parent: this },
    );
    this.configMapName = cm.metadata.name;
    this.manifestYaml = pulumi.output(sampleJobManifestYaml(manifest));
    this.registerOutputs({ configMapName: this.configMapName, manifestYaml: this.manifestYaml });
  }
}
