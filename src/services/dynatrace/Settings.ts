/**
 * Settings 2.0 objects (spec §6.2 #15–#19, §2.2.10, §2.2.11), all with the API token:
 *
 * - Kubernetes cluster lookup: `GET /v2/settings/objects?schemaIds=builtin:cloud.kubernetes&fields=value,scope`
 *   `&filter=value.clusterId='<kube-system UID>'&pageSize=500&validateOnly=true` → `items[0].scope` is the cluster's
 *   monitored-entity id (MEID), `items[0].value.label` its name.
 * - Count for an ME: `GET /v2/settings/objects?schemaIds=<schema>&scopes=<MEID>&validateOnly=true` → `totalCount`,
 *   `items[{objectId,value}]`.
 * - Create: `POST /v2/settings/objects?validateOnly=false` with `[{"schemaId","schemaVersion","scope","value"}]` →
 *   exactly one `[{objectId}]` is expected (scope `settings.write`).
 * - Delete: `DELETE /v2/settings/objects/{objectId}`.
 * - App transition (feature flag `k8s-app-enabled`): `builtin:app-transition.kubernetes` 1.0.1, scope = MEID,
 *   `{"kubernetesAppOptions":{"enableKubernetesApp":true}}`.
 * - Effective values (metadata-enrichment rules): `GET /v2/settings/effectiveValues?schemaIds=<schema>`
 *   `&scope=<MEID or environment>&validateOnly=true`.
 *
 * Settings calls are never cached.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** Endpoint paths. */
export const objectsPath = "/v2/settings/objects"
export const objectPath = (objectId: string): string => `/v2/settings/objects/${encodeURIComponent(objectId)}`
export const effectiveValuesPath = "/v2/settings/effectiveValues"

/** Schema ids and versions the operator writes. */
export const KubernetesClusterSchemaId = "builtin:cloud.kubernetes"
export const KubernetesClusterSchemaVersion = "3.0.0"
/** Older tenants only know this version (tried after a 404), with `cloudApplicationPipelineEnabled`. */
export const KubernetesClusterSchemaVersionFallback = "1.0.27"
/** The (deprecated) Kubernetes app transition setting, scoped to the cluster's MEID (feature flag `k8s-app-enabled`). */
export const AppTransitionSchemaId = "builtin:app-transition.kubernetes"
export const AppTransitionSchemaVersion = "1.0.1"
export const MetadataEnrichmentSchemaId = "builtin:kubernetes.generic.metadata.enrichment"
export const IngestEnrichmentSchemaId = "builtin:ingest.enrichment.config"

/** One object in a list answer. */
export const SettingsObject = Schema.Struct({
  objectId: Schema.optional(Schema.NullOr(Schema.String)),
  schemaId: Schema.optional(Schema.NullOr(Schema.String)),
  scope: Schema.optional(Schema.NullOr(Schema.String)),
  value: Schema.optional(Schema.Unknown)
})

/** @category models */
export type SettingsObject = typeof SettingsObject.Type

/** A list answer. */
export const SettingsObjectsResponse = Schema.Struct({
  items: Schema.optional(Schema.NullOr(Schema.Array(SettingsObject))),
  totalCount: Schema.optional(Schema.NullOr(Schema.Number))
})

/** Query of the Kubernetes cluster lookup. */
export const kubernetesClusterQuery = (kubeSystemUUID: string) => ({
  schemaIds: KubernetesClusterSchemaId,
  fields: "value,scope",
  filter: `value.clusterId='${kubeSystemUUID}'`,
  pageSize: "500",
  validateOnly: "true"
})

/** The value of a `builtin:cloud.kubernetes` object, as far as the operator reads it. */
export const KubernetesClusterValue = Schema.Struct({
  label: Schema.optional(Schema.NullOr(Schema.String)),
  clusterId: Schema.optional(Schema.NullOr(Schema.String))
})

/** The cluster's monitored entity. */
export interface KubernetesClusterEntity {
  readonly meid: string
  readonly label: string
}

/** One object to create. */
export interface SettingsObjectCreate {
  readonly schemaId: string
  readonly schemaVersion?: string | undefined
  readonly scope?: string | undefined
  readonly value: unknown
}

