/**
 * Connection info of OneAgents and ActiveGates (spec §6.2 #2, #3).
 *
 * - OneAgent: `GET /v1/deployment/installer/agent/connectioninfo[?networkZone=<zone>&defaultZoneFallback=true]`
 *   (PaaS token) → `tenantUUID`, `tenantToken`, `communicationEndpoints[]`. The endpoints are trimmed, de-duplicated
 *   and joined with `;` (the form written into `communication-endpoints` and `DT_SERVER`).
 * - ActiveGate: `GET /v1/deployment/installer/gateway/connectioninfo` (PaaS token) → the same fields, with
 *   `communicationEndpoints` already one `;`-separated string.
 *
 * The tenant token is a secret and decodes straight into `Redacted`. An answer without tenant UUID, tenant token or
 * endpoints is "empty": it is returned (the reconciler reports `EmptyCommunicationHosts`) but never cached.
 *
 * @since 0.1.0
 */
import { Redacted, Schema } from "effect"

/** Endpoint paths. */
export const oneAgentPath = "/v1/deployment/installer/agent/connectioninfo"
export const activeGatePath = "/v1/deployment/installer/gateway/connectioninfo"

const OptionalString = Schema.optional(Schema.NullOr(Schema.String))

/** The OneAgent answer as the tenant sends it. */
export const OneAgentConnectionInfoResponse = Schema.Struct({
  tenantUUID: OptionalString,
  tenantToken: Schema.optional(Schema.NullOr(Schema.RedactedFromValue(Schema.String))),
  communicationEndpoints: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
})

/** The ActiveGate answer as the tenant sends it. */
export const ActiveGateConnectionInfoResponse = Schema.Struct({
  tenantUUID: OptionalString,
  tenantToken: Schema.optional(Schema.NullOr(Schema.RedactedFromValue(Schema.String))),
  communicationEndpoints: OptionalString
})

/** Connection info as the operator uses it. */
export interface ConnectionInfo {
  readonly tenantUUID: string
  readonly tenantToken: Redacted.Redacted<string>
  /** Trimmed, de-duplicated endpoints in tenant order. */
  readonly communicationEndpoints: ReadonlyArray<string>
  /** The endpoints joined with `;`. */
  readonly endpoints: string
}

/** Trims, drops empties, de-duplicates (first occurrence wins). */
export const normalizeEndpoints = (endpoints: ReadonlyArray<string>): ReadonlyArray<string> => [
  ...new Set(endpoints.map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== ""))
]

const make = (
  tenantUUID: string | null | undefined,
  tenantToken: Redacted.Redacted<string> | null | undefined,
  endpoints: ReadonlyArray<string>
): ConnectionInfo => {
  const communicationEndpoints = normalizeEndpoints(endpoints)
  return {
    tenantUUID: tenantUUID?.trim() ?? "",
    tenantToken: tenantToken ?? Redacted.make(""),
    communicationEndpoints,
    endpoints: communicationEndpoints.join(";")
  }
}

/** From the OneAgent answer. */
export const fromOneAgent = (response: typeof OneAgentConnectionInfoResponse.Type): ConnectionInfo =>
  make(response.tenantUUID, response.tenantToken, response.communicationEndpoints ?? [])

/** From the ActiveGate answer. */
export const fromActiveGate = (response: typeof ActiveGateConnectionInfoResponse.Type): ConnectionInfo =>
  make(response.tenantUUID, response.tenantToken, (response.communicationEndpoints ?? "").split(";"))

/** Connection info with nothing in it (what a 400 "unknown network zone" means to the operator). */
export const empty: ConnectionInfo = make("", undefined, [])

/** True when tenant UUID, tenant token or endpoints are missing. */
export const isEmpty = (info: ConnectionInfo): boolean =>
  info.tenantUUID === "" || Redacted.value(info.tenantToken) === "" || info.communicationEndpoints.length === 0
