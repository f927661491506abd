/**
 * Telemetry ingest (`spec.telemetryIngest`): known protocols (an empty list means all), a custom Service name that
 * is a DNS-1035 label without the suffixes of the operator's own Services, and not the Service name of another
 * DynaKube's collector in the namespace.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { TelemetryIngestProtocols } from "../../../../schemas/DynaKubeV1beta6.ts"
import * as Finding from "../Finding.ts"
import { dns1035LabelMaxLength, isDns1035Label } from "../support/KubeNames.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as View from "./View.ts"

/** Suffixes of Services the operator creates. @category constants @since 0.1.0 */
export const forbiddenSuffixes: ReadonlyArray<string> = [
  "-extension-controller",
  "-telemetry-ingest",
  "-activegate",
  "-webhook"
]

/** @category messages @since 0.1.0 */
export const messages = {
  noProtocols: "The DynaKube enables telemetryIngest, so at least one protocol must be given.",
  unknownProtocols: (protocols: ReadonlyArray<string>) =>
    `The DynaKube enables telemetryIngest with unsupported protocols: ${protocols.join(", ")} (supported: ${TelemetryIngestProtocols.join(", ")}).`,
  invalidServiceName: `The DynaKube enables telemetryIngest, but its serviceName is not a DNS-1035 label: at most ${dns1035LabelMaxLength} lower-case alphanumeric characters or '-', starting with a letter and ending with an alphanumeric character.`,
  forbiddenSuffix: (name: string) =>
    `The DynaKube enables telemetryIngest, but its serviceName ends with a suffix the operator uses for its own Services (${forbiddenSuffixes.join(", ")}). Service name: ${name}`,
  serviceNameInUse: (other: string, name: string) =>
    `The DynaKube enables telemetryIngest, but its Service name is already used by another DynaKube. Conflicting DynaKube: ${other}. Conflicting Service name: ${name}`
} as const

/** @category rules @since 0.1.0 */
export const noProtocols = Finding.error("telemetryIngestNoProtocols", (ctx: DynaKubeContext) =>
  View.isTelemetryIngestEnabled(ctx.spec) && View.telemetryIngestProtocols(ctx.spec).length === 0
    ? messages.noProtocols
    : undefined
)

/** @category rules @since 0.1.0 */
export const unknownProtocols = Finding.error("telemetryIngestUnknownProtocols", (ctx: DynaKubeContext) => {
  const unknown = View.telemetryIngestProtocols(ctx.spec).filter(
    (p) => !(TelemetryIngestProtocols as ReadonlyArray<string>).includes(p)
  )
  return unknown.length > 0 ? messages.unknownProtocols(unknown) : undefined
})

/** @category rules @since 0.1.0 */
export const invalidServiceName = Finding.error("telemetryIngestInvalidServiceName", (ctx: DynaKubeContext) => {
  const name = ctx.spec.telemetryIngest?.serviceName ?? ""
  return View.isTelemetryIngestEnabled(ctx.spec) && name !== "" && !isDns1035Label(name)
    ? messages.invalidServiceName
    : undefined
})

/** @category rules @since 0.1.0 */
export const forbiddenServiceNameSuffix = Finding.error(
  "telemetryIngestForbiddenServiceNameSuffix",
  (ctx: DynaKubeContext) => {
    const name = ctx.spec.telemetryIngest?.serviceName ?? ""
    return View.isTelemetryIngestEnabled(ctx.spec) && name !== "" && forbiddenSuffixes.some((s) => name.endsWith(s))
      ? messages.forbiddenSuffix(name)
      : undefined
  }
)

/** A failed list skips the check. @category rules @since 0.1.0 */
export const serviceNameInUse = Finding.error("telemetryIngestServiceNameInUse", (ctx: DynaKubeContext) => {
  if (!View.isTelemetryIngestEnabled(ctx.spec)) return undefined
  const own = View.telemetryIngestServiceName(ctx.spec, ctx.name)
  return ctx.cluster.dynaKubes.pipe(
    Effect.map((items) => {
      const other = items.find((item) => {
        const name = item.metadata?.name ?? ""
        return (
          name !== ctx.name &&
          View.isTelemetryIngestEnabled(item.spec) &&
          View.telemetryIngestServiceName(item.spec, name) === own
        )
      })
      return other === undefined ? undefined : messages.serviceNameInUse(other.metadata?.name ?? "", own)
    }),
    Effect.orElseSucceed(() => undefined)
  )
})
