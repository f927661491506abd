/**
 * Test support for the unit tests of DynaKube phases (not shipped code): a `ReconcileScope` over a DynaKube
 * `dk/dynatrace` with the operator's default settings, and a tenant context whose client talks to the tenant
 * simulator with a classic API token (no PaaS or data-ingest token, settings scopes as given).
 *
 * @since 0.1.0
 */
import { Effect, Redacted } from "effect"
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { DynatraceApi } from "../../../services/DynatraceApi.ts"
import * as FeatureFlags from "../dynakube/FeatureFlags.ts"
import * as Features from "../dynakube/Features.ts"
import type { ReconcileScope, TenantContext } from "../dynakube/ReconcileScope.ts"
import * as OperatorConfig from "../OperatorConfig.ts"

/** The operator's settings with every variable unset (the defaults). */
export const defaultConfig: OperatorConfig.OperatorConfig = Effect.runSync(
  OperatorConfig.fromRaw(
    Object.fromEntries(OperatorConfig.envVars.map((k) => [k, undefined])) as OperatorConfig.RawOperatorConfig,
    { version: "0.1.0" }
  )
)

/** A tenant context over `api` with `apiToken` (a classic token, settings.read and settings.write unless given). */
export const tenantContext = (
  api: DynatraceApi["Service"],
  apiToken: string,
  scopes: { readonly settingsRead?: boolean | undefined; readonly settingsWrite?: boolean | undefined } = {}
): TenantContext => ({
  api,
  tokens: { apiToken: Redacted.make(apiToken), paasToken: undefined, dataIngestToken: undefined },
  proxy: undefined,
  trustedCAs: undefined,
  platformToken: false,
  hasPaasToken: false,
  hasDataIngestToken: false,
  registryPassword: "",
  settingsRead: scopes.settingsRead ?? true,
  settingsWrite: scopes.settingsWrite ?? true,
  publicRegistry: false
})

/** What a scope is made of; the DynaKube is always `dk` in `dynatrace`. */
export interface ScopeFixtureInput {
  readonly spec: DynaKube["spec"]
  readonly status: NonNullable<DynaKube["status"]>
  readonly annotations?: Readonly<Record<string, string>> | undefined
  readonly generation: number
  readonly now: number
  readonly tenant: TenantContext | undefined
  readonly kubeSystemUUID: string
}

/** A reconcile scope at its start: `oldStatus` and `status` are the given status, no connection info yet. */
export const reconcileScope = (input: ScopeFixtureInput): ReconcileScope => {
  const raw = {
    metadata: {
      name: "dk",
      namespace: "dynatrace",
      ...(input.annotations === undefined ? {} : { annotations: { ...input.annotations } })
    }
  }
  return {
    key: "dynatrace/dk",
    name: "dk",
    namespace: "dynatrace",
    generation: input.generation,
    raw,
    dk: { ...raw, spec: input.spec, status: input.status } as DynaKube,
    owner: { apiVersion: "dynatrace.com/v1beta6", kind: "DynaKube", name: "dk", uid: "u", namespace: "dynatrace" },
    config: defaultConfig,
    operator: { operatorVersion: "0.1.0", operatorImage: "img", csiDriver: true, kubernetesMinorVersion: 34 },
    features: Features.of(input.spec),
    flags: FeatureFlags.read(raw, "dynatrace"),
    now: input.now,
    oldStatus: input.status,
    status: input.status,
    tenant: input.tenant,
    kubeSystemUUID: input.kubeSystemUUID,
    oneAgentConnectionInfo: undefined,
    activeGateConnectionInfo: undefined,
    oneAgentConnectionInfoPostponed: false,
    activeGateConnectionInfoPostponed: false
  }
}
