/**
 * Where the provisioner reads DynaKubes: the informer cache of the operator namespace in production (no API request
 * per reconcile), any list of objects in tests of the reconcile logic.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Option } from "effect"
import type * as Informer from "../../services/kube/Informer.ts"
import type { ProvisionerDynaKube } from "./ProvisionPlan.ts"

/**
 * @category services
 * @since 0.1.0
 */
export class DynaKubeSource extends Context.Service<
  DynaKubeSource,
  {
    /** The DynaKube with key `namespace/name`, if it exists. */
    readonly get: (key: string) => Effect.Effect<Option.Option<ProvisionerDynaKube>>
    /** Every DynaKube the provisioner is responsible for. */
    readonly list: Effect.Effect<ReadonlyArray<ProvisionerDynaKube>>
  }
>()("dynatrace-operator/csi/provisioner/DynaKubeSource") {}

/**
 * @category constructors
 * @since 0.1.0
 */
export const fromInformer = (informer: Informer.Informer<ProvisionerDynaKube>): DynaKubeSource["Service"] =>
  DynaKubeSource.of({ get: informer.get, list: informer.list() })

/**
 * A source over a mutable map keyed by `namespace/name` (tests change it between reconciles).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerFromMap = (objects: Map<string, ProvisionerDynaKube>): Layer.Layer<DynaKubeSource> =>
  Layer.succeed(
    DynaKubeSource,
    DynaKubeSource.of({
      get: (key) => Effect.sync(() => Option.fromNullishOr(objects.get(key))),
      list: Effect.sync(() => [...objects.values()])
    })
  )
