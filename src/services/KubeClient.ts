/**
 * KubeClient: the one way every component talks to Kubernetes.
 *
 * - Generic over any resource through a `Resource` descriptor (`kube/Resources.ts` has the ones we use), on
 *   plain JSON objects (`KubeObject` shape); callers type them or decode them with a Schema.
 * - CRUD, list with selectors and pagination, delete with propagation policy and preconditions, merge / JSON /
 *   strategic-merge patch, server-side apply with a field manager, status updates.
 * - `watch`: the endless list-then-watch stream (relist on 410, reconnect with backoff, see `kube/ListWatch.ts`);
 *   `kube/Informer.ts` builds indexed caches on it.
 * - Failures are one `KubeApiError` with a `reason`; transient ones (429, 5xx, no answer) are retried with
 *   `kube/RetryPolicy.ts` (Retry-After honoured); nothing else is.
 * - `requestStats` counts every request by verb and resource, writes apart from reads.
 *
 * Layers: `layer` (default kubeconfig chain: KUBECONFIG, ~/.kube/config, in-cluster), `layerFromFile`,
 * `layerFromString`. A bad kubeconfig fails the layer with one `KubeConfigError` that says what is wrong.
 * Kubeconfigs are parsed by `kube/KubeConfigFile.ts` (client-node only for exec/auth-provider users, loaded lazily);
 * requests go over Node's https.
 */
import type { KubeConfig } from "./kube/KubeConfigLoader.ts"
import { Context, Effect, Layer, type Schedule, type Stream } from "effect"
import * as KubeApiError from "./KubeApiError.ts"
import * as KubeConfigLoader from "./kube/KubeConfigLoader.ts"
import type { KubeList, KubeObject } from "./kube/KubeObject.ts"
import * as List from "./kube/List.ts"
import * as ListWatch from "./kube/ListWatch.ts"
import * as RequestCounter from "./kube/RequestCounter.ts"
import * as Resource from "./kube/Resource.ts"
import * as RetryPolicy from "./kube/RetryPolicy.ts"
import * as Transport from "./kube/Transport.ts"

export { KubeApiError } from "./KubeApiError.ts"
export { KubeConfigError } from "./kube/KubeConfigLoader.ts"

/** Options of a request on one object. */
export interface ObjectOptions {
  /** Namespace of a namespaced resource (for writes, defaults to the object's `metadata.namespace`). */
  readonly namespace?: string | undefined
}

export interface WriteOptions extends ObjectOptions {
  /** Validate and run admission, but persist nothing. */
  readonly dryRun?: boolean | undefined
  /** Defaults to the client's field manager. */
  readonly fieldManager?: string | undefined
}

export interface DeleteOptions extends ObjectOptions {
  /** Foreground / Background (default for most kinds) / Orphan. */
  readonly propagationPolicy?: "Foreground" | "Background" | "Orphan" | undefined
  /** Delete only if the object still has this uid / resourceVersion (else Conflict). */
  readonly preconditions?: { readonly uid?: string | undefined; readonly resourceVersion?: string | undefined }
  readonly gracePeriodSeconds?: number | undefined
  readonly dryRun?: boolean | undefined
}

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  readonly op: "add" | "remove" | "replace" | "move" | "copy" | "test"
  readonly path: string
  readonly value?: unknown
  readonly from?: string
}

/** A patch and its kind (`strategic` works for built-in kinds only). */
export type Patch =
  | { readonly type: "merge"; readonly patch: unknown }
  | { readonly type: "json"; readonly patch: ReadonlyArray<JsonPatchOperation> }
  | { readonly type: "strategic"; readonly patch: unknown }

export interface PatchOptions extends WriteOptions {
  /** e.g. `status` */
  readonly subresource?: string | undefined
}

export interface ApplyOptions extends PatchOptions {
  /** Take over fields owned by other managers instead of failing with Conflict (default false). */
  readonly force?: boolean | undefined
}

/** The API server's version (`GET /version`). */
export interface ServerVersion {
  readonly major: string
  readonly minor: string
  readonly gitVersion: string
  readonly [key: string]: unknown
}

