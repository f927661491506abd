/**
 * The missed-injection controller on the shared real control plane. No webhook is registered here, so every pod
 * the kube-controller-manager creates comes out without injection (as if the webhook had been down):
 *
 * - `restart`: the Deployment gets `kubectl.kubernetes.io/restartedAt` in its template, Normal Events on the
 *   Deployment and the DynaKube; its new pods still miss injection (still no webhook), which gives a Warning that
 *   the webhook seems down and no second restart; an opted-out Deployment is left alone.
 * - `report`: nothing is patched; a Warning `MissedInjection` on the DynaKube names the Deployment.
 * - wired: the operator program with `DT_MISSED_INJECTION=report` starts the controller.
 *
 * Each test names its DynaKube uniquely, so namespaces of other tests (labelled for other DynaKubes) are never
 * touched.
 */
import { assert, layer } from "@effect/vitest"
import { Duration, Effect, Layer, Metric } from "effect"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Keys from "../../webhook/Keys.ts"
import * as EventRecorder from "../EventRecorder.ts"
import * as Operator from "../Operator.ts"
import * as Caches from "../OperatorCaches.ts"
import * as TestKit from "../testkit/OperatorTestKit.ts"
import * as Controller from "./MissedInjectionController.ts"
import * as RestartGuard from "./RestartGuard.ts"

const wait = "90 seconds"

interface EventObject extends KubeObject {
  readonly reason?: string
  readonly type?: string
  readonly note?: string
  readonly reportingController?: string
  readonly regarding?: { readonly uid?: string; readonly kind?: string; readonly name?: string }
}

interface DeploymentObject extends KubeObject {
  readonly spec?: { readonly template?: { readonly metadata?: { readonly annotations?: Record<string, string> } } }
}

const deployment = (namespace: string, name: string, annotations: Record<string, string> = {}) =>
  Effect.gen(function* () {
    yield* (yield* KubeClient).create(Resources.Deployment, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name }, annotations },
          spec: { containers: [{ name: "app", image: "registry.example.com/shop:1.0" }] }
        }
      }
    } as KubeObject)
  })

const restartedAt = (namespace: string, name: string) =>
  Effect.gen(function* () {
    const d = yield* (yield* KubeClient).get<DeploymentObject>(Resources.Deployment, name, { namespace })
    return d.spec?.template?.metadata?.annotations?.[RestartGuard.restartedAtAnnotation]
  })

const eventsIn = (namespace: string) =>
  Effect.gen(function* () {
    const list = yield* (yield* KubeClient).list<EventObject>(Resources.EventsV1Event, { namespace })
    return list.items
  })

const podsOf = (namespace: string, app: string) =>
  Effect.gen(function* () {
    const list = yield* (yield* KubeClient).list<KubeObject>(Resources.Pod, { namespace, labelSelector: `app=${app}` })
    return list.items
  })

/** An operator namespace with a DynaKube (metadata enrichment on) and a namespace mapped to it. */
const setup = Effect.gen(function* () {
  const operatorNamespace = TestKit.uniqueName("mi-op")
  const appNamespace = TestKit.uniqueName("mi-app")
  const dkName = TestKit.uniqueName("dk")
  yield* TestKit.installCrd
  yield* TestKit.createNamespace(operatorNamespace)
  yield* Effect.addFinalizer(() => TestKit.deleteNamespace(operatorNamespace))
  yield* TestKit.createNamespace(appNamespace, { [Keys.instanceLabel]: dkName })
  yield* Effect.addFinalizer(() => TestKit.deleteNamespace(appNamespace))
  const dk = yield* TestKit.applyDynaKube(operatorNamespace, dkName, {
    apiUrl: "https://tenant.example.com/api",
    metadataEnrichment: { enabled: true }
  })
  return { operatorNamespace, appNamespace, dkUid: dk.metadata?.uid ?? "" }
})

/** Runs the controller with the operator's caches and event recorder for the rest of the scope. */
const startController = (operatorNamespace: string, mode: Controller.Mode) =>
  Effect.gen(function* () {
    const services = Layer.mergeAll(
      Caches.layer(operatorNamespace),
      EventRecorder.layer({ instance: "missed-injection-test" })
    )
    const context = yield* Layer.build(services)
    yield* Effect.gen(function* () {
      yield* (yield* Caches.OperatorCaches).awaitSynced
      yield* Controller.makeMissedInjectionController({
        mode,
        // As the operator builds them from its configuration.
        settings: Controller.settingsOf({
          namespace: operatorNamespace,
          operatorImage: undefined,
          operatorVersion: "0.1.0",
          modules: { csiDriver: true }
        })
      })
    }).pipe(Effect.provide(context))
  })

