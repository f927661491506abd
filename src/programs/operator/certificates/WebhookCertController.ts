/**
 * The webhook certificates controller (`webhook-cert-controller`, spec §2.4): keeps the `dynatrace-webhook-certs`
 * Secret valid and every caBundle the apiserver uses to call the webhook in line with it.
 *
 * One reconcile (`reconcileOnce`, also what `certgen` runs):
 * 1. Read the `dynatrace-webhook` Deployment in the operator namespace; absent ⇒ nothing to do (outcome
 *    `WebhookDeploymentMissing`; the controller waits for its informer, `certgen` polls).
 * 2. Read the Secret and let `Certs.ensure` decide: keep, renew the server certificate, or regenerate everything
 *    (the old CA stays in the bundle as `ca.crt.old`).
 * 3. Patch the bundle into the webhook entries of both `dynatrace-webhook` configurations and into the conversion
 *    stanza of the DynaKube and EdgeConnect CRDs, where it differs (missing objects are skipped). This happens
 *    *before* the Secret is written: the apiserver trusts the new CA before the webhook can serve a certificate
 *    signed by it, and the old CA stays in the bundle for certificates still being served.
 * 4. Create or update the Secret (owned by the Deployment, so it goes with it) when its data or owner changed. The
 *    update is conditional on the read resourceVersion, so two writers (an old leader and a `certgen` init
 *    container during a rollout) cannot overwrite each other's CA: the loser gets Conflict, retries, and keeps the
 *    winner's certificates.
 * Nothing changed anywhere ⇒ `UpToDate`, no write. Either way the next check is `DT_WEBHOOK_CERTS_REQUEUE_AFTER`
 * (3 h) later.
 *
 * The controller reacts to the Deployment, as the original does, and also to the two webhook configurations and
 * the two CRDs (each watched by name): a Helm upgrade that resets a caBundle is repaired at once instead of up to
 * 3 h later.
 *
 * @since 0.1.0
 */
import { Config, Effect, Option, type Scope, Stream } from "effect"
import { Certs } from "../../../services/Certs.ts"
import { CaBundle, type CertsError, CertSecret } from "../../../services/Certs.ts"
import type { KubeApiError } from "../../../services/KubeApiError.ts"
import { type JsonPatchOperation, KubeClient } from "../../../services/KubeClient.ts"
import * as Informer from "../../../services/kube/Informer.ts"
import type { KubeObject, OwnerReference } from "../../../services/kube/KubeObject.ts"
import { keyOf } from "../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../services/kube/Resource.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Controller from "../runtime/Controller.ts"
import * as CaBundleTargets from "./CaBundleTargets.ts"

/** Controller name in logs and metrics. @category constants */
export const controllerName = "webhook-cert-controller"

/**
 * Whether OLM deployed the operator (env `OLM_OPERATOR_NAMESPACE` set): OLM then manages the webhook certificates
 * and this controller must not run (spec §2.1).
 * @category config
 */
export const deployedByOlm: Config.Config<boolean> = Config.String("OLM_OPERATOR_NAMESPACE").pipe(
  Config.withDefault(""),
  Config.map((namespace) => namespace.trim() !== "")
)

/** What the controller needs to know. @category models */
export interface CertificatesControllerConfig {
  /** The operator namespace (`POD_NAMESPACE`): where the webhook Deployment and the Secret live. */
  readonly namespace: string
  /** Extra SANs for runs where the apiserver calls the webhook by URL (local and test setups). */
  readonly extraDnsNames?: ReadonlyArray<string> | undefined
  readonly extraIpAddresses?: ReadonlyArray<string> | undefined
}

const byName = (name: string) => ({ fieldSelector: `metadata.name=${name}` })

/** What one reconcile did. @category models */
export type Outcome =
  | { readonly _tag: "WebhookDeploymentMissing" }
  | { readonly _tag: "UpToDate" }
  | {
      readonly _tag: "Updated"
      /** What happened to the Secret. */
      readonly secret: "created" | "updated" | "unchanged"
      /** The objects whose caBundle was written, e.g. `MutatingWebhookConfiguration/dynatrace-webhook`. */
      readonly patched: ReadonlyArray<string>
    }

interface Secret extends KubeObject {
  readonly data?: Readonly<Record<string, string>> | undefined
}

const readOptional = <T extends KubeObject>(resource: Resource, name: string, namespace?: string) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    return yield* kube.get<T>(resource, name, { namespace }).pipe(
      Effect.map(Option.some),
      Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none<T>()))
    )
  })

const ownerOf = (deployment: KubeObject): OwnerReference => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  name: deployment.metadata?.name ?? CaBundleTargets.webhookConfigurationName,
  uid: deployment.metadata?.uid ?? "",
  controller: true
})

const hasOwner = (object: KubeObject, owner: OwnerReference) =>
  (object.metadata?.ownerReferences ?? []).some((reference) => reference.uid === owner.uid)

/** Patches the caBundle where it differs; returns the label of the object when it wrote. */
const patchBundle = (
  resource: Resource,
  name: string,
  patchOf: (object: KubeObject) => ReadonlyArray<JsonPatchOperation>
) =>
  Effect.gen(function* () {
    const current = yield* readOptional<KubeObject>(resource, name)
    if (Option.isNone(current)) {
      yield* Effect.logDebug("No object to put the webhook caBundle into.").pipe(
        Effect.annotateLogs({ kind: resource.kind, name })
      )
      return Option.none<string>()
    }
    const patch = patchOf(current.value)
    if (patch.length === 0) return Option.none<string>()
    yield* (yield* KubeClient).patch(resource, name, { type: "json", patch })
    return Option.some(`${resource.kind}/${name}`)
  })