type Eff<A> = Effect.Effect<A, KubeApiError.KubeApiError>

export class KubeClient extends Context.Service<
  KubeClient,
  {
    /** `https://host:port (context "x")` */
    readonly server: string
    readonly get: <T extends KubeObject>(resource: Resource.Resource, name: string, options?: ObjectOptions) => Eff<T>
    /** One list request: all items, or one page when `limit` is set (next page via `continue`). */
    readonly list: <T extends KubeObject>(resource: Resource.Resource, options?: List.ListOptions) => Eff<KubeList<T>>
    /** Every page of a consistent list. */
    readonly listAll: <T extends KubeObject>(
      resource: Resource.Resource,
      options?: Omit<List.ListOptions, "limit" | "continue"> & { readonly pageSize?: number | undefined }
    ) => Eff<List.ListResult<T>>
    readonly create: <T extends KubeObject>(resource: Resource.Resource, object: T, options?: WriteOptions) => Eff<T>
    /** PUT; the object's `metadata.resourceVersion`, if set, makes it conditional (else Conflict). */
    readonly update: <T extends KubeObject>(resource: Resource.Resource, object: T, options?: WriteOptions) => Eff<T>
    /** PUT to the `status` subresource (only `status` changes). */
    readonly updateStatus: <T extends KubeObject>(
      resource: Resource.Resource,
      object: T,
      options?: WriteOptions
    ) => Eff<T>
    readonly patch: <T extends KubeObject>(
      resource: Resource.Resource,
      name: string,
      patch: Patch,
      options?: PatchOptions
    ) => Eff<T>
    /**
     * Server-side apply: the object states every field this field manager owns. `apiVersion`/`kind` are filled
     * from the resource when absent; `metadata.managedFields` is dropped (the server rejects it).
     */
    readonly apply: <T extends KubeObject>(resource: Resource.Resource, object: T, options?: ApplyOptions) => Eff<T>
    readonly delete: (resource: Resource.Resource, name: string, options?: DeleteOptions) => Eff<void>
    /** The endless list-then-watch stream of changes (never fails; see `kube/ListWatch.ts`). */
    readonly watch: <T extends KubeObject>(
      resource: Resource.Resource,
      options?: ListWatch.ListWatchOptions
    ) => Stream.Stream<ListWatch.WatchEvent<T>>
    readonly version: Eff<ServerVersion>
    readonly requestStats: Effect.Effect<RequestCounter.RequestStats>
    readonly resetRequestStats: Effect.Effect<void>
  }
>()("dynatrace-operator/services/KubeClient") {
  /** From the default kubeconfig chain: KUBECONFIG, ~/.kube/config, in-cluster service account. */
  static readonly layer: Layer.Layer<KubeClient, KubeConfigLoader.KubeConfigError> = Layer.effect(
    KubeClient,
    Effect.flatMap(KubeConfigLoader.fromDefault(), (kc) => make(kc))
  )

  /** From the default kubeconfig chain, with options. */
  static readonly layerWith = (options: KubeClientOptions): Layer.Layer<KubeClient, KubeConfigLoader.KubeConfigError> =>
    Layer.effect(
      KubeClient,
      Effect.flatMap(KubeConfigLoader.fromDefault(), (kc) => make(kc, options))
    )

  /** From a kubeconfig file. */
  static readonly layerFromFile = (
    path: string,
    options?: KubeClientOptions
  ): Layer.Layer<KubeClient, KubeConfigLoader.KubeConfigError> =>
    Layer.effect(
      KubeClient,
      Effect.flatMap(KubeConfigLoader.fromFile(path), (kc) => make(kc, options))
    )

  /** From kubeconfig YAML text. */
  static readonly layerFromString = (
    yaml: string,
    options?: KubeClientOptions
  ): Layer.Layer<KubeClient, KubeConfigLoader.KubeConfigError> =>
    Layer.effect(
      KubeClient,
      Effect.flatMap(KubeConfigLoader.fromString(yaml), (kc) => make(kc, options))
    )
}

