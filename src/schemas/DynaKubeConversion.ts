/**
 * DynaKube conversion between the spoke `v1beta5` and the hub `v1beta6`.
 *
 * Rules (spec §1.1; see also docs/crds.md):
 * - `spec.oneAgent.<mode>.autoUpdate` of the active host mode (the first of classicFullStack,
 *   cloudNativeFullStack, applicationMonitoring, hostMonitoring that is set, as the original decides) moves to the
 *   annotation `conversion.internal.dynatrace.com/auto-update` (JSON bool) and back.
 * - `spec.extensions: {}` (Prometheus) becomes `spec.extensions.prometheus: {}` and back.
 * - A v1beta5 object without an OTel collector image but with telemetryIngest or extensions gets the public
 *   collector image in v1beta6 and the annotation `conversion.internal.dynatrace.com/default-otelc-image: "true"`;
 *   going back removes both while the image is still that default.
 * - v1beta6-only fields are stashed in `conversion.internal.dynatrace.com/v1beta6-fields` on the v1beta5 object
 *   and v1beta5-only fields (status.dynatraceApi, status.oneAgent.connectionInfoStatus.communicationHosts,
 *   autoUpdate of inactive modes) in `conversion.internal.dynatrace.com/v1beta5-fields` on the v1beta6 object,
 *   so spoke -> hub -> spoke and hub -> spoke -> hub both give back the object they started from.
 *
 * Status stashes only survive writes through the main resource: a status-subresource write cannot change
 * annotations. Only outdated operators write a v1beta5 status, and the fields involved are bookkeeping.
 *
 * @since 0.1.0
 */
import {
  AnnotationPrefix,
  clone,
  deleteAnnotation,
  ensureObjectAt,
  fieldsAnnotation,
  getAnnotation,
  isRecord,
  type JsonObject,
  objectAt,
  type Path,
  setAnnotation,
  Stash
} from "./ConversionSupport.ts"
import * as V5 from "./DynaKubeV1beta5.ts"
import * as V6 from "./DynaKubeV1beta6.ts"

/**
 * Annotation with the JSON bool of v1beta5's `spec.oneAgent.<mode>.autoUpdate`.
 *
 * @category annotations
 * @since 0.1.0
 */
export const AutoUpdateAnnotation = `${AnnotationPrefix}auto-update`

/**
 * Annotation set to `true` when the converter filled in the default OTel collector image.
 *
 * @category annotations
 * @since 0.1.0
 */
export const DefaultOtelImageAnnotation = `${AnnotationPrefix}default-otelc-image`

/** @category constants @since 0.1.0 */
export const DefaultOtelCollectorImage = {
  repository: "public.ecr.aws/dynatrace/dynatrace-otel-collector",
  tag: "latest"
} as const

/** Modes in the order the original picks the active one. */
const modes = ["classicFullStack", "cloudNativeFullStack", "applicationMonitoring", "hostMonitoring"] as const
const hostModes: ReadonlyArray<string> = ["classicFullStack", "cloudNativeFullStack", "hostMonitoring"]

/** The first mode that is set (`null` counts as unset, as a nil pointer does). */
const activeMode = (spec: JsonObject | undefined): string | undefined => {
  const oneAgent = objectAt(spec, ["oneAgent"])
  return modes.find((mode) => oneAgent?.[mode] !== undefined && oneAgent[mode] !== null)
}

/** Fields v1beta6 has and v1beta5 lacks, below `spec` / `status`. */
const hubOnlyPaths: ReadonlyArray<Path> = [
  ["spec", "publicRegistryOverride"],
  ["spec", "resourceAttributes"],
  ["spec", "kubernetesMonitoring"],
  ["spec", "otlpExporterConfiguration"],
  ["spec", "metadataEnrichment", "initResources"],
  ...modes.map((mode) => ["spec", "oneAgent", mode, "additionalResourceAttributes"]),
  ...hostModes.flatMap((mode) => [
    ["spec", "oneAgent", mode, "imagePullPolicy"],
    ["spec", "oneAgent", mode, "rollingUpdate"]
  ]),
  ["spec", "oneAgent", "cloudNativeFullStack", "codeModulesImagePullPolicy"],
  ["spec", "oneAgent", "applicationMonitoring", "codeModulesImagePullPolicy"],
  ["spec", "activeGate", "imagePullPolicy"],
  ["spec", "activeGate", "rollingUpdate"],
  ["spec", "activeGate", "volumes"],
  ["spec", "activeGate", "volumeMounts"],
  ["spec", "templates", "logMonitoring", "rollingUpdate"],
  ["spec", "templates", "otelCollector", "nodeSelector"],
  ["spec", "templates", "sqlExtensionExecutor"],
  ["status", "apiToken"],
  ["status", "kubernetesMonitoring"]
]

