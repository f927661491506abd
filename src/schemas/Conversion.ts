/**
 * Conversion of Dynatrace custom resources between every served version, as the `/convert` webhook needs it:
 * `convert(object, desiredApiVersion)`. Conversions are hub and spoke: a spoke version converts to the hub
 * (storage) version and back; spoke to spoke goes through the hub.
 *
 * | Kind        | hub        | spokes    | rules                     |
 * |-------------|------------|-----------|---------------------------|
 * | DynaKube    | `v1beta6`  | `v1beta5` | `DynaKubeConversion.ts`    |
 * | EdgeConnect | `v1alpha2` | `v1alpha1`| `EdgeConnectConversion.ts` |
 *
 * Conversions are pure and total on JSON objects: fields neither version knows are carried across, and fields
 * only one version has travel in `conversion.internal.dynatrace.com/*` annotations, so converting there and back
 * returns the original object. Only an object that is not a Dynatrace resource of a served version fails.
 *
 * @since 0.1.0
 */
import { Result, Schema } from "effect"
import type { JsonObject } from "./ConversionSupport.ts"
import { isRecord } from "./ConversionSupport.ts"
import * as DynaKubeConversion from "./DynaKubeConversion.ts"
import * as DynaKubeV1beta5 from "./DynaKubeV1beta5.ts"
import * as DynaKubeV1beta6 from "./DynaKubeV1beta6.ts"
import * as EdgeConnectConversion from "./EdgeConnectConversion.ts"
import * as EdgeConnectV1alpha1 from "./EdgeConnectV1alpha1.ts"
import * as EdgeConnectV1alpha2 from "./EdgeConnectV1alpha2.ts"
import { Group } from "./Shared.ts"

/**
 * Why an object could not be converted.
 *
 * - `NotAnObject`: the input is not a JSON object with string `apiVersion` and `kind`.
 * - `UnknownKind`: the kind is not one we convert.
 * - `UnknownVersion`: the object's or the desired apiVersion is not a served version of that kind.
 *
 * @category errors
 * @since 0.1.0
 */
export const ConversionErrorReason = Schema.Literals(["NotAnObject", "UnknownKind", "UnknownVersion"])

/**
 * @category errors
 * @since 0.1.0
 */
export class ConversionError extends Schema.TaggedError<ConversionError>()("ConversionError", {
  reason: ConversionErrorReason,
  message: Schema.String
}) {}

interface KindConversion {
  readonly hub: string
  readonly spokes: Readonly<
    Record<string, { readonly toHub: (o: JsonObject) => JsonObject; readonly fromHub: (o: JsonObject) => JsonObject }>
  >
}

const kinds: Readonly<Record<string, KindConversion>> = {
  [DynaKubeV1beta6.kind]: {
    hub: DynaKubeV1beta6.apiVersion,
    spokes: {
      [DynaKubeV1beta5.apiVersion]: { toHub: DynaKubeConversion.toHub, fromHub: DynaKubeConversion.fromHub }
    }
  },
  [EdgeConnectV1alpha2.kind]: {
    hub: EdgeConnectV1alpha2.apiVersion,
    spokes: {
      [EdgeConnectV1alpha1.apiVersion]: { toHub: EdgeConnectConversion.toHub, fromHub: EdgeConnectConversion.fromHub }
    }
  }
}

/**
 * The apiVersions served for a kind, hub first.
 *
 * @category converting
 * @since 0.1.0
 */
export const servedApiVersions = (kind: string): ReadonlyArray<string> => {
  const conversion = kinds[kind]
  return conversion === undefined ? [] : [conversion.hub, ...Object.keys(conversion.spokes)]
}

/**
 * Converts a Dynatrace custom resource (raw JSON, any served version) to `desiredApiVersion` (e.g.
 * `dynatrace.com/v1beta5`). The input is not modified; converting to the version the object already has returns
 * a copy.
 *
 * @category converting
 * @since 0.1.0
 */
export const convert = (object: unknown, desiredApiVersion: string): Result.Result<JsonObject, ConversionError> => {
  if (!isRecord(object) || typeof object["apiVersion"] !== "string" || typeof object["kind"] !== "string") {
    return Result.fail(
      new ConversionError({ reason: "NotAnObject", message: "Expected an object with a string apiVersion and kind." })
    )
  }
  const kind = object["kind"]
  const conversion = kinds[kind]
  if (conversion === undefined) {
    return Result.fail(
      new ConversionError({ reason: "UnknownKind", message: `Kind ${kind} is not a ${Group} kind that converts.` })
    )
  }
  const served = servedApiVersions(kind)
  for (const version of [object["apiVersion"], desiredApiVersion]) {
    if (!served.includes(version)) {
      return Result.fail(
        new ConversionError({
          reason: "UnknownVersion",
          message: `${version} is not a served version of ${kind} (served: ${served.join(", ")}).`
        })
      )
    }
  }
  const source = object["apiVersion"]
  if (source === desiredApiVersion) return Result.succeed(structuredClone(object))
  const hub = source === conversion.hub ? object : conversion.spokes[source]!.toHub(object)
  return Result.succeed(desiredApiVersion === conversion.hub ? hub : conversion.spokes[desiredApiVersion]!.fromHub(hub))
}