export interface KubeClientOptions extends Transport.TransportOptions {
  /** Field manager of writes and server-side apply (default `dynatrace-operator`). */
  readonly fieldManager?: string | undefined
  /** Retries of a failed request (default `RetryPolicy.transient()`); `false` for none. */
  readonly retry?: Schedule.Schedule<unknown, KubeApiError.KubeApiError> | false | undefined
}

const contentTypes = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml"
} as const

/** Builds a client from a loaded KubeConfig; its connections close with the Scope. */
export const make = (kc: KubeConfig, config: KubeClientOptions = {}) =>
  Effect.gen(function* () {
    const connection = yield* KubeConfigLoader.connection(kc)
    const transport = yield* Transport.make(connection, config)
    const fieldManager = config.fieldManager ?? "dynatrace-operator"
    const retry = config.retry === false ? RetryPolicy.none : (config.retry ?? RetryPolicy.transient())

    const send = (request: Transport.Request): Eff<unknown> => Effect.retry(transport.json(request), retry)

    const write = (options: WriteOptions | undefined) => ({
      fieldManager: options?.fieldManager ?? fieldManager,
      dryRun: options?.dryRun ? "All" : undefined
    })

    const get = Effect.fn("KubeClient.get")(function* (
      resource: Resource.Resource,
      name: string,
      options?: ObjectOptions
    ) {
      const t = yield* target("get", resource, name, options?.namespace)
      return yield* send({
        method: "GET",
        path: Resource.objectPath(resource, t.name, t.namespace),
        verb: "get",
        info: infoOf("get", resource, t.name, t.namespace)
      })
    })

    const list = Effect.fn("KubeClient.list")(function* (resource: Resource.Resource, options?: List.ListOptions) {
      return yield* List.page(transport, resource, options, retry)
    })

    const listAll = Effect.fn("KubeClient.listAll")(function* (
      resource: Resource.Resource,
      options?: Omit<List.ListOptions, "limit" | "continue"> & { readonly pageSize?: number | undefined }
    ) {
      return yield* List.all(transport, resource, options, retry)
    })

    const create = Effect.fn("KubeClient.create")(function* (
      resource: Resource.Resource,
      object: KubeObject,
      options?: WriteOptions
    ) {
      const namespace = options?.namespace ?? object.metadata?.namespace
      const info = infoOf("create", resource, object.metadata?.name, namespace)
      if (resource.namespaced && !namespace) {
        return yield* KubeApiError.invalidRequest(info, `a namespace is required for ${resource.plural}`)
      }
      return yield* send({
        method: "POST",
        path: Resource.collectionPath(resource, resource.namespaced ? namespace : undefined),
        query: write(options),
        body: withTypeMeta(resource, object),
        verb: "create",
        info
      })
    })

    const put = (verb: "update", sub: string | undefined) =>
      Effect.fnUntraced(function* (resource: Resource.Resource, object: KubeObject, options?: WriteOptions) {
        const t = yield* target(
          verb,
          resource,
          object.metadata?.name,
          options?.namespace ?? object.metadata?.namespace,
          sub
        )
        return yield* send({
          method: "PUT",
          path: Resource.objectPath(resource, t.name, t.namespace, sub),
          query: write(options),
          body: withTypeMeta(resource, object),
          verb,
          info: infoOf(verb, resource, t.name, t.namespace, sub)
        })
      })
    const update = Effect.fn("KubeClient.update")(put("update", undefined))
    const updateStatus = Effect.fn("KubeClient.updateStatus")(put("update", "status"))

    const patch = Effect.fn("KubeClient.patch")(function* (
      resource: Resource.Resource,
      name: string,
      body: Patch,
      options?: PatchOptions
    ) {
      const t = yield* target("patch", resource, name, options?.namespace, options?.subresource)
      return yield* send({
        method: "PATCH",
        path: Resource.objectPath(resource, t.name, t.namespace, options?.subresource),
        query: write(options),
        body: body.patch,
        contentType: contentTypes[body.type],
        verb: "patch",
        info: infoOf("patch", resource, t.name, t.namespace, options?.subresource)
      })
    })

    const apply = Effect.fn("KubeClient.apply")(function* (
      resource: Resource.Resource,
      object: KubeObject,
      options?: ApplyOptions
    ) {
      const t = yield* target(
        "apply",
        resource,
        object.metadata?.name,
        options?.namespace ?? object.metadata?.namespace,
        options?.subresource
      )
      const { managedFields: _dropped, ...metadata } = object.metadata ?? {}
      return yield* send({
        method: "PATCH",
        path: Resource.objectPath(resource, t.name, t.namespace, options?.subresource),
        query: { ...write(options), force: options?.force ? true : undefined },
        body: { ...withTypeMeta(resource, object), metadata },
        contentType: contentTypes.apply,
        verb: "apply",
        info: infoOf("apply", resource, t.name, t.namespace, options?.subresource)
      })
    })

    const del = Effect.fn("KubeClient.delete")(function* (
      resource: Resource.Resource,
      name: string,
      options?: DeleteOptions
    ) {
      const t = yield* target("delete", resource, name, options?.namespace)
      const preconditions = options?.preconditions
      yield* send({
        method: "DELETE",
        path: Resource.objectPath(resource, t.name, t.namespace),
        body: {
          apiVersion: "v1",
          kind: "DeleteOptions",
          ...(options?.propagationPolicy === undefined ? {} : { propagationPolicy: options.propagationPolicy }),
          ...(options?.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: options.gracePeriodSeconds }),
          ...(preconditions === undefined ? {} : { preconditions }),
          ...(options?.dryRun ? { dryRun: ["All"] } : {})
        },
        verb: "delete",
        info: infoOf("delete", resource, t.name, t.namespace)
      })
    })

    const version = send({
      method: "GET",
      path: "/version",
      verb: "get",
      info: { verb: "get", resource: "version" }
    }).pipe(
      Effect.map((v) => v as ServerVersion),
      Effect.withSpan("KubeClient.version")
    )

    return KubeClient.of({
      server: transport.description,
      get: get as KubeClient["Service"]["get"],
      list: list as KubeClient["Service"]["list"],
      listAll: listAll as KubeClient["Service"]["listAll"],
      create: create as KubeClient["Service"]["create"],
      update: update as KubeClient["Service"]["update"],
      updateStatus: updateStatus as KubeClient["Service"]["updateStatus"],
      patch: patch as KubeClient["Service"]["patch"],
      apply: apply as KubeClient["Service"]["apply"],
      delete: del,
      watch: (resource, options) => ListWatch.listWatch(transport, resource, options),
      version,
      requestStats: Effect.sync(() => transport.counter.stats()),
      resetRequestStats: Effect.sync(() => transport.counter.reset())
    })
  })

