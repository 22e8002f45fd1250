/**
 * pinned-images (mandatory): every image is pinned to a version tag or a digest; no `latest`, no untagged
 * image. Covers workload containers, images in Helm values (`image: repo:tag` strings and `image.tag` /
 * `image.repository` blocks), the chart version of Helm releases, and SparkApplications.
 */
import { imageProblem } from "../lib/images";
import { configOf, type LakehousePolicy } from "../lib/policy";
import { displayName, isObj, isPlatform, kindOf, str, type Obj } from "../lib/resources";
import {
  containersOf,
  helmChart,
  helmValues,
  podTemplates,
  sparkApps,
  sparkRoles,
  sparkSpec,
  walk,
} from "../lib/workloads";

const pinnedImagesDefaults = {
  /** Tags that move and so do not pin. */
  mutableTags: ["latest"],
  /** Helm releases must pin the chart `version` (a chart's default image tag is its appVersion). */
  requireChartVersion: true,
};

export const pinnedImages: LakehousePolicy = {
  name: "pinned-images",
  description: "Images must be pinned to a version tag or a digest (no 'latest', no untagged image).",
  enforcementLevel: "mandatory",
  remediationSteps: "Use an explicit version tag (e.g. apache/hive:4.0.0) or a digest (@sha256:...).",
  configSchema: {
    properties: {
      mutableTags: { type: "array", items: { type: "string" }, default: pinnedImagesDefaults.mutableTags },
      requireChartVersion: { type: "boolean", default: pinnedImagesDefaults.requireChartVersion },
    },
  },
  validateResource: (args, report) => {
    if (!isPlatform(args)) return;
    const cfg = configOf(args, pinnedImagesDefaults);
    const kind = kindOf(args.type);
    const name = displayName(args);
    const props = args.props as Obj;

    for (const t of podTemplates(args.type, props)) {
      for (const { name: cname, c } of containersOf(t.spec)) {
        const image = str(c.image);
        const problem = image ? imageProblem(image, cfg.mutableTags) : "no image is set";
        if (problem) {
          report(
            `${kind} '${name}' must pin the image of container '${cname}' to a version tag or digest: ${problem}.`,
          );
        }
      }
    }

    const values = helmValues(args.type, props);
    if (values) {
      const pinnedChart = !!helmChart(props).version?.trim();
      if (cfg.requireChartVersion && !pinnedChart) {
        report(
          `${kind} '${name}' must pin the chart version (set 'version'): an unpinned chart moves its images.`,
        );
      }
      walk(values, (path, key, v) => {
        if (key !== "image") return;
        if (typeof v === "string" && v !== "") {
          const problem = imageProblem(v, cfg.mutableTags);
          if (problem)
            report(`${kind} '${name}' must pin values '${path}' to a version tag or digest: ${problem}.`);
        } else if (isObj(v)) {
          const tag = str(v.tag) ?? (typeof v.tag === "number" ? String(v.tag) : undefined);
          const digest = str(v.digest);
          const repo = str(v.repository);
          if (digest) return;
          if (tag && cfg.mutableTags.includes(tag)) {
            report(
              `${kind} '${name}' must pin values '${path}.tag' to a version: '${tag}' is a mutable tag.`,
            );
          } else if (repo && repo.includes(":") && !tag) {
            const problem = imageProblem(repo, cfg.mutableTags);
            if (problem) {
              report(
                `${kind} '${name}' must pin values '${path}.repository' to a version tag or digest: ${problem}.`,
              );
            }
          } else if (repo && !tag && !pinnedChart) {
            report(
              `${kind} '${name}' must pin values '${path}.tag' (or the chart version): '${repo}' would use ` +
                `an unpinned chart's default tag.`,
            );
          }
        }
      });
    }

    for (const app of sparkApps(args.type, props)) {
      const who = app.key ? `${kind} '${name}' (manifest '${app.key}')` : `${kind} '${name}'`;
      const roles = sparkRoles(app.type, app.props);
      const spec = sparkSpec(app.type, app.props);
      const images: [string, string | undefined][] = [
        ["spec.image", str(spec.image)],
        ...roles.map((r): [string, string | undefined] => [`${r.role}.image`, str(r.spec.image)]),
      ];
      if (images.every(([, i]) => !i)) {
        report(`${who} must set a pinned image (spec.image): none is set, the operator default moves.`);
      }
      for (const [where, image] of images) {
        const problem = image ? imageProblem(image, cfg.mutableTags) : undefined;
        if (problem) report(`${who} must pin ${where} to a version tag or digest: ${problem}.`);
      }
      for (const r of roles) {
        for (const { name: cname, c } of containersOf(r.spec)) {
          const image = str(c.image);
          const problem = image ? imageProblem(image, cfg.mutableTags) : "no image is set";
          if (problem) {
            report(
              `${who} must pin the image of ${r.role} init container '${cname}' to a version tag or digest: ${problem}.`,
            );
          }
        }
      }
    }
  },
};
