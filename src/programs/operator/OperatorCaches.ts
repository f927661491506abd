/**
 * The operator's informer caches: everything reconciles read often, kept in memory and up to date by watches, so a
 * steady-state reconcile reads nothing from the apiserver.
 *
 * - DynaKubes, and the kinds a DynaKube owns (Secrets, ConfigMaps, Services, DaemonSets, StatefulSets, Deployments),
 *   in the operator namespace only (as the original restricts its cache). Owned kinds are indexed by owner
 *   (`owner` index: the DynaKube's `namespace/name`).
 * - Namespaces, cluster-wide (kube-system's UID, namespace selection for injection).
 *
 * `read` is an `ObjectSync.Reader` over these caches (a GET for kinds without one), so `ObjectSync.ensure` compares
 * against the cache. `awaitSynced` completes when every cache holds its first complete list: readiness waits on it.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Option } from "effect"
import { KubeClient } from "../../services/KubeClient.ts"
import * as Informer from "../../services/kube/Informer.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import { keyOf } from "../../services/kube/KubeObject.ts"
import { withoutManagedFields } from "../../services/kube/ListWatch.ts"
import type { Resource } from "../../services/kube/Resource.ts"
import * as Resources from "../../services/kube/Resources.ts"
import * as Store from "../../services/kube/Store.ts"
import * as Replicas from "./dynakube/injection/Replicas.ts"
import * as ObjectSync from "./runtime/ObjectSync.ts"

/** The index of owned objects by their DynaKube's key. */
export const ownerIndex = "owner"

/** The cached kinds. */
export interface Caches {
  readonly dynakubes: Informer.Informer<KubeObject>
  readonly secrets: Informer.Informer<KubeObject>
  readonly configMaps: Informer.Informer<KubeObject>
  readonly services: Informer.Informer<KubeObject>
  readonly daemonSets: Informer.Informer<KubeObject>
  readonly statefulSets: Informer.Informer<KubeObject>
  readonly deployments: Informer.Informer<KubeObject>
  readonly namespaces: Informer.Informer<KubeObject>
  /** The replicated injection secrets (and their sources), cluster-wide, by DynaKube (`injection/Replicas.ts`). */
  readonly replicas: Informer.Informer<Replicas.Secret>
}

export class OperatorCaches extends Context.Service<
  OperatorCaches,
  Caches & {
    /** The operator namespace the namespaced caches cover. */
    readonly namespace: string
    /** Completes once every cache is synced. */
    readonly awaitSynced: Effect.Effect<void>
    /** Reads an object from its cache when there is one (and it covers the namespace), else with a GET. */
    readonly read: ObjectSync.Reader
  }
>()("dynatrace-operator/operator/OperatorCaches") {}

const sameResource = (a: Resource, b: Resource) => a.group === b.group && a.plural === b.plural

/** Starts the informers for an operator in `namespace`; they live as long as the scope. */
export const make = (namespace: string) =>
  Effect.gen(function* () {
    // managedFields are dropped from every cached object: a third of a typical object, never read from a cache.
    const transform = withoutManagedFields
    const owned = { indexers: { [ownerIndex]: Store.byOwner("DynaKube") }, namespace, transform }
    const caches: Caches = {
      dynakubes: yield* Informer.make<KubeObject>(Resources.DynaKube, { namespace, transform }),
      secrets: yield* Informer.make<KubeObject>(Resources.Secret, owned),
      configMaps: yield* Informer.make<KubeObject>(Resources.ConfigMap, owned),
      services: yield* Informer.make<KubeObject>(Resources.Service, owned),
      daemonSets: yield* Informer.make<KubeObject>(Resources.DaemonSet, owned),
      statefulSets: yield* Informer.make<KubeObject>(Resources.StatefulSet, owned),
      deployments: yield* Informer.make<KubeObject>(Resources.Deployment, owned),
      namespaces: yield* Informer.make<KubeObject>(Resources.Namespace, { transform }),
      // Per-name watches, so RBAC can limit the operator to the replicated names outside its namespace.
      replicas: yield* Replicas.makeInformer({ transform })
    }
    const byResource: ReadonlyArray<readonly [Resource, Informer.Informer<KubeObject>, boolean]> = [
      [Resources.DynaKube, caches.dynakubes, true],
      [Resources.Secret, caches.secrets, true],
      [Resources.ConfigMap, caches.configMaps, true],
      [Resources.Service, caches.services, true],
      [Resources.DaemonSet, caches.daemonSets, true],
      [Resources.StatefulSet, caches.statefulSets, true],
      [Resources.Deployment, caches.deployments, true],
      [Resources.Namespace, caches.namespaces, false]
    ]
    const read: ObjectSync.Reader = <T extends KubeObject>(
      resource: Resource,
      ns: string | undefined,
      name: string
    ) => {
      const entry = byResource.find(([r]) => sameResource(r, resource))
      if (entry === undefined || (entry[2] && ns !== namespace)) return ObjectSync.readWithGet<T>(resource, ns, name)
      return entry[1].get(keyOf(entry[2] ? ns : undefined, name)) as Effect.Effect<Option.Option<T>>
    }
    const awaitSynced = Effect.all(
      [...byResource.map(([, informer]) => informer.awaitSynced), caches.replicas.awaitSynced],
      { concurrency: "unbounded", discard: true }
    )
    return OperatorCaches.of({ ...caches, namespace, awaitSynced, read })
  })

/** The caches of an operator in `namespace`. */
export const layer = (namespace: string): Layer.Layer<OperatorCaches, never, KubeClient> =>
  Layer.effect(OperatorCaches, make(namespace))

/** The objects of a kind owned by the DynaKube `namespace/name`. */
export const ownedBy = (informer: Informer.Informer<KubeObject>, dynakubeKey: string) =>
  informer.byIndex(ownerIndex, dynakubeKey)
