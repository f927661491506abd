/**
 * Where the webhook caBundle must go (spec §2.4), and the smallest patch that puts it there.
 *
 * - every `webhooks[*].clientConfig.caBundle` of the MutatingWebhookConfiguration and the
 *   ValidatingWebhookConfiguration named `dynatrace-webhook`;
 * - `spec.conversion.webhook.clientConfig.caBundle` of the `dynakubes.dynatrace.com` and
 *   `edgeconnects.dynatrace.com` CRDs, but only when they use a conversion webhook.
 *
 * Pure functions over the JSON the apiserver returns: `outdated*` list the entries whose caBundle differs from the
 * bundle, `patch*` build RFC 6902 patches for exactly those entries. An empty patch means "no write". Each webhook
 * entry is guarded by a `test` of its name, so a configuration reordered meanwhile fails the patch (Invalid) instead
 * of writing a bundle into the wrong entry; the next reconcile sees the new order.
 *
 * The original compares the fields with `ca.crt` alone but writes `ca.crt` + `ca.crt.old`, so after a CA rotation
 * it rewrites them on every check. Here both sides are the full bundle (`CaBundle.matchesBase64`): no write when
 * nothing changed.
 *
 * @since 0.1.0
 */
import type { JsonPatchOperation } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"

/** Name of the webhook configurations (both kinds) and of the webhook Deployment and Service. @category constants */
export const webhookConfigurationName = "dynatrace-webhook"

/** The CRDs that may carry a conversion webhook. @category constants */
export const conversionCrdNames = ["dynakubes.dynatrace.com", "edgeconnects.dynatrace.com"] as const

/** The part of a Mutating/ValidatingWebhookConfiguration we read. @category models */
export interface WebhookConfiguration extends KubeObject {
  readonly webhooks?:
    | ReadonlyArray<{
        readonly name?: string | undefined
        readonly clientConfig?: { readonly caBundle?: string | undefined } | undefined
      }>
    | undefined
}

/** The part of a CustomResourceDefinition we read. @category models */
export interface CustomResourceDefinition extends KubeObject {
  readonly spec?:
    | {
        readonly conversion?:
          | {
              readonly strategy?: string | undefined
              readonly webhook?:
                | { readonly clientConfig?: { readonly caBundle?: string | undefined } | undefined }
                | undefined
            }
          | undefined
      }
    | undefined
}

/** Whether a caBundle field (base64 or absent) holds the bundle. @category models */
export type BundleMatcher = (current: string | undefined) => boolean

/**
 * Indexes of the webhook entries whose caBundle is not the bundle.
 * @category decisions
 */
export const outdatedWebhooks = (configuration: WebhookConfiguration, matches: BundleMatcher): ReadonlyArray<number> =>
  (configuration.webhooks ?? []).flatMap((webhook, index) => (matches(webhook.clientConfig?.caBundle) ? [] : [index]))

/**
 * The patch that writes `caBundle` (base64) into every outdated webhook entry; empty when all match.
 * @category constructors
 */
export const patchWebhooks = (
  configuration: WebhookConfiguration,
  matches: BundleMatcher,
  caBundle: string
): ReadonlyArray<JsonPatchOperation> =>
  outdatedWebhooks(configuration, matches).flatMap((index): ReadonlyArray<JsonPatchOperation> => {
    const webhook = configuration.webhooks?.[index]
    const guard: ReadonlyArray<JsonPatchOperation> =
      webhook?.name === undefined ? [] : [{ op: "test", path: `/webhooks/${index}/name`, value: webhook.name }]
    // `clientConfig` is required by the API, so `add` of its member is safe (it replaces an existing value).
    return [...guard, { op: "add", path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle }]
  })

/**
 * Whether the CRD converts through a webhook (only then does it carry a caBundle).
 * @category predicates
 */
export const usesConversionWebhook = (crd: CustomResourceDefinition): boolean =>
  crd.spec?.conversion?.strategy === "Webhook" && crd.spec.conversion.webhook?.clientConfig !== undefined

/**
 * Whether the CRD needs the bundle written (it uses a conversion webhook whose caBundle differs).
 * @category decisions
 */
export const crdOutdated = (crd: CustomResourceDefinition, matches: BundleMatcher): boolean =>
  usesConversionWebhook(crd) && !matches(crd.spec?.conversion?.webhook?.clientConfig?.caBundle)

/**
 * The patch that writes `caBundle` into the CRD's conversion webhook; empty when not needed.
 * @category constructors
 */
export const patchCrd = (
  crd: CustomResourceDefinition,
  matches: BundleMatcher,
  caBundle: string
): ReadonlyArray<JsonPatchOperation> =>
  crdOutdated(crd, matches)
    ? [
        { op: "test", path: "/spec/conversion/strategy", value: "Webhook" },
        { op: "add", path: "/spec/conversion/webhook/clientConfig/caBundle", value: caBundle }
      ]
    : []
