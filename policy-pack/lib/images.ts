/**
 * Image references: is one pinned? Pure.
 */

/**
 * Why an image reference is not pinned, or undefined when it is: a digest (`@sha256:...`) always pins; else a
 * tag is required and must not be one of the mutable tags.
 */
export function imageProblem(ref: string, mutableTags: readonly string[]): string | undefined {
  const at = ref.indexOf("@");
  if (at >= 0) {
    const digest = ref.slice(at + 1);
    return /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/.test(digest)
      ? undefined
      : `'${ref}' has a malformed digest`;
  }
  const lastSlash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon <= lastSlash) return `'${ref}' has no tag (it would pull 'latest')`;
  const tag = ref.slice(colon + 1);
  if (tag === "") return `'${ref}' has an empty tag`;
  if (mutableTags.includes(tag)) return `'${ref}' uses the mutable tag '${tag}'`;
  return undefined;
}
