/**
 * The `csi-provisioner` program (spec §5.1, §5.5): the `provisioner` container of the CSI DaemonSet, one per node.
 *
 * 1. Removes what an interrupted install left (`CodeModuleStore.recover`) before anything else runs.
 * 2. Watches the DynaKubes of the operator namespace (an informer; `/readyz` turns ready once it has synced).
 * 3. Reconciles each DynaKube with the `provisioner-controller` (`Provisioner.reconcile`): at most one reconcile
 *    per DynaKube, `maxConcurrentReconciles` DynaKubes at once, backoff on errors.
 * 4. Serves `/livez` and `/readyz` on `:10090` and Prometheus `/metrics` on `:8090` (controller metrics, the
 *    provisioner's install and GC metrics, tenant requests).
 *
 * SIGTERM interrupts everything: an install in progress stops where it is; its leftovers are removed by step 1 of
 * the next start, and no half-written version is ever visible.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Layer, type FileSystem, Stream } from "effect"
import * as Controller from "../../programs/operator/runtime/Controller.ts"
import * as Informer from "../../services/kube/Informer.ts"
import { key } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import * as NodeFs from "../../services/NodeFs.ts"
import { healthServer, metricsServer, Readiness } from "../../services/Probes.ts"
import * as CodeModuleDownloads from "./CodeModuleDownloads.ts"
import * as CodeModuleStore from "./CodeModuleStore.ts"
import * as DynaKubeSource from "./DynaKubeSource.ts"
import * as GarbageCollector from "./GarbageCollector.ts"
import * as Provisioner from "./Provisioner.ts"
import type { ProvisionerConfig } from "./ProvisionerConfig.ts"
import type { ProvisionerDynaKube } from "./ProvisionPlan.ts"

/**
 * The provisioner's services: the code-module store, garbage collection and tenant downloads.
 *
 * @category layers
 * @since 0.1.0
 */
export const services = (config: ProvisionerConfig) => {
  const store = CodeModuleStore.layer({ dataDir: config.dataDir, extractSymlinks: config.extractSymlinks })
  const gc = GarbageCollector.layer({ period: config.cleanupPeriod })
  const downloads = CodeModuleDownloads.layer({ timeout: config.downloadTimeout, userAgent: config.userAgent })
  return Layer.mergeAll(gc, downloads).pipe(Layer.provideMerge(store))
}

/**
 * Recovery, the informer, readiness and the controller, for as long as the scope lives.
 *
 * @category program
 * @since 0.1.0
 */
export const program = (config: ProvisionerConfig) =>
  Effect.gen(function* () {
    const store = yield* CodeModuleStore.CodeModuleStore
    const readiness = yield* Readiness
    const markSynced = yield* readiness.register("caches-synced")
    yield* store.recover

    const informer = yield* Informer.make<ProvisionerDynaKube>(Resources.DynaKube, { namespace: config.namespace })
    yield* Effect.forkScoped(
      informer.awaitSynced.pipe(
        Effect.andThen(markSynced),
        Effect.andThen(Effect.logInfo("The DynaKube cache is synced."))
      )
    )
    const source = DynaKubeSource.fromInformer(informer)
    const options: Provisioner.ProvisionerOptions = {
      csiDriverEnabled: config.csiDriverEnabled,
      requeues: config.requeues
    }
    yield* Controller.make({
      name: Provisioner.controllerName,
      reconcile: (dk: string) =>
        Provisioner.reconcile(dk, options).pipe(Effect.provideService(DynaKubeSource.DynaKubeSource, source)),
      sources: [informer.events.pipe(Stream.map((event) => key(event.object)))],
      maxConcurrentReconciles: config.maxConcurrentReconciles,
      backoff: config.backoff
    })
    yield* Effect.logInfo("Started the CSI provisioner.").pipe(
      Effect.annotateLogs({
        namespace: config.namespace,
        node: config.nodeName ?? "",
        dataDir: config.dataDir.root,
        version: config.version,
        csiDriver: config.csiDriverEnabled,
        cleanupPeriodSeconds: Duration.toSeconds(config.cleanupPeriod)
      })
    )
    return yield* Effect.never
  })

/**
 * Runs the provisioner until interrupted; Kubernetes access from the default kubeconfig chain (in-cluster).
 *
 * @category program
 * @since 0.1.0
 */
export const run = (
  config: ProvisionerConfig,
  kube: Layer.Layer<KubeClient, unknown> = KubeClient.layer
): Effect.Effect<never, unknown, FileSystem.FileSystem> =>
  Effect.scoped(program(config)).pipe(
    Effect.provide(
      Layer.mergeAll(healthServer(config.healthProbeBindAddress), metricsServer(config.metricsBindAddress)).pipe(
        Layer.provideMerge(services(config)),
        Layer.provideMerge(Layer.mergeAll(kube, NodeFs.layer, Readiness.layer))
      )
    ),
    Effect.annotateLogs({ component: "csi-provisioner" })
  )