/** Fields v1beta5 has and v1beta6 lacks (besides autoUpdate, which has its own annotation). */
const spokeOnlyPaths: ReadonlyArray<Path> = [
  ["status", "dynatraceApi"],
  ["status", "oneAgent", "connectionInfoStatus", "communicationHosts"]
]

const extensionsPath: Path = ["spec", "extensions"]
const otelImagePath: Path = ["spec", "templates", "otelCollector", "imageRef"]

/**
 * Stash entry (in the v1beta6 stash) saying "the v1beta6 object had no OTel collector image": the way back then
 * does not fill in the default. Popped, never restored.
 */
const noDefaultOtelImageMarker: Path = ["metadata", "annotations", DefaultOtelImageAnnotation]

const isPresent = (u: unknown): boolean => u !== undefined && u !== null

/** Whether a v1beta5 spec makes the up-conversion fill in the OTel collector image. */
const needsDefaultOtelImage = (spec: JsonObject | undefined): boolean => {
  if (spec === undefined || !(isPresent(spec["telemetryIngest"]) || isPresent(spec["extensions"]))) return false
  const imageRef = objectAt(spec, otelImagePath.slice(1))
  if (imageRef !== undefined) {
    return imageRef["repository"] === undefined && imageRef["tag"] === undefined && imageRef["digest"] === undefined
  }
  // Without an imageRef object the path must be creatable.
  let current: unknown = spec
  for (const key of otelImagePath.slice(1)) {
    if (!isRecord(current)) return false
    current = current[key]
    if (current === undefined) return true
  }
  return false
}

/**
 * Removes the empty containers along templates.otelCollector.imageRef, innermost first; returns the outermost
 * path removed.
 */
const pruneEmptyOtelContainers = (object: JsonObject): Path | undefined => {
  let removed: Path | undefined
  for (let depth = otelImagePath.length; depth > 1; depth--) {
    const path = otelImagePath.slice(0, depth)
    const node = objectAt(object, path)
    if (node === undefined || Object.keys(node).length > 0) break
    delete objectAt(object, path.slice(0, -1))![path[depth - 1]!]
    removed = path
  }
  return removed
}

/**
 * Converts a raw v1beta5 DynaKube to v1beta6. Total on any JSON object; the input is not modified.
 *
 * @category converting
 * @since 0.1.0
 */
export const toHub = (source: JsonObject): JsonObject => {
  const object = clone(source)
  object["apiVersion"] = V6.apiVersion
  const hubFields = Stash.takeFrom(object, fieldsAnnotation(V6.version))
  const spokeFields = new Stash()
  const spec = objectAt(object, ["spec"])

  // autoUpdate: the active mode's goes to its annotation, any other mode's to the stash.
  const active = activeMode(spec)
  for (const mode of hostModes) {
    const modeSpec = objectAt(spec, ["oneAgent", mode])
    if (modeSpec === undefined || !Object.hasOwn(modeSpec, "autoUpdate")) continue
    if (mode === active) {
      setAnnotation(object, AutoUpdateAnnotation, JSON.stringify(modeSpec["autoUpdate"]))
      delete modeSpec["autoUpdate"]
    } else {
      spokeFields.take(object, ["spec", "oneAgent", mode, "autoUpdate"])
    }
  }

  for (const path of spokeOnlyPaths) spokeFields.take(object, path)

  // The default OTel collector image, decided on the v1beta5 content, unless the v1beta6 object this one came
  // from had no image either.
  const keepWithoutImage = hubFields.pop(noDefaultOtelImageMarker)
  if (spec !== undefined && keepWithoutImage === undefined && needsDefaultOtelImage(spec)) {
    // The way back prunes the containers it finds empty; remember the outermost one that existed here.
    const probe = clone(spec)
    ensureObjectAt(probe, otelImagePath.slice(1))
    const pruned = pruneEmptyOtelContainers({ spec: probe })
    if (pruned !== undefined) {
      const before = objectAt(spec, pruned.slice(1, -1))?.[pruned[pruned.length - 1]!]
      if (before !== undefined) spokeFields.put(pruned, clone(before))
    }
    Object.assign(ensureObjectAt(spec, otelImagePath.slice(1))!, DefaultOtelCollectorImage)
    setAnnotation(object, DefaultOtelImageAnnotation, "true")
  }

  // extensions: {} -> extensions.prometheus: {}
  const extensions = objectAt(object, extensionsPath)
  if (extensions !== undefined) extensions["prometheus"] = {}

  const stashedExtensions = hubFields.pop(extensionsPath)
  if (stashedExtensions !== undefined && spec !== undefined && isRecord(stashedExtensions.value)) {
    const restored = clone(stashedExtensions.value)
    if (extensions !== undefined) {
      if (!isPresent(restored["prometheus"])) restored["prometheus"] = {}
    } else if (isPresent(restored["prometheus"])) {
      delete restored["prometheus"]
    }
    spec["extensions"] = restored
  }

  hubFields.restoreInto(object)
  spokeFields.writeTo(object, fieldsAnnotation(V5.version))
  return object
}

