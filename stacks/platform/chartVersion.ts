/**
 * Exact chart versions, shared by the Flux delivery module (which refuses anything else) and the `pinned-charts`
 * policy (which rejects it in a plan). Pure, no Pulumi imports, so the policy pack can load it.
 */

/** An exact SemVer 2.0 version (no range, no wildcard, no leading `v`): what Flux then installs and never moves. */
const EXACT_SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** True when `v` is one exact chart version, not a range (`^1.2`, `~1`, `>=1 <2`, `1.x`, `*`) or empty. */
export function isExactChartVersion(v: string | undefined): boolean {
  return typeof v === "string" && EXACT_SEMVER.test(v);
}

/** Why `v` is not an exact version (for messages), or undefined when it is one. */
export function chartVersionProblem(v: string | undefined): string | undefined {
  if (v === undefined || v.trim() === "")
    return "no version is set (Helm and Flux then take the newest chart)";
  if (isExactChartVersion(v)) return undefined;
  if (/^v\d/.test(v) && isExactChartVersion(v.slice(1)))
    return `'${v}' has a leading 'v' (Helm reads it as a constraint, not one version)`;
  return `'${v}' is a range or not a SemVer version (it can move to another chart)`;
}
