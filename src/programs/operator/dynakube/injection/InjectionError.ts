/**
 * What the app-injection phase can report as failed: one `InjectionError` with a `reason`.
 *
 * - `KubeApi` / `DynatraceApi` wrap the boundary errors unchanged (so a caller can still ask `isUnreachable` of
 *   a tenant error and requeue in a minute, spec §2.2.1 step 5).
 * - `NamespaceConflict`: namespaces matched by this DynaKube and another one with injection features. Such a
 *   namespace is not fought over: it keeps the owner it has (or stays unlabelled), and every DynaKube involved
 *   reports the conflict until the selectors are fixed.
 * - `InvalidConfig`: the DynaKube or its referenced objects cannot yield a configuration (no data-ingest token for
 *   the OTLP exporter, an ActiveGate TLS secret without a certificate, no tenant UUID for the in-cluster ingest
 *   URL).
 *
 * Messages never contain token values.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { DynatraceApiError } from "../../../../services/DynatraceApiError.ts"
import { KubeApiError } from "../../../../services/KubeApiError.ts"

/** An apiserver request failed. @category reasons @since 0.1.0 */
export class KubeApi extends Schema.TaggedError<KubeApi>()("KubeApi", {
  error: KubeApiError
}) {
  override get message(): string {
    return this.error.message
  }
}

/** A tenant request failed. @category reasons @since 0.1.0 */
export class DynatraceApi extends Schema.TaggedError<DynatraceApi>()("DynatraceApi", {
  error: DynatraceApiError
}) {
  override get message(): string {
    return this.error.message
  }
}

/** One namespace claimed by more than one DynaKube with injection features. @category models @since 0.1.0 */
export const Conflict = Schema.Struct({
  namespace: Schema.String,
  /** Every DynaKube whose selectors match the namespace, sorted. */
  dynakubes: Schema.Array(Schema.String),
  /** The DynaKube named by the namespace's instance label, if any (it keeps the namespace). */
  owner: Schema.optionalKey(Schema.String)
})
/** @category models @since 0.1.0 */
export type Conflict = typeof Conflict.Type

/** At most this many conflicts are spelled out in a message. */
const maxListed = 10

/** Namespaces matched by several DynaKubes with injection features. @category reasons @since 0.1.0 */
export class NamespaceConflict extends Schema.TaggedError<NamespaceConflict>()("NamespaceConflict", {
  conflicts: Schema.Array(Conflict)
}) {
  override get message(): string {
    const listed = this.conflicts.slice(0, maxListed).map((c) => {
      const keeps = c.owner === undefined ? "left unlabelled" : `kept by ${c.owner}`
      return `namespace ${c.namespace} matches DynaKubes ${c.dynakubes.join(", ")} (${keeps})`
    })
    const more = this.conflicts.length > maxListed ? `; and ${this.conflicts.length - maxListed} more` : ""
    return (
      `${listed.join("; ")}${more}. A namespace can be mapped to only one DynaKube with code-module injection, ` +
      "metadata enrichment or OTLP exporter configuration: refine the namespace labels or the DynaKubes' namespaceSelectors"
    )
  }
}

/** The DynaKube's configuration cannot be turned into the secrets. @category reasons @since 0.1.0 */
export class InvalidConfig extends Schema.TaggedError<InvalidConfig>()("InvalidConfig", {
  message: Schema.String
}) {}

/** @category models @since 0.1.0 */
export const InjectionErrorReason = Schema.Union([KubeApi, DynatraceApi, NamespaceConflict, InvalidConfig])
/** @category models @since 0.1.0 */
export type InjectionErrorReason = typeof InjectionErrorReason.Type

/**
 * A failed step of the injection phase: which step (`step`, e.g. `"bootstrapper-config"`) and why.
 * @category errors
 * @since 0.1.0
 */
export class InjectionError extends Schema.TaggedError<InjectionError>()("InjectionError", {
  step: Schema.String,
  reason: InjectionErrorReason
}) {
  override get message(): string {
    return `${this.step}: ${this.reason.message}`
  }
}

/** @category constructors @since 0.1.0 */
export const fromKube = (step: string) => (error: KubeApiError) =>
  new InjectionError({ step, reason: new KubeApi({ error }) })

/** @category constructors @since 0.1.0 */
export const fromTenant = (step: string) => (error: DynatraceApiError) =>
  new InjectionError({ step, reason: new DynatraceApi({ error }) })

/** @category constructors @since 0.1.0 */
export const invalidConfig = (step: string, message: string) =>
  new InjectionError({ step, reason: new InvalidConfig({ message }) })