/** The create answer: one entry per object sent. */
export const CreateSettingsResponse = Schema.Array(
  Schema.Struct({
    code: Schema.optional(Schema.Number),
    objectId: Schema.optional(Schema.NullOr(Schema.String))
  })
)

/** The `builtin:cloud.kubernetes` object that registers a cluster for Kubernetes API monitoring. */
export const kubernetesClusterObject = (
  label: string,
  kubeSystemUUID: string,
  schemaVersion: string = KubernetesClusterSchemaVersion
): SettingsObjectCreate => ({
  schemaId: KubernetesClusterSchemaId,
  schemaVersion,
  value:
    schemaVersion === KubernetesClusterSchemaVersionFallback
      ? {
          label,
          clusterId: kubeSystemUUID,
          clusterIdEnabled: true,
          enabled: true,
          cloudApplicationPipelineEnabled: true
        }
      : { label, clusterId: kubeSystemUUID, clusterIdEnabled: true, enabled: true }
})

/** The `builtin:app-transition.kubernetes` object that switches the Kubernetes app on for a cluster ME. */
export const appTransitionObject = (kubernetesClusterMEID: string): SettingsObjectCreate => ({
  schemaId: AppTransitionSchemaId,
  schemaVersion: AppTransitionSchemaVersion,
  scope: kubernetesClusterMEID,
  value: { kubernetesAppOptions: { enableKubernetesApp: true } }
})

/** One metadata-enrichment rule (order matters: the first matching rule wins). */
export interface EnrichmentRule {
  readonly type: string
  readonly source: string
  readonly target: string
}

const Rule = Schema.Struct({
  type: Schema.optional(Schema.NullOr(Schema.String)),
  source: Schema.optional(Schema.NullOr(Schema.String)),
  target: Schema.optional(Schema.NullOr(Schema.String))
})

/** An effective value of either enrichment schema. */
export const EnrichmentValue = Schema.Struct({
  rules: Schema.optional(Schema.NullOr(Schema.Array(Rule))),
  type: Schema.optional(Schema.NullOr(Schema.String)),
  target: Schema.optional(Schema.NullOr(Schema.String)),
  valueSource: Schema.optional(Schema.NullOr(Schema.String)),
  condition: Schema.optional(Schema.NullOr(Schema.String)),
  useIngestEnrichmentConfigSchema: Schema.optional(Schema.NullOr(Schema.Boolean))
})

/** The effective-values answer. */
export const EffectiveValuesResponse = Schema.Struct({
  items: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({ value: Schema.optional(EnrichmentValue) })))),
  totalCount: Schema.optional(Schema.NullOr(Schema.Number))
})

const SupportedRuleTypes = new Set(["LABEL", "ANNOTATION"])

/** Rules from `builtin:kubernetes.generic.metadata.enrichment` items. */
export const rulesFromMetadataEnrichment = (
  response: typeof EffectiveValuesResponse.Type
): ReadonlyArray<EnrichmentRule> =>
  (response.items ?? []).flatMap((item) =>
    (item.value?.rules ?? []).map((rule) => ({
      type: rule.type ?? "",
      source: rule.source ?? "",
      target: rule.target ?? ""
    }))
  )

/**
 * Rules from `builtin:ingest.enrichment.config` items; items with a condition, an empty target or an unsupported type
 * are dropped.
 */
export const rulesFromIngestEnrichment = (
  response: typeof EffectiveValuesResponse.Type
): ReadonlyArray<EnrichmentRule> =>
  (response.items ?? []).flatMap((item) => {
    const value = item.value
    if (value === undefined) return []
    const type = value.type ?? ""
    const target = value.target ?? ""
    if ((value.condition ?? "") !== "" || target === "" || !SupportedRuleTypes.has(type)) return []
    return [{ type, source: value.valueSource ?? "", target }]
  })

/** True when the tenant says the old schema holds the rules. */
export const usesIngestEnrichmentSchema = (response: typeof EffectiveValuesResponse.Type): boolean =>
  (response.items ?? []).some((item) => item.value?.useIngestEnrichmentConfigSchema === true)
