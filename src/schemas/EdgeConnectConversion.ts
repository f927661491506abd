/**
 * EdgeConnect conversion between the spoke `v1alpha1` and the hub `v1alpha2`.
 *
 * - `spec.hostRestrictions` is a comma-separated string in v1alpha1 and a list in v1alpha2 (split on `,`, joined
 *   with `,`; the empty string is the empty list). A list the string cannot hold exactly (entries containing a
 *   comma, a single empty entry) is also stashed, and restored while the string still says the same.
 * - `spec.imageRef.digest` and `spec.imageRef.pullPolicy` exist only in v1alpha2 and are stashed in
 *   `conversion.internal.dynatrace.com/v1alpha2-fields` on the v1alpha1 object.
 *
 * @since 0.1.0
 */
import { clone, fieldsAnnotation, jsonEqual, type JsonObject, objectAt, type Path, Stash } from "./ConversionSupport.ts"
import * as V1 from "./EdgeConnectV1alpha1.ts"
import * as V2 from "./EdgeConnectV1alpha2.ts"

const hostRestrictionsPath: Path = ["spec", "hostRestrictions"]
const hubOnlyPaths: ReadonlyArray<Path> = [
  ["spec", "imageRef", "digest"],
  ["spec", "imageRef", "pullPolicy"]
]

/** v1alpha1's string form of the host restrictions. */
export const splitHostRestrictions = (text: string): ReadonlyArray<string> => (text === "" ? [] : text.split(","))

/**
 * Converts a raw v1alpha1 EdgeConnect to v1alpha2. Total on any JSON object; the input is not modified.
 *
 * @category converting
 * @since 0.1.0
 */
export const toHub = (source: JsonObject): JsonObject => {
  const object = clone(source)
  object["apiVersion"] = V2.apiVersion
  const hubFields = Stash.takeFrom(object, fieldsAnnotation(V2.version))
  const spec = objectAt(object, ["spec"])

  const text = spec?.["hostRestrictions"]
  if (spec !== undefined && typeof text === "string") {
    const list = hubFields.pop(hostRestrictionsPath)?.value
    spec["hostRestrictions"] =
      Array.isArray(list) && list.every((x) => typeof x === "string") && list.join(",") === text
        ? list
        : splitHostRestrictions(text)
  }

  hubFields.restoreInto(object)
  return object
}

/**
 * Converts a raw v1alpha2 EdgeConnect to v1alpha1. Total on any JSON object; the input is not modified.
 *
 * @category converting
 * @since 0.1.0
 */
export const fromHub = (source: JsonObject): JsonObject => {
  const object = clone(source)
  object["apiVersion"] = V1.apiVersion
  const hubFields = new Stash()
  for (const path of hubOnlyPaths) hubFields.take(object, path)

  const spec = objectAt(object, ["spec"])
  const list = spec?.["hostRestrictions"]
  if (spec !== undefined && Array.isArray(list) && list.every((x) => typeof x === "string")) {
    const text = list.join(",")
    spec["hostRestrictions"] = text
    if (!jsonEqual(splitHostRestrictions(text), list)) hubFields.put(hostRestrictionsPath, clone(list))
  } else {
    // Not a list of strings: v1alpha1 has no place for it.
    hubFields.take(object, hostRestrictionsPath)
  }

  hubFields.writeTo(object, fieldsAnnotation(V2.version))
  return object
}

/**
 * Typed v1alpha1 -> v1alpha2.
 *
 * @category converting
 * @since 0.1.0
 */
export const v1alpha1ToV1alpha2 = (edgeConnect: V1.EdgeConnect): V2.EdgeConnect =>
  toHub(edgeConnect as JsonObject) as V2.EdgeConnect

/**
 * Typed v1alpha2 -> v1alpha1.
 *
 * @category converting
 * @since 0.1.0
 */
export const v1alpha2ToV1alpha1 = (edgeConnect: V2.EdgeConnect): V1.EdgeConnect =>
  fromHub(edgeConnect as JsonObject) as V1.EdgeConnect
