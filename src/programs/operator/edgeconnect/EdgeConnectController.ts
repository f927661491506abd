/**
 * The EdgeConnect controller (`edgeconnect-controller`, spec §2.3): reconciles the EdgeConnects of the operator
 * namespace (the original's cache covers only that namespace) with `EdgeConnectReconciler`.
 *
 * Sources, all restricted to the operator namespace:
 * - EdgeConnects (the object itself);
 * - Deployments owned by an EdgeConnect (their status drives the phase; a deleted or edited one is restored);
 * - Secrets: those an EdgeConnect owns (`<ec>-ec-yaml`, `<ec>-client`) and those it refers to
 *   (`spec.oauth.clientSecret`, `spec.proxy.authRef`), so rotated credentials reach the pods without waiting for
 *   the 15-minute look.
 *
 * @since 0.1.0
 */
import { type Duration, Effect, type Scope, Stream } from "effect"
import type { EdgeConnect } from "../../../schemas/EdgeConnectV1alpha2.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import * as Informer from "../../../services/kube/Informer.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import { key, keyOf } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Store from "../../../services/kube/Store.ts"
import * as Controller from "../runtime/Controller.ts"
import type { DeploymentStatusView } from "./EdgeConnectDeployment.ts"
import * as EdgeConnectReconciler from "./EdgeConnectReconciler.ts"

/** Controller name in logs and metrics. @category constants */
export const controllerName = "edgeconnect-controller"

/** What the controller needs. @category models */
export interface EdgeConnectControllerConfig {
  /** The operator namespace. */
  readonly namespace: string
  readonly operatorVersion?: string | undefined
  /** Per-request timeout of tenant calls (default 30 s). */
  readonly clientTimeout?: Duration.Input | undefined
  readonly maxConcurrentReconciles?: number | undefined
}

const ownerIndex = "owner"

interface EdgeConnectJson extends KubeObject {
  readonly spec?: Partial<Pick<EdgeConnect["spec"], "oauth" | "proxy">> | undefined
}

/** Names of the Secrets an EdgeConnect refers to. */
const referencedSecrets = (ec: EdgeConnectJson): ReadonlyArray<string> =>
  [ec.spec?.oauth?.clientSecret, ec.spec?.proxy?.authRef].filter((n): n is string => n !== undefined && n !== "")

const ownerKeys = Store.byOwner("EdgeConnect")

/**
 * Starts the controller in the current scope.
 * @category constructors
 */
export const makeEdgeConnectController = (
  config: EdgeConnectControllerConfig
): Effect.Effect<Controller.Controller, never, KubeClient | Scope.Scope> =>
  Effect.gen(function* () {
    const { namespace } = config
    const edgeConnects = yield* Informer.make<EdgeConnectJson>(Resources.EdgeConnect, {
      namespace,
      indexers: { secrets: referencedSecrets }
    })
    const owned = { namespace, indexers: { [ownerIndex]: Store.byOwner("EdgeConnect") } }
    const deployments = yield* Informer.make<DeploymentStatusView>(Resources.Deployment, owned)
    const secrets = yield* Informer.make<KubeObject>(Resources.Secret, owned)

    const edgeConnectKeys = edgeConnects.events.pipe(
      Stream.filter((event) => event.type !== "Resync"),
      Stream.map((event) => key(event.object))
    )
    const deploymentKeys = deployments.events.pipe(
      Stream.flatMap((event) => Stream.fromIterable(ownerKeys(event.object)))
    )
    const secretKeys = secrets.events.pipe(
      Stream.filter((event) => event.type !== "Resync"),
      Stream.mapEffect((event) =>
        Effect.map(edgeConnects.byIndex("secrets", event.object.metadata?.name ?? ""), (referring) => [
          ...ownerKeys(event.object),
          ...referring.map((ec) => keyOf(ec.metadata?.namespace, ec.metadata?.name ?? ""))
        ])
      ),
      Stream.flatMap((keys) => Stream.fromIterable(keys))
    )

    const reconcile = EdgeConnectReconciler.make(
      { clientTimeout: config.clientTimeout, operatorVersion: config.operatorVersion },
      { deployments }
    )
    return yield* Controller.make({
      name: controllerName,
      // Owned objects are read from the cache, so wait for it once.
      reconcile: (k: string) => Effect.andThen(deployments.awaitSynced, reconcile(k)),
      sources: [edgeConnectKeys, deploymentKeys, secretKeys],
      maxConcurrentReconciles: config.maxConcurrentReconciles
    })
  })
