/**
 * Heuristics for plaintext secrets: key names that say "this is a credential" and value shapes that are one
 * (AWS access key ids, PEM private keys), plus `key=value` / `key: value` lines, Hadoop-style XML properties and
 * JVM `-Dkey=value` options inside larger text (catalog properties, hive-site.xml, SERVICE_OPTS). Pure. Findings name the key, never the value.
 */

/** Key names that hold credentials (matched at the end of the name, case-insensitive). */
const SECRET_NAME =
  /(password|passwd|passphrase|secret|token|secret[-_.]?key|access[-_.]?key(?:[-_.]?id)?|api[-_.]?key|private[-_.]?key|credentials?)$/i;

/** Names that only point at a secret (a Secret's name, a key reference, a file path, a switch). */
const REFERENCE_NAME =
  /^(existing|use|create)|(secret|key|token|password)[-_.]?(name|ref|keyref|namespace|store|file|path|dir)$|(password|token|user)[-_.]?key$|(file|path|enabled|mount|ttl)$/i;

/** Values that are substituted at run time, not secrets: ${ENV:X}, ${env.X}, $(X), {{ .X }}. */
const PLACEHOLDER = /^\s*(\$\{[^}]+\}|\$\([^)]+\)|\{\{.*\}\})\s*$/;

const SHAPES: { name: string; re: RegExp }[] = [
  { name: "an AWS access key id", re: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: "a PEM private key", re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
];

export function isSecretName(key: string): boolean {
  return SECRET_NAME.test(key) && !REFERENCE_NAME.test(key);
}

export function isPlaceholder(value: string): boolean {
  return value.trim() === "" || PLACEHOLDER.test(value);
}

/** A literal value under a secret-looking key, or a value of a known secret shape. Returns a reason or undefined. */
export function secretInKeyValue(key: string, value: unknown): string | undefined {
  if (typeof value === "number" && isSecretName(key)) return `'${key}' has a literal value`;
  if (typeof value !== "string") return undefined;
  if (isSecretName(key) && !isPlaceholder(value) && !/\n/.test(value)) return `'${key}' has a literal value`;
  return secretInText(value);
}

/** Secrets inside free text: known shapes, `key=value` lines, Hadoop XML properties. */
export function secretInText(text: string): string | undefined {
  for (const s of SHAPES) if (s.re.test(text)) return `it contains ${s.name}`;
  const xml = /<name>\s*([^<]+?)\s*<\/name>\s*<value>\s*([^<]*?)\s*<\/value>/g;
  for (let m = xml.exec(text); m; m = xml.exec(text)) {
    if (isSecretName(m[1]) && !isPlaceholder(m[2])) return `property '${m[1]}' has a literal value`;
  }
  // JVM system properties in option strings (SERVICE_OPTS, JAVA_TOOL_OPTIONS): -Dkey=value.
  const jvm = /(?:^|\s)-D([A-Za-z0-9_.-]+)=("[^"]*"|'[^']*'|\S*)/g;
  for (let m = jvm.exec(text); m; m = jvm.exec(text)) {
    const v = m[2].replace(/^["']|["']$/g, "");
    if (isSecretName(m[1]) && !isPlaceholder(v)) return `JVM property '${m[1]}' has a literal value`;
  }
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*-*\s*([A-Za-z0-9_.][A-Za-z0-9_.-]*)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (m && m[2] !== "" && isSecretName(m[1]) && !isPlaceholder(m[2]) && !/^["']{2}$/.test(m[2])) {
      return `'${m[1]}' has a literal value`;
    }
  }
  return undefined;
}
