/**
 * Token scope lookup (spec §6.2 #1): `POST /v2/apiTokens/lookup` with `{"token":"<token to inspect>"}`, authenticated
 * with the API token; the answer's `scopes[]` decides which features a DynaKube may use (spec §2.2.2).
 *
 * The request body contains a token value, so it is built from a `Redacted` right before sending and never logged.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** Endpoint path. */
export const path = "/v2/apiTokens/lookup"

/** The fields of the lookup answer the operator uses (the tenant sends more: id, name, owner, dates, …). */
export const TokenLookupResponse = Schema.Struct({
  scopes: Schema.Array(Schema.String)
})

/** @category models */
export type TokenLookupResponse = typeof TokenLookupResponse.Type

/** Scopes the operator checks for (spec §2.2.2). */
export const Scopes = {
  DataExport: "DataExport",
  InstallerDownload: "InstallerDownload",
  ActiveGateTokenCreate: "activeGateTokenManagement.create",
  SettingsRead: "settings.read",
  SettingsWrite: "settings.write",
  MetricsIngest: "metrics.ingest",
  LogsIngest: "logs.ingest",
  OpenTelemetryTraceIngest: "openTelemetryTrace.ingest"
} as const

/** The scopes of `required` that `granted` lacks, in the order of `required`. */
export const missingScopes = (granted: ReadonlyArray<string>, required: ReadonlyArray<string>): ReadonlyArray<string> =>
  required.filter((scope) => !granted.includes(scope))
