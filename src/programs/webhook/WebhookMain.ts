/**
 * The `webhook-server` program as one layer: the HTTPS webhook server with its routes, the health (`/livez`,
 * `/readyz`) and metrics servers, the certificate sync from the `dynatrace-webhook-certs` Secret, and the services
 * behind the routes (pod and namespace mutators over informer-backed lookups).
 *
 * Start order: health and metrics first (so `/livez` answers while the certificate is awaited), then the
 * certificate sync, then the webhook server, which listens once a valid certificate is in `--certs-dir`.
 * `/readyz` turns ready when the certificate is loaded and the informers have synced.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { KubeClient } from "../../services/KubeClient.ts"
import * as KubeApiError from "../../services/KubeApiError.ts"
import { resource } from "../../services/kube/Resource.ts"
import { healthServer, metricsServer, Readiness } from "../../services/Probes.ts"
import * as InjectionContext from "./InjectionContext.ts"
import * as NamespaceMutator from "./namespace/NamespaceMutator.ts"
import * as PodMutator from "./pod/PodMutator.ts"
import { routes } from "./Routes.ts"
import * as ServingCertificate from "./ServingCertificate.ts"
import { ValidationCluster } from "./validation/ValidationCluster.ts"
import { ValidationConfig } from "./validation/ValidationConfig.ts"
import { injectionSettings, type WebhookConfig } from "./WebhookConfig.ts"
import * as WebhookServer from "./WebhookServer.ts"

const securityContextConstraints = resource({
  group: "security.openshift.io",
  version: "v1",
  plural: "securitycontextconstraints",
  kind: "SecurityContextConstraints",
  namespaced: false
})

/**
 * OpenShift when the API group `security.openshift.io/v1` is served (a 404 says it is not; a 403 still proves it is).
 * Unknown (the apiserver unreachable) counts as not OpenShift.
 * @category platform
 * @since 0.1.0
 */
export const detectOpenShift: Effect.Effect<boolean, never, KubeClient> = Effect.gen(function* () {
  const client = yield* KubeClient
  return yield* client.list(securityContextConstraints, { limit: 1 }).pipe(
    Effect.as(true),
    Effect.catch((error) => Effect.succeed(KubeApiError.isForbidden(error)))
  )
})

/** Options beyond the configuration. @category models @since 0.1.0 */
export interface MainOptions {
  /** keep `--certs-dir` in step with the `dynatrace-webhook-certs` Secret (default true) */
  readonly syncCertificateSecret?: boolean | undefined
  /** the cluster is OpenShift; detected when absent */
  readonly openShift?: boolean | undefined
  /** the listen host of the webhook (default all interfaces) */
  readonly host?: string | undefined
}

/**
 * The webhook program's services, given a KubeClient and Readiness (shared with the health server).
 * @category layers
 * @since 0.1.0
 */
export const webhookLayer = (config: WebhookConfig, options: MainOptions = {}) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const openShift = options.openShift ?? (yield* detectOpenShift)
      const settings = injectionSettings(config, openShift)
      const mutators = Layer.mergeAll(
        PodMutator.layer({ settings, deadline: config.deadline }),
        NamespaceMutator.layer({ operatorNamespace: config.operatorNamespace })
      ).pipe(Layer.provide(InjectionContext.layer({ operatorNamespace: config.operatorNamespace })))
      // Validation reads the cluster uncached (like the original's API reader); settings from modules.json & co.
      const validation = Layer.mergeAll(ValidationCluster.layer(), ValidationConfig.layer)
      const sync =
        options.syncCertificateSecret === false
          ? Layer.empty
          : Layer.effectDiscard(
              Effect.forkScoped(ServingCertificate.syncFromSecret(config.certificate, config.operatorNamespace))
            )
      return WebhookServer.layer({
        host: options.host ?? "0.0.0.0",
        port: config.port,
        certificate: config.certificate,
        routes,
        bodyLimit: config.bodyLimit
      }).pipe(Layer.provide(mutators), Layer.provide(validation), Layer.provide(sync))
    })
  )

/**
 * Everything the `webhook-server` subcommand runs, with the KubeClient from the default kubeconfig chain.
 * @category layers
 * @since 0.1.0
 */
export const mainLayer = (config: WebhookConfig, options: MainOptions = {}) =>
  webhookLayer(config, options).pipe(
    Layer.provide(
      Layer.mergeAll(healthServer(config.healthProbeBindAddress), metricsServer(config.metricsBindAddress))
    ),
    Layer.provide(Layer.mergeAll(KubeClient.layer, Readiness.layer))
  )
