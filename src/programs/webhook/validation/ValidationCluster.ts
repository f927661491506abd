/**
 * The cluster reads validation needs (spec §3.9): DynaKubes in a namespace, every Namespace, a Secret, whether
 * Istio is installed, and the apiserver's minor version. A service so that the handler depends on what it reads,
 * not on a client; `layer` reads through `KubeClient` (uncached, like the original's API reader), `layerStatic`
 * answers from fixed data for unit tests.
 *
 * Every read is bounded by `readTimeout`; any failure becomes a `ClusterReadError` with the apiserver's message,
 * never a Secret's content. Secret data is returned decoded from base64.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer } from "effect"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import { resource } from "../../../services/kube/Resource.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import { ClusterReadError, type NamespaceInfo } from "./dynakube/Context.ts"

export { ClusterReadError } from "./dynakube/Context.ts"

/** Istio's VirtualService; listing it fails with NotFound when Istio's CRDs are absent. */
const VirtualService = resource({
  group: "networking.istio.io",
  version: "v1beta1",
  plural: "virtualservices",
  kind: "VirtualService",
  namespaced: true
})

type Read<A> = Effect.Effect<A, ClusterReadError>

/** @category services @since 0.1.0 */
export class ValidationCluster extends Context.Service<
  ValidationCluster,
  {
    /** DynaKubes of a namespace at the hub version, raw JSON. */
    readonly listDynaKubes: (namespace: string) => Read<ReadonlyArray<unknown>>
    readonly listNamespaces: Read<ReadonlyArray<NamespaceInfo>>
    /** A Secret's data, decoded to UTF-8 text. */
    readonly secretData: (namespace: string, name: string) => Read<Readonly<Record<string, string>>>
    readonly istioInstalled: Read<boolean>
    /** The apiserver's minor version (`35` for v1.35.x, `35+` counts as 35). */
    readonly kubernetesMinorVersion: Read<number>
  }
>()("dynatrace-operator/webhook/validation/ValidationCluster") {
  /** Reads through KubeClient, each bounded by `readTimeout` (default 3 s). */
  static readonly layer = (options: { readonly readTimeout?: Duration.Input } = {}) =>
    Layer.effect(
      ValidationCluster,
      Effect.gen(function* () {
        const kube = yield* KubeClient
        const timeout = Duration.fromInputUnsafe(options.readTimeout ?? "3 seconds")
        const bounded = <A, E extends { readonly message: string }>(what: string, eff: Effect.Effect<A, E>): Read<A> =>
          eff.pipe(
            Effect.mapError((e) => new ClusterReadError({ message: e.message })),
            Effect.timeoutOrElse({
              duration: timeout,
              orElse: () =>
                Effect.fail(new ClusterReadError({ message: `${what}: no answer within ${Duration.format(timeout)}` }))
            })
          )
        return ValidationCluster.of({
          listDynaKubes: (namespace) =>
            bounded(
              "list DynaKubes",
              Effect.map(kube.listAll(Resources.DynaKube, { namespace }), (list) => list.items)
            ),
          listNamespaces: bounded(
            "list namespaces",
            Effect.map(kube.listAll(Resources.Namespace), (list) =>
              list.items.map((ns: KubeObject) => ({ name: ns.metadata?.name ?? "", labels: ns.metadata?.labels ?? {} }))
            )
          ),
          secretData: (namespace, name) =>
            bounded(
              `read Secret ${namespace}/${name}`,
              Effect.map(
                kube.get<KubeObject & { readonly data?: Record<string, string> }>(Resources.Secret, name, {
                  namespace
                }),
                (secret) => decodeData(secret.data)
              )
            ),
          istioInstalled: bounded(
            "look up Istio",
            kube.list(VirtualService, { namespace: "default", limit: 1 }).pipe(
              Effect.as(true),
              Effect.catchTag("KubeApiError", (e) =>
                e.reason._tag === "NotFound" ? Effect.succeed(false) : Effect.fail(e)
              )
            )
          ),
          kubernetesMinorVersion: bounded(
            "read the server version",
            Effect.flatMap(kube.version, (v) => {
              const minor = Number.parseInt(v.minor, 10)
              return Number.isNaN(minor)
                ? Effect.fail(new ClusterReadError({ message: `unexpected minor version "${v.minor}"` }))
                : Effect.succeed(minor)
            })
          )
        })
      })
    )

  /** Fixed answers, for tests: absent Secrets and a missing Istio fail or answer like the real thing. */
  static readonly layerStatic = (data: {
    readonly dynaKubes?: ReadonlyArray<unknown>
    readonly namespaces?: ReadonlyArray<NamespaceInfo>
    /** `namespace/name` → decoded data */
    readonly secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>
    readonly istioInstalled?: boolean
    readonly kubernetesMinorVersion?: number
    /** Every read fails. */
    readonly failing?: boolean
  }) => Layer.succeed(ValidationCluster, ValidationCluster.of(staticReads(data)))
}

/** Base64 Secret data as text. */
const decodeData = (data: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]))

const fail = (message: string) => Effect.fail(new ClusterReadError({ message }))

const staticReads = (data: Parameters<typeof ValidationCluster.layerStatic>[0]): ValidationCluster["Service"] => {
  const ok = <A>(a: A): Read<A> => (data.failing === true ? fail("read failed") : Effect.succeed(a))
  return {
    listDynaKubes: (namespace) =>
      ok(
        (data.dynaKubes ?? []).filter(
          (dk) => (dk as { metadata?: { namespace?: string } }).metadata?.namespace === namespace
        )
      ),
    listNamespaces: ok(data.namespaces ?? []),
    secretData: (namespace, name) => {
      const secret = data.secrets?.[`${namespace}/${name}`]
      return data.failing === true || secret === undefined
        ? fail(`secrets "${name}" not found`)
        : Effect.succeed(secret)
    },
    istioInstalled: ok(data.istioInstalled ?? true),
    kubernetesMinorVersion: ok(data.kubernetesMinorVersion ?? 35)
  }
}
