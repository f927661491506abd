/**
 * Listing: one page (`limit` / `continue`), or every page of a consistent snapshot.
 *
 * All pages of one paginated list come from the same snapshot (the first page's resourceVersion). If the
 * `continue` token expires midway (410 Gone), the list starts over once from the first page, so callers get
 * either a complete consistent list or an error.
 */
import { Effect, type Schedule } from "effect"
import * as KubeApiError from "../KubeApiError.ts"
import type { KubeList, KubeObject } from "./KubeObject.ts"
import * as Resource from "./Resource.ts"
import type { Transport } from "./Transport.ts"

export interface ListOptions {
  /** Absent (or empty) for all namespaces of a namespaced resource. */
  readonly namespace?: string | undefined
  /** `app=x,tier!=db`, `env in (a,b)`, `!legacy` */
  readonly labelSelector?: string | undefined
  /** `metadata.name=x`, `status.phase!=Running` */
  readonly fieldSelector?: string | undefined
  /** Page size; the answer's `metadata.continue` fetches the next page. */
  readonly limit?: number | undefined
  readonly continue?: string | undefined
  /** `""`/absent: most recent (quorum read); `"0"`: any (may be served from cache). */
  readonly resourceVersion?: string | undefined
}

/** Every item, and the resourceVersion of the snapshot they come from. */
export interface ListResult<T> {
  readonly items: ReadonlyArray<T>
  readonly resourceVersion: string
}

/** GETs one page. */
export const page = <T extends KubeObject>(
  transport: Transport,
  resource: Resource.Resource,
  options: ListOptions = {},
  retry?: Schedule.Schedule<unknown, KubeApiError.KubeApiError>
): Effect.Effect<KubeList<T>, KubeApiError.KubeApiError> => {
  const info = {
    verb: "list",
    resource: Resource.label(resource),
    ...(options.namespace ? { namespace: options.namespace } : {})
  }
  const request = transport.json({
    method: "GET",
    path: Resource.collectionPath(resource, options.namespace),
    query: {
      labelSelector: options.labelSelector || undefined,
      fieldSelector: options.fieldSelector || undefined,
      limit: options.limit,
      continue: options.continue || undefined,
      resourceVersion: options.resourceVersion
    },
    verb: "list",
    info
  })
  return (retry === undefined ? request : Effect.retry(request, retry)).pipe(
    Effect.map((body) => {
      const list = body as Partial<KubeList<T>>
      return { ...list, metadata: list.metadata ?? {}, items: list.items ?? [] } as KubeList<T>
    })
  )
}

/** GETs every page (`pageSize` items per request, default 500). */
export const all = <T extends KubeObject>(
  transport: Transport,
  resource: Resource.Resource,
  options: Omit<ListOptions, "limit" | "continue"> & { readonly pageSize?: number | undefined } = {},
  retry?: Schedule.Schedule<unknown, KubeApiError.KubeApiError>
): Effect.Effect<ListResult<T>, KubeApiError.KubeApiError> => {
  const pageSize = options.pageSize ?? 500
  const pages = Effect.gen(function* () {
    const items: Array<T> = []
    let token: string | undefined = undefined
    let resourceVersion = ""
    do {
      const list: KubeList<T> = yield* page<T>(
        transport,
        resource,
        { ...options, limit: pageSize, continue: token },
        retry
      )
      items.push(...list.items)
      resourceVersion = list.metadata.resourceVersion ?? resourceVersion
      token = list.metadata.continue || undefined
    } while (token !== undefined)
    return { items, resourceVersion }
  })
  // An expired continue token: start over once (a fresh snapshot).
  return pages.pipe(Effect.catchIf(KubeApiError.isGone, () => pages))
}
