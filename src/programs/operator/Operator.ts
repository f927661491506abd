/**
 * The `operator` program (spec §2.1): the manager that runs the controllers.
 *
 * - Settings from the environment (`OperatorConfig.ts`), validated before anything starts.
 * - Informer caches for DynaKubes, the objects they own in the operator namespace, and Namespaces
 *   (`OperatorCaches.ts`). Every replica keeps warm caches, so a standby takes over without relisting.
 * - Health on `HEALTH_PROBE_BIND_ADDRESS` (`:10080`): `/livez` always, `/readyz` once the caches are synced.
 *   Prometheus metrics on `METRICS_BIND_ADDRESS` (`:8080`): reconciles, durations, errors and queue depth per
 *   controller (controller-runtime names) and tenant requests by endpoint and status.
 * - Leader election on the Lease `dynatrace-operator-lock` (`LEADER_ELECTION_*`): only the leader runs
 *   controllers. Losing the lease stops them and ends the program with an error, so the pod restarts as a candidate.
 * - Graceful shutdown (SIGTERM): controllers stop taking work, in-flight reconciles get `SHUTDOWN_GRACE_PERIOD` to
 *   finish (then they are abandoned: reconciles are idempotent), the lease is released so a standby takes over at
 *   once, watches and servers close.
 *
 * @since 0.1.0
 */
import { NodeFileSystem } from "@effect/platform-node"
import { Duration, Effect, Layer, Metric, Schedule } from "effect"
import { randomUUID } from "node:crypto"
import { Certs } from "../../services/Certs.ts"
import { ResponseCache } from "../../services/dynatrace/ResponseCache.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import { healthServer, metricsServer, Readiness } from "../../services/Probes.ts"
import * as WebhookCertController from "./certificates/WebhookCertController.ts"
import * as DynaKubeController from "./dynakube/DynaKubeController.ts"
import * as EdgeConnectController from "./edgeconnect/EdgeConnectController.ts"
import * as EventRecorder from "./EventRecorder.ts"
import * as LeaseAccessLive from "./LeaseAccessLive.ts"
import * as MissedInjectionController from "./missedinjection/MissedInjectionController.ts"
import * as NodesController from "./nodes/NodesController.ts"
import { OperatorCaches } from "./OperatorCaches.ts"
import * as Caches from "./OperatorCaches.ts"
import * as OperatorConfig from "./OperatorConfig.ts"
import * as LeaderElection from "./runtime/LeaderElection.ts"
import * as TenantClients from "./TenantClients.ts"

/** Process memory, as Prometheus' process collector names it (plus the V8 heap). */
export const residentMemory = Metric.gauge("process_resident_memory_bytes", {
  description: "Resident memory size in bytes"
})
export const heapUsed = Metric.gauge("nodejs_heap_size_used_bytes", { description: "V8 heap in use, in bytes" })
export const heapTotal = Metric.gauge("nodejs_heap_size_total_bytes", {
  description: "V8 heap reserved, in bytes"
})
export const externalMemory = Metric.gauge("nodejs_external_memory_bytes", {
  description: "Memory of C++ objects bound to JavaScript (buffers included), in bytes"
})

const recordMemory = Effect.suspend(() => {
  const usage = process.memoryUsage()
  return Effect.all(
    [
      Metric.update(residentMemory, usage.rss),
      Metric.update(heapUsed, usage.heapUsed),
      Metric.update(heapTotal, usage.heapTotal),
      Metric.update(externalMemory, usage.external)
    ],
    { discard: true }
  )
})

/** The controllers this process can run. */
export type ControllerName = "dynakube" | "edgeconnect" | "nodes" | "certificates" | "missed-injection"

export const allControllers: ReadonlyArray<ControllerName> = [
  "dynakube",
  "edgeconnect",
  "nodes",
  "certificates",
  "missed-injection"
]

/**
 * The controllers, run by the leader for as long as it leads (spec §2.1): DynaKube; EdgeConnect (module on);
 * Nodes (unless `DT_HOST_AVAILABILITY_DETECTION=false`); webhook certificates (unless OLM deployed the operator);
 * missed injection (only with `DT_MISSED_INJECTION=report|restart`: off by default, then it does not even watch pods).
 */