/**
 * Converts a raw v1beta6 DynaKube to v1beta5. Total on any JSON object; the input is not modified.
 *
 * @category converting
 * @since 0.1.0
 */
export const fromHub = (source: JsonObject): JsonObject => {
  const object = clone(source)
  object["apiVersion"] = V5.apiVersion
  const spokeFields = Stash.takeFrom(object, fieldsAnnotation(V5.version))
  const hubFields = new Stash()
  const spec = objectAt(object, ["spec"])

  for (const path of hubOnlyPaths) hubFields.take(object, path)

  // extensions.prometheus: {} -> extensions: {}. What v1beta5 cannot say (databases, a non-empty or null
  // prometheus) is stashed whole; fields neither version knows are carried across.
  const extensions = objectAt(object, extensionsPath)
  if (extensions !== undefined && spec !== undefined) {
    const { prometheus, databases: _databases, ...rest } = extensions
    const representable =
      !Object.hasOwn(extensions, "databases") && isRecord(prometheus) && Object.keys(prometheus).length === 0
    if (!representable) hubFields.put(extensionsPath, clone(extensions))
    if (isPresent(prometheus)) spec["extensions"] = rest
    else delete spec["extensions"]
  }

  // autoUpdate back onto the active host mode.
  const autoUpdate = getAnnotation(object, AutoUpdateAnnotation)
  const active = activeMode(spec)
  const activeSpec =
    active !== undefined && hostModes.includes(active) ? objectAt(spec, ["oneAgent", active]) : undefined
  if (autoUpdate !== undefined && activeSpec !== undefined && !Object.hasOwn(activeSpec, "autoUpdate")) {
    const value = parseJsonBool(autoUpdate)
    if (value !== undefined) {
      activeSpec["autoUpdate"] = value
      deleteAnnotation(object, AutoUpdateAnnotation)
    }
  }

  // The default OTel collector image the up-conversion filled in, while it is still that default and the
  // up-conversion would fill it in again.
  let removedDefaultImage = false
  if (getAnnotation(object, DefaultOtelImageAnnotation) === "true" && spec !== undefined) {
    const imageRef = objectAt(spec, otelImagePath.slice(1))
    if (
      imageRef !== undefined &&
      imageRef["repository"] === DefaultOtelCollectorImage.repository &&
      imageRef["tag"] === DefaultOtelCollectorImage.tag
    ) {
      const withoutDefault = clone(imageRef)
      delete withoutDefault["repository"]
      delete withoutDefault["tag"]
      const probe = clone(spec)
      Object.assign(objectAt(probe, otelImagePath.slice(1, -1))!, { imageRef: withoutDefault })
      if (needsDefaultOtelImage(probe)) {
        delete imageRef["repository"]
        delete imageRef["tag"]
        pruneEmptyOtelContainers(object)
        deleteAnnotation(object, DefaultOtelImageAnnotation)
        removedDefaultImage = true
      }
    }
  }

  // Without an image here, the way back must not fill one in.
  if (!removedDefaultImage && spec !== undefined && needsDefaultOtelImage(spec)) {
    hubFields.put(noDefaultOtelImageMarker, false)
  }

  spokeFields.restoreInto(object)
  hubFields.writeTo(object, fieldsAnnotation(V6.version))
  return object
}

const parseJsonBool = (text: string): boolean | undefined =>
  text === "true" ? true : text === "false" ? false : undefined

/**
 * Typed v1beta5 -> v1beta6. A v1beta5 object without `spec` gives a v1beta6 object without `spec`, which the
 * apiserver rejects just as it would have needed one.
 *
 * @category converting
 * @since 0.1.0
 */
export const v1beta5ToV1beta6 = (dynakube: V5.DynaKube): V6.DynaKube => toHub(dynakube as JsonObject) as V6.DynaKube

/**
 * Typed v1beta6 -> v1beta5.
 *
 * @category converting
 * @since 0.1.0
 */
export const v1beta6ToV1beta5 = (dynakube: V6.DynaKube): V5.DynaKube => fromHub(dynakube as JsonObject) as V5.DynaKube