/**
 * One certificates reconcile (also the body of `certgen`).
 * @category reconcile
 */
export const reconcileOnce = Effect.fn("WebhookCertController.reconcileOnce")(function* (
  config: CertificatesControllerConfig
) {
  const kube = yield* KubeClient
  const certs = yield* Certs
  const { namespace } = config
  const deployment = yield* readOptional<KubeObject>(
    Resources.Deployment,
    CaBundleTargets.webhookConfigurationName,
    namespace
  )
  if (Option.isNone(deployment)) return { _tag: "WebhookDeploymentMissing" } as Outcome

  const secret = yield* readOptional<Secret>(Resources.Secret, CertSecret.secretName, namespace)
  const result = yield* certs.ensure(
    { namespace, extraDnsNames: config.extraDnsNames, extraIpAddresses: config.extraIpAddresses },
    Option.getOrUndefined(secret)?.data
  )
  const matches: CaBundleTargets.BundleMatcher = (current) => CaBundle.matchesBase64(current, result.certificates)

  const patched: Array<string> = []
  for (const resource of [Resources.MutatingWebhookConfiguration, Resources.ValidatingWebhookConfiguration]) {
    const written = yield* patchBundle(resource, CaBundleTargets.webhookConfigurationName, (object) =>
      CaBundleTargets.patchWebhooks(object as CaBundleTargets.WebhookConfiguration, matches, result.caBundle)
    )
    if (Option.isSome(written)) patched.push(written.value)
  }
  for (const crd of CaBundleTargets.conversionCrdNames) {
    const written = yield* patchBundle(Resources.CustomResourceDefinition, crd, (object) =>
      CaBundleTargets.patchCrd(object as CaBundleTargets.CustomResourceDefinition, matches, result.caBundle)
    )
    if (Option.isSome(written)) patched.push(written.value)
  }

  const owner = ownerOf(deployment.value)
  let secretAction: "created" | "updated" | "unchanged" = "unchanged"
  if (Option.isNone(secret)) {
    yield* kube.create<Secret>(Resources.Secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: CertSecret.secretName, namespace, ownerReferences: [owner] },
      type: "Opaque",
      data: result.data
    } as Secret)
    secretAction = "created"
  } else if (result.changed || !hasOwner(secret.value, owner)) {
    const others = (secret.value.metadata?.ownerReferences ?? []).filter((reference) => reference.kind !== "Deployment")
    yield* kube.update<Secret>(Resources.Secret, {
      ...secret.value,
      metadata: { ...secret.value.metadata, ownerReferences: [...others, owner] },
      data: result.data
    })
    secretAction = "updated"
  }

  if (secretAction === "unchanged" && patched.length === 0) return { _tag: "UpToDate" } as Outcome
  yield* Effect.logInfo("Updated the webhook certificates.").pipe(
    Effect.annotateLogs({
      secret: secretAction,
      decision: result.decision._tag,
      patched: patched.join(","),
      caNotAfter: result.caNotAfter.toISOString(),
      serverNotAfter: result.serverNotAfter.toISOString()
    })
  )
  return { _tag: "Updated", secret: secretAction, patched } as Outcome
})

/** The errors of one reconcile. @category models */
export type ReconcileError = KubeApiError | CertsError

/**
 * Starts the controller in the current scope: watches the webhook Deployment, both webhook configurations and the
 * two CRDs (by name), and reconciles the one key `<namespace>/dynatrace-webhook`.
 * @category constructors
 */
export const makeCertificatesController = (
  config: CertificatesControllerConfig
): Effect.Effect<Controller.Controller, never, KubeClient | Certs | Scope.Scope> =>
  Effect.gen(function* () {
    const certs = yield* Certs
    const key = keyOf(config.namespace, CaBundleTargets.webhookConfigurationName)
    const informers = [
      yield* Informer.make<KubeObject>(Resources.Deployment, {
        namespace: config.namespace,
        ...byName(CaBundleTargets.webhookConfigurationName)
      }),
      yield* Informer.make<KubeObject>(
        Resources.MutatingWebhookConfiguration,
        byName(CaBundleTargets.webhookConfigurationName)
      ),
      yield* Informer.make<KubeObject>(
        Resources.ValidatingWebhookConfiguration,
        byName(CaBundleTargets.webhookConfigurationName)
      ),
      ...(yield* Effect.forEach(CaBundleTargets.conversionCrdNames, (name) =>
        Informer.make<KubeObject>(Resources.CustomResourceDefinition, byName(name))
      ))
    ]
    const reconcile = (_key: string) =>
      reconcileOnce(config).pipe(
        Effect.map((outcome) =>
          outcome._tag === "WebhookDeploymentMissing"
            ? Controller.done
            : Controller.requeueAfter(certs.durations.requeueAfter)
        ),
        Effect.tap((result) =>
          result === Controller.done
            ? Effect.logInfo("The webhook Deployment does not exist yet; certificates wait for it.")
            : Effect.void
        )
      )
    const controller = yield* Controller.make({
      name: controllerName,
      reconcile,
      sources: informers.map((informer) => informer.events.pipe(Stream.as(key)))
    })
    // The first look does not wait for an event: with nothing installed yet there may never be one.
    yield* controller.enqueue(key)
    return controller
  })