const runControllers = (config: OperatorConfig.OperatorConfig, enabled: ReadonlyArray<ControllerName>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      yield* caches.awaitSynced
      const started: Array<string> = []
      if (enabled.includes("dynakube")) {
        yield* DynaKubeController.make(config)
        started.push(DynaKubeController.controllerName)
      }
      if (enabled.includes("edgeconnect") && config.modules.edgeConnect) {
        yield* EdgeConnectController.makeEdgeConnectController({
          namespace: config.namespace,
          operatorVersion: config.operatorVersion,
          clientTimeout: config.clientTimeout,
          maxConcurrentReconciles: config.maxConcurrentReconciles
        })
        started.push(EdgeConnectController.controllerName)
      }
      if (enabled.includes("nodes") && config.hostAvailabilityDetection) {
        yield* NodesController.makeNodesController({
          namespace: config.namespace,
          clientTimeout: config.clientTimeout,
          operatorVersion: config.operatorVersion
        })
        started.push(NodesController.controllerName)
      }
      const olm = yield* WebhookCertController.deployedByOlm.pipe(Effect.orElseSucceed(() => false))
      if (enabled.includes("certificates") && !olm) {
        yield* WebhookCertController.makeCertificatesController({ namespace: config.namespace })
        started.push(WebhookCertController.controllerName)
      }
      if (enabled.includes("missed-injection") && config.missedInjection !== "off") {
        yield* MissedInjectionController.makeMissedInjectionController({
          mode: config.missedInjection,
          settings: MissedInjectionController.settingsOf(config)
        })
        started.push(MissedInjectionController.controllerName)
      }
      yield* Effect.logInfo("Started the controllers.").pipe(Effect.annotateLogs({ controllers: started.join(",") }))
      return yield* Effect.never
    })
  )

/** The services of a running operator. */
export const services = (config: OperatorConfig.OperatorConfig) => {
  const kube = KubeClient.layer
  const caches = Caches.layer(config.namespace).pipe(Layer.provide(kube))
  const tenants = TenantClients.layer.pipe(
    Layer.provide(Layer.mergeAll(ResponseCache.layerWithPurge(config.cacheCleanInterval), NodeFileSystem.layer))
  )
  const events = EventRecorder.layer({
    instance: config.podName,
    dedupWindow: Duration.max(config.defaultRequeueAfter, Duration.minutes(15))
  }).pipe(Layer.provide(kube))
  // Its own client (and connection pool): lease renewals never queue behind reconcile traffic, and the request
  // counter of the main client shows reconcile traffic only.
  const lease = LeaseAccessLive.layer(config.namespace).pipe(Layer.provide(Layer.fresh(KubeClient.layer)))
  return Layer.mergeAll(kube, caches, tenants, events, lease, Readiness.layer, Certs.layer)
}

/**
 * The operator with its services provided: readiness once caches are synced, and the controllers while leading.
 * `identity` is the leader-election identity (unique per process).
 */
export const program = (
  config: OperatorConfig.OperatorConfig,
  identity: string,
  controllers: ReadonlyArray<ControllerName> = allControllers
) =>
  Effect.gen(function* () {
    const readiness = yield* Readiness
    const caches = yield* OperatorCaches
    const markSynced = yield* readiness.register("caches-synced")
    yield* Effect.forkScoped(Effect.repeat(recordMemory, Schedule.spaced("5 seconds")))
    yield* Effect.forkScoped(
      caches.awaitSynced.pipe(Effect.andThen(markSynced), Effect.andThen(Effect.logInfo("The caches are synced.")))
    )
    return yield* LeaderElection.runWhileLeader(identity, config.leaderElection, runControllers(config, controllers))
  })

/** Runs the operator until interrupted (SIGTERM) or until it loses the leader lease. */
export const run = (defaults: { readonly version: string }) =>
  Effect.gen(function* () {
    const config = yield* OperatorConfig.load(defaults)
    const identity = `${config.podName}_${randomUUID()}`
    yield* Effect.logInfo("Starting the operator.").pipe(
      Effect.annotateLogs({ namespace: config.namespace, identity, version: config.operatorVersion })
    )
    const servers = Layer.mergeAll(
      healthServer(config.healthProbeBindAddress),
      metricsServer(config.metricsBindAddress)
    )
    return yield* Effect.scoped(program(config, identity)).pipe(
      Effect.provide(servers.pipe(Layer.provideMerge(services(config)))),
      Effect.annotateLogs({ component: "operator" })
    )
  })
