/**
 * Keeping secrets out of the support archive, in two layers:
 *
 * 1. **Structural**: every manifest passes through `redactObject`. A Secret keeps its keys, but each value of
 *    `data` / `stringData` becomes `<redacted>`; the `kubectl.kubernetes.io/last-applied-configuration` annotation
 *    (which repeats them) is redacted on every object; credentials in a DynaKube's `spec.proxy.value` are redacted;
 *    `managedFields` are dropped (noise).
 * 2. **By value**: a `Scrubber` knows every secret value the collector read (each Secret value, the string leaves
 *    of values that are JSON, e.g. a docker config's passwords and `auth`) and replaces each of them, and their
 *    base64 form, in every file of the archive: manifests, events, logs, troubleshoot output. A token that leaked
 *    into a log line or an annotation is caught there. Values shorter than `minimumLength` are not scrubbed by
 *    value (they would garble ordinary text); they are still redacted structurally.
 *
 * @since 0.1.0
 */
import { Option, Schema } from "effect"
import type { KubeObject } from "../../services/kube/KubeObject.ts"

/** What replaces a secret value. @category constants @since 0.1.0 */
export const placeholder = "<redacted>"

/** Shorter values are only redacted structurally. @category constants @since 0.1.0 */
export const minimumLength = 8

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

const redactValues = (values: unknown): unknown =>
  values !== null && typeof values === "object"
    ? Object.fromEntries(Object.keys(values).map((key) => [key, placeholder]))
    : values

/** `scheme://user:password@host` → `scheme://<redacted>@host`. @category redaction @since 0.1.0 */
export const redactUrlCredentials = (url: string): string =>
  url.replace(/^([a-zA-Z][\w+.-]*:\/\/)?[^/@\s]*@/, `$1${placeholder}@`)

/**
 * A manifest as it may go into the archive.
 * @category redaction
 * @since 0.1.0
 */
export const redactObject = (object: KubeObject): KubeObject => {
  const { managedFields: _managedFields, ...metadata } = object.metadata ?? {}
  const annotations = metadata.annotations
  const cleaned: Record<string, unknown> = {
    ...object,
    ...(object.metadata === undefined
      ? {}
      : {
          metadata: {
            ...metadata,
            ...(annotations !== undefined && lastApplied in annotations
              ? { annotations: { ...annotations, [lastApplied]: placeholder } }
              : {})
          }
        })
  }
  if (object.kind === "Secret") {
    if ("data" in cleaned) cleaned["data"] = redactValues(cleaned["data"])
    if ("stringData" in cleaned) cleaned["stringData"] = redactValues(cleaned["stringData"])
  }
  if (object.kind === "DynaKube") {
    const spec = cleaned["spec"] as { proxy?: { value?: unknown } } | undefined
    const value = spec?.proxy?.value
    if (typeof value === "string" && value !== "") {
      cleaned["spec"] = { ...spec, proxy: { ...spec?.proxy, value: redactUrlCredentials(value) } }
    }
  }
  return cleaned as KubeObject
}

const decodeJson = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))

/** The string leaves of a JSON text (empty when it is not JSON). */
const jsonLeaves = (text: string): ReadonlyArray<string> => {
  const trimmed = text.trim()
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return []
  const parsed = decodeJson(trimmed)
  if (Option.isNone(parsed)) return []
  const out: Array<string> = []
  const walk = (value: unknown): void => {
    if (typeof value === "string") out.push(value)
    else if (Array.isArray(value)) value.forEach(walk)
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk)
  }
  walk(parsed.value)
  return out
}

/** The secret values of a Secret object (decoded), and their JSON string leaves. @category scrubbing @since 0.1.0 */
export const secretValues = (secret: KubeObject): ReadonlyArray<string> => {
  const s = secret as KubeObject & {
    readonly data?: Readonly<Record<string, string>> | null
    readonly stringData?: Readonly<Record<string, string>> | null
  }
  const decoded = [
    ...Object.values(s.data ?? {}).map((v) => Buffer.from(v, "base64").toString("utf8")),
    ...Object.values(s.stringData ?? {})
  ]
  return [...decoded, ...decoded.flatMap(jsonLeaves)]
}

/** Replaces known secret values in text. @category models @since 0.1.0 */
export interface Scrubber {
  /** How many distinct values (and encodings) it replaces. */
  readonly size: number
  readonly scrub: (text: string) => string
}

/**
 * A scrubber for these values: each value, and its base64 (with and without padding), longest first.
 * @category constructors
 * @since 0.1.0
 */
export const makeScrubber = (values: Iterable<string>): Scrubber => {
  const needles = new Set<string>()
  for (const raw of values) {
    for (const value of [raw, raw.trim()]) {
      if (value.length < minimumLength) continue
      needles.add(value)
      const b64 = Buffer.from(value, "utf8").toString("base64")
      needles.add(b64)
      needles.add(b64.replace(/=+$/, ""))
      needles.add(encodeURIComponent(value))
    }
  }
  const sorted = [...needles].filter((n) => n.length >= minimumLength).toSorted((a, b) => b.length - a.length)
  return {
    size: sorted.length,
    scrub: (text) =>
      sorted.reduce((acc, needle) => (acc.includes(needle) ? acc.split(needle).join(placeholder) : acc), text)
  }
}
