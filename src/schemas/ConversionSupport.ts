/**
 * Building blocks of the version conversions: plain-JSON helpers, JSON Pointers, the
 * `conversion.internal.dynatrace.com/*` annotations, and the "stash" that keeps fields one version has and the
 * other lacks.
 *
 * Conversions work on the raw JSON of an object (a deep copy), not on decoded values: they edit only the fields
 * that differ between two versions and carry everything else across untouched, including fields this code does
 * not know (for example from a newer CRD), so a conversion never loses data it does not understand.
 *
 * A stash is a JSON object from JSON Pointer (RFC 6901) to value, stored in the annotation
 * `conversion.internal.dynatrace.com/<version>-fields` of an object converted *away* from `<version>`. Converting
 * back puts each value where it was — if its parent object still exists and the field is not set — and removes
 * the annotation. Checking the parent keeps a stale stash harmless: when a user switched, say, the OneAgent mode
 * in the older version, the old mode's settings are not resurrected.
 *
 * @since 0.1.0
 */

/**
 * A JSON object (the raw form of a Kubernetes object).
 *
 * @category models
 * @since 0.1.0
 */
export type JsonObject = { [key: string]: unknown }

/**
 * Prefix of the annotations the conversions write.
 *
 * @category annotations
 * @since 0.1.0
 */
export const AnnotationPrefix = "conversion.internal.dynatrace.com/"

/**
 * The annotation holding the fields of `version` that the object's current version cannot express.
 *
 * @category annotations
 * @since 0.1.0
 */
export const fieldsAnnotation = (version: string): string => `${AnnotationPrefix}${version}-fields`

/** @category guards @since 0.1.0 */
export const isRecord = (u: unknown): u is JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)

/** A deep copy of plain JSON. */
export const clone = <A>(value: A): A => structuredClone(value)

/** Deep equality of plain JSON values (key order of objects does not matter). */
export const jsonEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
  }
  return false
}

/**
 * A path into a JSON object, as the object keys from the root.
 *
 * @category models
 * @since 0.1.0
 */
export type Path = ReadonlyArray<string>

/** Encodes a path as a JSON Pointer. */
export const toPointer = (path: Path): string =>
  path.map((s) => `/${s.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("")

/** Decodes a JSON Pointer; `undefined` when it is not one. */
export const fromPointer = (pointer: string): Path | undefined =>
  pointer.startsWith("/")
    ? pointer
        .slice(1)
        .split("/")
        .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
    : undefined

/** The object at `path` (every step an object), or `undefined`. */
export const objectAt = (root: unknown, path: Path): JsonObject | undefined => {
  let current: unknown = root
  for (const key of path) {
    if (!isRecord(current)) return undefined
    current = current[key]
  }
  return isRecord(current) ? current : undefined
}

/** The value at `path`, or `undefined`. */
export const valueAt = (root: unknown, path: Path): unknown => {
  if (path.length === 0) return root
  const parent = objectAt(root, path.slice(0, -1))
  return parent?.[path[path.length - 1]!]
}

/** Creates the objects along `path` that are missing; `undefined` when a non-object is in the way. */
export const ensureObjectAt = (root: JsonObject, path: Path): JsonObject | undefined => {
  let current: JsonObject = root
  for (const key of path) {
    const next = current[key]
    if (next === undefined) {
      const created: JsonObject = {}
      current[key] = created
      current = created
    } else if (isRecord(next)) {
      current = next
    } else {
      return undefined
    }
  }
  return current
}

/**
 * Fields of one version collected while converting away from it, keyed by JSON Pointer.
 *
 * @category stash
 * @since 0.1.0
 */
export class Stash {
  readonly entries = new Map<string, unknown>()

  /** Moves the field at `path` (if present) out of `root` into the stash. */
  take(root: JsonObject, path: Path): void {
    const parent = objectAt(root, path.slice(0, -1))
    const key = path[path.length - 1]!
    if (parent === undefined || !Object.hasOwn(parent, key)) return
    this.entries.set(toPointer(path), parent[key])
    delete parent[key]
  }

  /** Records a value without removing anything. */
  put(path: Path, value: unknown): void {
    this.entries.set(toPointer(path), value)
  }

  /** Writes the stash into `annotation` of `object` (or nothing when empty). */
  writeTo(object: JsonObject, annotation: string): void {
    if (this.entries.size === 0) return
    const sorted = Object.fromEntries([...this.entries].toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    setAnnotation(object, annotation, JSON.stringify(sorted))
  }

  /**
   * Reads and removes the stash in `annotation` of `object`. An annotation that is not a JSON object of
   * pointers is left in place and yields an empty stash: we never drop data we cannot read.
   */
  static takeFrom(object: JsonObject, annotation: string): Stash {
    const stash = new Stash()
    const raw = getAnnotation(object, annotation)
    if (raw === undefined) return stash
    let parsed: unknown
    try {
      parsed = JSON.parse(raw)
    } catch {
      return stash
    }
    if (!isRecord(parsed) || Object.keys(parsed).some((k) => fromPointer(k) === undefined)) return stash
    for (const [pointer, value] of Object.entries(parsed)) stash.entries.set(pointer, value)
    deleteAnnotation(object, annotation)
    return stash
  }

  /** Removes and returns the entry for `path`. */
  pop(path: Path): { readonly value: unknown } | undefined {
    const pointer = toPointer(path)
    if (!this.entries.has(pointer)) return undefined
    const value = this.entries.get(pointer)
    this.entries.delete(pointer)
    return { value }
  }

  /** Puts every entry back where its parent object exists and the field is unset. */
  restoreInto(root: JsonObject): void {
    for (const [pointer, value] of this.entries) {
      const path = fromPointer(pointer)!
      const parent = objectAt(root, path.slice(0, -1))
      const key = path[path.length - 1]!
      if (parent !== undefined && !Object.hasOwn(parent, key)) parent[key] = value
    }
    this.entries.clear()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Annotations

/** The value of an annotation when it is a string. */
export const getAnnotation = (object: JsonObject, key: string): string | undefined => {
  const value = objectAt(object, ["metadata", "annotations"])?.[key]
  return typeof value === "string" ? value : undefined
}

/** Sets an annotation, creating `metadata.annotations` when needed. */
export const setAnnotation = (object: JsonObject, key: string, value: string): void => {
  const annotations = ensureObjectAt(object, ["metadata", "annotations"])
  if (annotations !== undefined) annotations[key] = value
}

/**
 * Removes an annotation; removes the then-empty annotations map (and metadata) too: the apiserver never stores
 * an empty one, so an empty map and no map are the same object.
 */
export const deleteAnnotation = (object: JsonObject, key: string): void => {
  const metadata = objectAt(object, ["metadata"])
  const annotations = objectAt(metadata, ["annotations"])
  if (metadata === undefined || annotations === undefined) return
  delete annotations[key]
  if (Object.keys(annotations).length === 0) delete metadata["annotations"]
  if (Object.keys(metadata).length === 0) delete object["metadata"]
}
