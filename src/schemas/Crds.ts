/**
 * The CustomResourceDefinitions of DynaKube, EdgeConnect and DTPrometheus, generated from the Effect Schemas of
 * every served version. `npm run generate` writes them to `manifests/crds/`, `dynatrace-operator generate-crds`
 * prints them, and a unit test fails when the files on disk differ from what this module produces.
 *
 * Every CRD carries the label `app.kubernetes.io/version` with the operator's version, as the original's
 * released CRDs do: the operator compares it with its own version and warns (`CRDVersionMismatch`) when the
 * CRDs in the cluster belong to another release.
 *
 * Each version's `openAPIV3Schema` is `Schema.toJsonSchemaDocument` of that version's resource schema, made
 * structural by `StructuralSchema.toStructural`; field descriptions come from the schema annotations so that
 * `kubectl explain` documents every field.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { stringify } from "yaml"
import { version as operatorVersion } from "../programs/cli/Version.ts"
import * as DTPrometheusV1alpha1 from "./DTPrometheusV1alpha1.ts"
import * as DynaKubeV1beta5 from "./DynaKubeV1beta5.ts"
import * as DynaKubeV1beta6 from "./DynaKubeV1beta6.ts"
import * as EdgeConnectV1alpha1 from "./EdgeConnectV1alpha1.ts"
import * as EdgeConnectV1alpha2 from "./EdgeConnectV1alpha2.ts"
import { Group } from "./Shared.ts"
import { type JsonSchemaProps, toStructural } from "./StructuralSchema.ts"

/**
 * How the apiserver converts between versions. `Webhook` is the production setting (our `/convert` endpoint);
 * `None` only rewrites `apiVersion` and is meant for tests that run without the webhook.
 *
 * @category models
 * @since 0.1.0
 */
export type ConversionStrategy = "Webhook" | "None"

/**
 * Generator options.
 *
 * @category models
 * @since 0.1.0
 */
export interface CrdOptions {
  /** Namespace of the `dynatrace-webhook` Service that serves `/convert`. Default `dynatrace`. */
  readonly namespace?: string
  /** Default `Webhook`. Only CRDs with more than one version convert; DTPrometheus has none. */
  readonly conversion?: ConversionStrategy
  /**
   * Whether `metadata.labels` carries `app.kubernetes.io/version` (the operator's version). Default `true`; the
   * Helm chart turns it off because its templates add the chart's own labels, that one included.
   */
  readonly versionLabel?: boolean
}

/** @category constants @since 0.1.0 */
export const DefaultNamespace = "dynatrace"
/** @category constants @since 0.1.0 */
export const WebhookServiceName = "dynatrace-webhook"
/** @category constants @since 0.1.0 */
export const ConversionPath = "/convert"
/** @category constants @since 0.1.0 */
export const VersionLabel = "app.kubernetes.io/version"

/** A CustomResourceDefinition as plain JSON. */
export type Crd = Readonly<Record<string, unknown>>

interface VersionDefinition {
  readonly name: string
  readonly schema: Schema.Top
  readonly storage: boolean
  readonly deprecationWarning?: string
}

interface KindDefinition {
  readonly kind: string
  readonly plural: string
  readonly singular: string
  readonly shortNames: ReadonlyArray<string>
  readonly printerColumns: ReadonlyArray<Record<string, string>>
  readonly versions: ReadonlyArray<VersionDefinition>
}

const jsonSchemaOptions = { includeAnnotationKey: (key: string) => key.startsWith("x-kubernetes-") }

/**
 * The `openAPIV3Schema` of one version: the structural form of the resource schema, with the standard
 * `apiVersion`, `kind` and `metadata` fields Kubernetes expects at the root.
 *
 * @category generating
 * @since 0.1.0
 */
export const openApiSchema = (schema: Schema.Top): JsonSchemaProps => {
  const structural = toStructural(Schema.toJsonSchemaDocument(schema, jsonSchemaOptions))
  const properties = structural["properties"] as Record<string, JsonSchemaProps>
  return {
    ...structural,
    properties: {
      apiVersion: {
        type: "string",
        description: "Versioned schema of this object, e.g. dynatrace.com/v1beta6."
      },
      kind: { type: "string", description: "Kind of this object." },
      metadata: { type: "object" },
      ...Object.fromEntries(
        Object.entries(properties).filter(([name]) => name !== "apiVersion" && name !== "kind" && name !== "metadata")
      )
    }
  }
}

const ageColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }

const dynaKube: KindDefinition = {
  kind: "DynaKube",
  plural: "dynakubes",
  singular: "dynakube",
  shortNames: ["dk", "dks"],
  printerColumns: [
    { name: "ApiUrl", type: "string", jsonPath: ".spec.apiUrl" },
    { name: "Status", type: "string", jsonPath: ".status.phase" },
    ageColumn
  ],
  versions: [
    {
      name: DynaKubeV1beta5.version,
      schema: DynaKubeV1beta5.DynaKube,
      storage: false,
      deprecationWarning: `${Group}/${DynaKubeV1beta5.version} DynaKube is deprecated and will be removed in a future operator version; use ${DynaKubeV1beta6.apiVersion}.`
    },
    { name: DynaKubeV1beta6.version, schema: DynaKubeV1beta6.DynaKube, storage: true }
  ]
}

