/**
 * The Spark line the compute phase's pinned jar set is built for, and the Spark version of a configured image.
 * `lakehouse:images.spark` is configurable, but the jars the SparkApplication copies from the artifact cache
 * (stacks/compute/spark-jars.json: `iceberg-spark-runtime-3.5_2.12`, hadoop-aws for Spark 3.5's Hadoop) work with
 * one Spark line only; the schema refuses an image tagged for another line, and the SparkApplication's
 * `sparkVersion` is the image's own version rather than a constant that could silently disagree with it.
 */

/** The Spark major.minor the pinned jar set is for (a test checks it against spark-jars.json). */
export const SPARK_LINE = "3.5";
/** `sparkVersion` when the image names no version (a digest-only reference): the default image's. */
export const DEFAULT_SPARK_VERSION = "3.5.8";

/** The image's tag ("apache/spark:3.5.8-scala2.12-...@sha256:..." -> "3.5.8-scala2.12-..."), or undefined. */
function tagOf(image: string): string | undefined {
  const name = image.split("@")[0];
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  return colon > slash ? name.slice(colon + 1) : undefined;
}

/** The Spark version a tag starts with ("3.5.8-scala2.12-java17" -> "3.5.8", "v3.5.2" -> "3.5.2"), or undefined. */
export function sparkVersionOfImage(image: string): string | undefined {
  return /^v?(\d+\.\d+\.\d+)(?![\d.])/.exec(tagOf(image) ?? "")?.[1];
}

/** What `sparkVersion` says for this image: its tag's version, or the default image's when the tag names none. */
export function sparkVersionFor(image: string): string {
  return sparkVersionOfImage(image) ?? DEFAULT_SPARK_VERSION;
}