layer(KubeClient.layer, { excludeTestServices: true })("missed-injection controller on the real apiserver", (it) => {
  it.effect(
    "restart: rolls the Deployment once (restartedAt), records Events, leaves the opted-out one alone",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { operatorNamespace, appNamespace, dkUid } = yield* setup
          yield* deployment(appNamespace, "shop")
          yield* deployment(appNamespace, "optout", { [Keys.input.inject]: "false" })
          // Pods created without the webhook: the kube-controller-manager makes them un-injected.
          yield* TestKit.waitFor(
            "the pods of both Deployments exist",
            podsOf(appNamespace, "shop"),
            (p) => p.length === 2,
            wait
          )
          yield* TestKit.waitFor(
            "the opted-out pods exist",
            podsOf(appNamespace, "optout"),
            (p) => p.length === 2,
            wait
          )
          const restartsBefore = yield* Controller.restartCount

          yield* startController(operatorNamespace, "restart")

          const first = yield* TestKit.waitFor(
            "the Deployment is restarted",
            restartedAt(appNamespace, "shop"),
            (at) => at !== undefined,
            wait
          )
          assert.match(first!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
          const onDeployment = yield* TestKit.waitFor(
            "a RestartedForInjection Event on the Deployment",
            eventsIn(appNamespace),
            (list) => list.some((e) => e.reason === "RestartedForInjection" && e.regarding?.name === "shop"),
            wait
          )
          const restartedEvent = onDeployment.find((e) => e.reason === "RestartedForInjection")!
          assert.strictEqual(restartedEvent.type, "Normal")
          assert.strictEqual(restartedEvent.regarding?.kind, "Deployment")
          assert.include(restartedEvent.note ?? "", `deployment/shop in namespace ${appNamespace}`)
          yield* TestKit.waitFor(
            "a RestartedForInjection Event on the DynaKube",
            eventsIn(operatorNamespace),
            (list) => list.some((e) => e.reason === "RestartedForInjection" && e.regarding?.uid === dkUid),
            wait
          )

          // The new pods come out un-injected as well (no webhook): a warning instead of a second restart.
          const onDynaKube = yield* TestKit.waitFor(
            "a Warning that pods still miss injection after the restart",
            eventsIn(operatorNamespace),
            (list) =>
              list.some(
                (e) =>
                  e.reason === "MissedInjection" &&
                  e.type === "Warning" &&
                  (e.note ?? "").includes("still missing injection after a restart")
              ),
            wait
          )
          const still = onDynaKube.find((e) => (e.note ?? "").includes("still missing"))!
          assert.include(still.note ?? "", `deployment/shop in namespace ${appNamespace}`)
          assert.include(still.note ?? "", "is the webhook running?")
          // Past the 10 s rate limit: a second restart would have happened by now if the guard let it.
          yield* Effect.sleep(Duration.seconds(12))
          assert.strictEqual(yield* restartedAt(appNamespace, "shop"), first)
          assert.strictEqual((yield* Controller.restartCount) - restartsBefore, 1)
          assert.isUndefined(yield* restartedAt(appNamespace, "optout"))
          // Nothing of ours about the opted-out Deployment (the deployment-controller's own Events aside).
          const optoutEvents = (yield* eventsIn(appNamespace)).filter(
            (e) => e.regarding?.name === "optout" && e.reportingController === "dynatrace-operator"
          )
          assert.deepStrictEqual(optoutEvents, [])
        })
      ),
    { timeout: 300_000 }
  )

  it.effect(
    "report: records a Warning naming the Deployment and patches nothing",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { operatorNamespace, appNamespace, dkUid } = yield* setup
          yield* deployment(appNamespace, "shop")
          yield* TestKit.waitFor("the pods exist", podsOf(appNamespace, "shop"), (p) => p.length === 2, wait)
          const restartsBefore = yield* Controller.restartCount

          yield* startController(operatorNamespace, "report")

          const events = yield* TestKit.waitFor(
            "a MissedInjection Warning on the DynaKube",
            eventsIn(operatorNamespace),
            (list) => list.some((e) => e.reason === "MissedInjection" && e.regarding?.uid === dkUid),
            wait
          )
          const warning = events.find((e) => e.reason === "MissedInjection")!
          assert.strictEqual(warning.type, "Warning")
          assert.strictEqual(
            warning.note,
            `2 pods of deployment/shop in namespace ${appNamespace} missed injection; restart the workload`
          )
          assert.isUndefined(yield* restartedAt(appNamespace, "shop"))
          assert.strictEqual((yield* Controller.restartCount) - restartsBefore, 0)
          const gauge = yield* Metric.value(Metric.withAttributes(Controller.missedPods, { namespace: appNamespace }))
          assert.strictEqual(gauge.value, 2)
        })
      ),
    { timeout: 300_000 }
  )

  it.effect(
    "wired: the operator started with DT_MISSED_INJECTION=report runs the controller",
    () =>
      Effect.scoped(
        Effect.gen(function* () {
          const { operatorNamespace, appNamespace, dkUid } = yield* setup
          yield* deployment(appNamespace, "shop")
          yield* TestKit.waitFor("the pods exist", podsOf(appNamespace, "shop"), (p) => p.length === 2, wait)
          const config = yield* TestKit.testConfig(operatorNamespace, { DT_MISSED_INJECTION: "report" })
          assert.strictEqual(config.missedInjection, "report")
          // Only this controller: the DynaKube controller would map (label) namespaces of other tests.
          yield* Effect.forkScoped(
            Effect.scoped(Operator.program(config, TestKit.uniqueName("id"), ["missed-injection"])).pipe(
              Effect.provide(Operator.services(config))
            )
          )
          const events = yield* TestKit.waitFor(
            "a MissedInjection Warning on the DynaKube",
            eventsIn(operatorNamespace),
            (list) => list.some((e) => e.reason === "MissedInjection" && e.regarding?.uid === dkUid),
            wait
          )
          assert.include(events.find((e) => e.reason === "MissedInjection")?.note ?? "", "deployment/shop")
          assert.isUndefined(yield* restartedAt(appNamespace, "shop"))
        })
      ),
    { timeout: 300_000 }
  )
})
