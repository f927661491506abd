/**
 * Container logs (`GET /api/v1/namespaces/<ns>/pods/<pod>/log`) for the support archive.
 *
 * The log subresource answers plain text, not JSON, so it is read through the Kubernetes transport's streaming GET
 * (the same connection, TLS and credentials as `KubeClient`) and collected line by line up to a byte limit. The
 * apiserver fetches logs from the pod's kubelet; without one (a node that is gone, kwok nodes in tests) the request
 * fails with the apiserver's reason, which the caller records instead of the log.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, Stream } from "effect"
import * as KubeApiError from "../../services/KubeApiError.ts"
import * as KubeConfigLoader from "../../services/kube/KubeConfigLoader.ts"
import * as Transport from "../../services/kube/Transport.ts"

/** @category models @since 0.1.0 */
export interface LogOptions {
  readonly container: string
  /** The log of the previous (crashed) instance of the container. */
  readonly previous?: boolean | undefined
  /** Only the last lines (default: all, up to `limitBytes`). */
  readonly tailLines?: number | undefined
  /** Server-side cap (default 8 MiB). */
  readonly limitBytes?: number | undefined
  /** For the whole read (default 60 s). */
  readonly timeout?: Duration.Input | undefined
}

/** @category services @since 0.1.0 */
export class PodLogs extends Context.Service<
  PodLogs,
  {
    readonly read: (
      namespace: string,
      pod: string,
      options: LogOptions
    ) => Effect.Effect<string, KubeApiError.KubeApiError>
  }
>()("dynatrace-operator/supportarchive/PodLogs") {
  /** From the default kubeconfig chain (KUBECONFIG, ~/.kube/config, in-cluster), like `KubeClient.layer`. */
  static readonly layer: Layer.Layer<PodLogs, KubeConfigLoader.KubeConfigError> = Layer.effect(
    PodLogs,
    Effect.flatMap(KubeConfigLoader.fromDefault(), (kc) => make(kc))
  )

  /** From a kubeconfig file. */
  static readonly layerFromFile = (path: string): Layer.Layer<PodLogs, KubeConfigLoader.KubeConfigError> =>
    Layer.effect(
      PodLogs,
      Effect.flatMap(KubeConfigLoader.fromFile(path), (kc) => make(kc))
    )
}

const defaultLimit = 8 * 1024 * 1024

/** @category constructors @since 0.1.0 */
export const make = Effect.fnUntraced(function* (kc: Parameters<typeof KubeConfigLoader.connection>[0]) {
  const connection = yield* KubeConfigLoader.connection(kc)
  const transport = yield* Transport.make(connection, { userAgent: "dynatrace-operator support-archive" })
  const read = Effect.fn("PodLogs.read")(function* (namespace: string, pod: string, options: LogOptions) {
    const info = { verb: "get", resource: "pods/log", namespace, name: pod }
    const lines = yield* Effect.scoped(
      Effect.flatMap(
        transport.stream({
          method: "GET",
          path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
          query: {
            container: options.container,
            previous: options.previous === true ? true : undefined,
            tailLines: options.tailLines,
            limitBytes: options.limitBytes ?? defaultLimit
          },
          verb: "get",
          info
        }),
        Stream.runCollect
      )
    ).pipe(
      Effect.timeoutOrElse({
        duration: options.timeout ?? "60 seconds",
        orElse: () => Effect.fail(KubeApiError.fromTransport(info, "no complete answer in time", connection.server))
      })
    )
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`
  })
  return PodLogs.of({ read })
})