const infoOf = (verb: string, resource: Resource.Resource, name?: string, namespace?: string, sub?: string) => ({
  verb,
  resource: Resource.label(resource, sub),
  ...(namespace ? { namespace } : {}),
  ...(name ? { name } : {})
})

/** Checks what can be checked before sending: a name, and a namespace for namespaced resources. */
const target = (
  verb: string,
  resource: Resource.Resource,
  name: string | undefined,
  namespace: string | undefined,
  sub?: string
): Eff<{ readonly name: string; readonly namespace: string | undefined }> => {
  const info = infoOf(verb, resource, name, namespace, sub)
  if (name === undefined || name === "") {
    return Effect.fail(KubeApiError.invalidRequest(info, "metadata.name is required"))
  }
  if (resource.namespaced && (namespace === undefined || namespace === "")) {
    return Effect.fail(KubeApiError.invalidRequest(info, `a namespace is required for ${resource.plural}`))
  }
  return Effect.succeed({ name, namespace: resource.namespaced ? namespace : undefined })
}

/** Fills `apiVersion` and `kind` from the descriptor when the object lacks them. */
const withTypeMeta = (resource: Resource.Resource, object: KubeObject): KubeObject => ({
  ...object,
  apiVersion: object.apiVersion ?? Resource.apiVersion(resource),
  kind: object.kind ?? resource.kind
})