const edgeConnect: KindDefinition = {
  kind: "EdgeConnect",
  plural: "edgeconnects",
  singular: "edgeconnect",
  shortNames: ["ec", "ecs"],
  printerColumns: [
    { name: "ApiServer", type: "string", jsonPath: ".spec.apiServer" },
    { name: "Status", type: "string", jsonPath: ".status.phase" },
    ageColumn
  ],
  versions: [
    { name: EdgeConnectV1alpha1.version, schema: EdgeConnectV1alpha1.EdgeConnect, storage: false },
    { name: EdgeConnectV1alpha2.version, schema: EdgeConnectV1alpha2.EdgeConnect, storage: true }
  ]
}

const dtPrometheus: KindDefinition = {
  kind: DTPrometheusV1alpha1.kind,
  plural: "dtprometheuses",
  singular: "dtprometheus",
  shortNames: ["dtp", "dtps"],
  printerColumns: [
    { name: "DynaKube", type: "string", jsonPath: ".spec.dynaKubeName" },
    { name: "Status", type: "string", jsonPath: ".status.phase" },
    ageColumn
  ],
  versions: [{ name: DTPrometheusV1alpha1.version, schema: DTPrometheusV1alpha1.DTPrometheus, storage: true }]
}

const conversionStanza = (options: CrdOptions) =>
  (options.conversion ?? "Webhook") === "None"
    ? { strategy: "None" }
    : {
        strategy: "Webhook",
        webhook: {
          clientConfig: {
            service: {
              namespace: options.namespace ?? DefaultNamespace,
              name: WebhookServiceName,
              path: ConversionPath
            }
          },
          conversionReviewVersions: ["v1", "v1beta1"]
        }
      }

const makeCrd = (definition: KindDefinition, options: CrdOptions): Crd => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: {
    name: `${definition.plural}.${Group}`,
    ...((options.versionLabel ?? true) ? { labels: { [VersionLabel]: operatorVersion } } : {})
  },
  spec: {
    group: Group,
    names: {
      kind: definition.kind,
      listKind: `${definition.kind}List`,
      plural: definition.plural,
      singular: definition.singular,
      shortNames: [...definition.shortNames],
      categories: ["dynatrace"]
    },
    scope: "Namespaced",
    // A single version needs no conversion (the apiserver's default, `None`, as in the original).
    ...(definition.versions.length > 1 ? { conversion: conversionStanza(options) } : {}),
    versions: definition.versions.map((version) => ({
      name: version.name,
      served: true,
      storage: version.storage,
      ...(version.deprecationWarning !== undefined
        ? { deprecated: true, deprecationWarning: version.deprecationWarning }
        : {}),
      additionalPrinterColumns: definition.printerColumns.map((column) => ({ ...column })),
      subresources: { status: {} },
      schema: { openAPIV3Schema: openApiSchema(version.schema) }
    }))
  }
})

/**
 * The DynaKube CRD (`dynakubes.dynatrace.com`): v1beta6 stored, v1beta5 served and deprecated.
 *
 * @category generating
 * @since 0.1.0
 */
export const dynaKubeCrd = (options: CrdOptions = {}): Crd => makeCrd(dynaKube, options)

/**
 * The EdgeConnect CRD (`edgeconnects.dynatrace.com`): v1alpha2 stored, v1alpha1 served.
 *
 * @category generating
 * @since 0.1.0
 */
export const edgeConnectCrd = (options: CrdOptions = {}): Crd => makeCrd(edgeConnect, options)

/**
 * The DTPrometheus CRD (`dtprometheuses.dynatrace.com`): v1alpha1 only, no conversion.
 *
 * @category generating
 * @since 0.1.0
 */
export const dtPrometheusCrd = (options: CrdOptions = {}): Crd => makeCrd(dtPrometheus, options)

/**
 * The generated files, by name under `manifests/crds/`.
 *
 * @category generating
 * @since 0.1.0
 */
export const crdFiles = (options: CrdOptions = {}): ReadonlyArray<{ readonly name: string; readonly crd: Crd }> => [
  { name: `${Group}_dynakubes.yaml`, crd: dynaKubeCrd(options) },
  { name: `${Group}_edgeconnects.yaml`, crd: edgeConnectCrd(options) },
  { name: `${Group}_dtprometheuses.yaml`, crd: dtPrometheusCrd(options) }
]

/** @category generating @since 0.1.0 */
export const header =
  "# Generated from the Effect Schemas in src/schemas by `npm run generate` (scripts/generate.ts). Do not edit.\n"

/**
 * One CRD as a YAML document with the "generated" header.
 *
 * @category generating
 * @since 0.1.0
 */
export const toYaml = (crd: Crd): string => `${header}${document(crd)}`

const document = (crd: Crd): string => `---\n${stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false })}`

/**
 * Every CRD as one multi-document YAML stream (what `generate-crds` prints).
 *
 * @category generating
 * @since 0.1.0
 */
export const allCrdsYaml = (options: CrdOptions = {}): string =>
  header +
  crdFiles(options)
    .map(({ crd }) => document(crd))
    .join("")
