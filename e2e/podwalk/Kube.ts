/**
 * A small promise-based view of the project's `KubeClient` for the pod walk and the demo (both are plain async
 * programs that drive several processes): one client per kubeconfig file, every call a promise, 404 as `undefined`
 * where asked.
 *
 * @since 0.1.0
 */
import { Effect, ManagedRuntime } from "effect"
import * as KubeApiError from "../../src/services/KubeApiError.ts"
import { KubeClient } from "../../src/services/KubeClient.ts"
import type { KubeObject } from "../../src/services/kube/KubeObject.ts"
import type { Resource } from "../../src/services/kube/Resource.ts"

/** A connected client. */
export interface Kube {
  readonly get: <T extends KubeObject>(resource: Resource, name: string, namespace?: string) => Promise<T | undefined>
  readonly list: <T extends KubeObject>(
    resource: Resource,
    options?: { readonly namespace?: string; readonly labelSelector?: string }
  ) => Promise<ReadonlyArray<T>>
  readonly create: <T extends KubeObject>(resource: Resource, object: T) => Promise<T>
  readonly apply: <T extends KubeObject>(resource: Resource, object: T, fieldManager: string) => Promise<T>
  readonly updateStatus: <T extends KubeObject>(resource: Resource, object: T) => Promise<T>
  readonly mergePatch: <T extends KubeObject>(
    resource: Resource,
    name: string,
    patch: unknown,
    namespace?: string
  ) => Promise<T>
  /** Deletes; a missing object is fine. */
  readonly remove: (resource: Resource, name: string, namespace?: string) => Promise<void>
  readonly dispose: () => Promise<void>
}

const ns = (namespace: string | undefined) => (namespace === undefined ? {} : { namespace })

/** Opens a client on the kubeconfig file at `kubeconfigPath`. */
export const open = (kubeconfigPath: string): Kube => {
  const runtime = ManagedRuntime.make(KubeClient.layerFromFile(kubeconfigPath))
  const run = <A, E>(f: (kube: KubeClient["Service"]) => Effect.Effect<A, E>): Promise<A> =>
    runtime.runPromise(KubeClient.use(f))
  return {
    get: (resource, name, namespace) =>
      run((kube) =>
        kube.get(resource, name, ns(namespace)).pipe(
          Effect.map((o) => o as never),
          Effect.catchIf(KubeApiError.isNotFound, () => Effect.succeed(undefined))
        )
      ),
    list: (resource, options = {}) =>
      run((kube) =>
        kube
          .list(resource, {
            ...ns(options.namespace),
            ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector })
          })
          .pipe(Effect.map((l) => l.items as never))
      ),
    create: (resource, object) => run((kube) => kube.create(resource, object)),
    apply: (resource, object, fieldManager) =>
      run((kube) => kube.apply(resource, object, { fieldManager, force: true })),
    updateStatus: (resource, object) => run((kube) => kube.updateStatus(resource, object)),
    mergePatch: (resource, name, patch, namespace) =>
      run((kube) => kube.patch(resource, name, { type: "merge", patch }, ns(namespace))),
    remove: (resource, name, namespace) =>
      run((kube) =>
        kube.delete(resource, name, ns(namespace)).pipe(Effect.catchIf(KubeApiError.isNotFound, () => Effect.void))
      ),
    dispose: () => runtime.dispose()
  }
}
