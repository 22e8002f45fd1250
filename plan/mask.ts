/**
 * Resource inputs as `npm run plan -- --output json` prints them: what the engine would receive, with nothing
 * secret in it. Pure.
 *
 * Masked as `[secret]`:
 * - Pulumi secrets (`pulumi.secret(...)`, secret config, outputs marked secret): the value where the program
 *   marked it. A secret object or array keeps its shape (keys, length) with every leaf masked, so a reviewer
 *   still sees that a Secret's `stringData` holds `username` and `password`.
 * - `data` and `stringData` of every Kubernetes `Secret`, secret-marked or not.
 * - What the `no-plaintext-secrets` policy calls a plaintext secret (policy-pack/lib/secrets.ts, the one set of
 *   heuristics): scalars under keys that name a credential (`password`, `secretAccessKey`, `fs.s3a.secret.key`,
 *   `AWS_SECRET_ACCESS_KEY`, `token`, ...), the `value` of a `{ name, value }` pair whose name does (container
 *   env, Helm `set`), and inside text (ConfigMap files, args): `key=value` / `key: value` lines, Hadoop-style
 *   `<name>key</name><value>...</value>` properties and JVM `-Dkey=value` options. A string in which a secret
 *   shape (an AWS access key id, a PEM private key) is still found after that is masked whole.
 * A value that only refers to a secret (`${ENV:X}`, `$(X)`, `$X`, `valueFrom.secretKeyRef`) is kept: it is what a
 * reviewer wants to see, and it holds no secret.
 *
 * Unknown values (known only after `up`) print as `[unknown]`. The serialised provider of a dynamic resource
 * (`__provider`) is left out.
 */
import { SECRET, UNKNOWN } from "./markers";
import * as pulumi from "@pulumi/pulumi";
import { isPlaceholder, isSecretName, secretInText } from "../policy-pack/lib/secrets";

export { SECRET, UNKNOWN };

/** A key whose scalar value is a credential (`password`, `fs.s3a.secret.key`), not one that names a Secret. */
export function isCredentialKey(key: string): boolean {
  return isSecretName(key);
}

/** Substituted at run time, so not a secret: the policy's placeholders, plus a shell-style `$VAR`. */
function isReference(v: string): boolean {
  const t = v.trim().replace(/^(["'])(.*)\1$/, "$2");
  return isPlaceholder(t) || /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(t);
}

const literal = (key: string, value: string) =>
  isCredentialKey(key) && value.trim() !== "" && !isReference(value) && !/^["']{2}$/.test(value.trim());

const {
  specialSigKey: SIG,
  specialSecretSig,
  specialResourceSig,
  specialAssetSig,
  specialArchiveSig,
} = pulumi.runtime;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Every leaf of `v` masked; objects keep their keys and arrays their length. */
function maskAll(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(maskAll);
  if (isPlainObject(v)) {
    if (v[SIG] === specialSecretSig) return maskAll(v.value);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskAll(x)]));
  }
  return v === undefined || v === null ? v : SECRET;
}

/** Credentials in text (properties, YAML, Hadoop XML, JVM options) replaced by SECRET; the rest kept. */
export function maskText(text: string): string {
  const xml = text.replace(
    /(<name>\s*([^<]+?)\s*<\/name>\s*<value>)([^<]*)(<\/value>)/g,
    (all, open: string, key: string, value: string, close: string) =>
      literal(key, value) ? `${open}${SECRET}${close}` : all,
  );
  const jvm = xml.replace(
    /((?:^|\s)-D([A-Za-z0-9_.-]+)=)("[^"]*"|'[^']*'|\S*)/g,
    (all, head: string, key: string, value: string) => (literal(key, value) ? `${head}${SECRET}` : all),
  );
  return jvm.replace(
    /^(\s*-*\s*)([A-Za-z0-9_.][A-Za-z0-9_.-]*)(\s*[=:][ \t]*)(\S.*?)[ \t]*$/gm,
    (all, lead: string, key: string, sep: string, value: string) =>
      literal(key, value) && !/^[|>][-+]?$/.test(value) ? `${lead}${key}${sep}${SECRET}` : all,
  );
}

function maskString(v: string, key: string | undefined): string {
  if (key !== undefined && literal(key, v)) return SECRET;
  if (secretInText(v) === undefined) return v;
  const masked = maskText(v);
  // Fail closed: whatever the line rules could not isolate (a bare access key id, a PEM block) hides it all.
  // (The masks themselves read as placeholders for this re-check.)
  return secretInText(masked.split(SECRET).join("${masked}")) === undefined ? masked : SECRET;
}

function maskValue(v: unknown, key: string | undefined): unknown {
  if (v === pulumi.runtime.unknownValue || pulumi.isUnknown(v)) return UNKNOWN;
  if (Array.isArray(v)) return v.map((x) => maskValue(x, undefined));
  if (isPlainObject(v)) {
    const sig = v[SIG];
    if (sig === specialSecretSig) return maskAll(v.value);
    if (sig === specialResourceSig) return typeof v.id === "string" && v.id ? v.id : v.urn;
    if (sig === specialAssetSig || sig === specialArchiveSig) {
      const { [SIG]: _sig, ...rest } = v;
      return rest;
    }
    return maskObject(v);
  }
  if (typeof v === "string") return maskString(v, key);
  if (typeof v === "number" && key !== undefined && isCredentialKey(key)) return SECRET;
  return v;
}

function maskObject(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = maskValue(x, k);
  // { name: "AWS_SECRET_ACCESS_KEY", value: "..." }: the name says what the value is.
  if (typeof o.name === "string" && "value" in o) {
    const value = o.value;
    if (
      typeof value === "string"
        ? literal(o.name, value)
        : typeof value === "number" && isCredentialKey(o.name)
    )
      out.value = SECRET;
  }
  return out;
}

/**
 * The inputs of one resource fit for printing (see the module comment). `inputs` may be the wire form (Pulumi's
 * signature objects for secrets and unknowns) or plain values.
 */
export function maskInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const { __provider: _provider, ...rest } = inputs;
  const out = maskObject(rest);
  if (out.kind === "Secret" && (out.apiVersion === "v1" || out.apiVersion === undefined)) {
    for (const field of ["data", "stringData"])
      if (out[field] !== undefined) out[field] = maskAll(out[field]);
  }
  return out;
}
