/**
 * Counts the requests a KubeClient sent, by verb and resource, with writes apart from reads.
 *
 * Tests and benchmarks read it to prove the operator's "no writes when nothing changed" property: take
 * `stats` before and after a reconcile and compare with `diff`. Every HTTP request is counted once when it
 * is sent, retries included (a retry is a request the server saw); a watch counts once per connection.
 */

/** The request verbs, as Kubernetes audit logs name them (`apply` is a PATCH with the apply content type). */
export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "apply" | "delete"

export const writeVerbs: ReadonlySet<Verb> = new Set(["create", "update", "patch", "apply", "delete"])

/** A snapshot of the counts. Plain JSON, so benchmarks can print it. */
export interface RequestStats {
  readonly total: number
  /** get + list */
  readonly reads: number
  /** watch connections opened */
  readonly watches: number
  /** create + update + patch + apply + delete */
  readonly writes: number
  /** requests that got no 2xx answer */
  readonly failed: number
  readonly byVerb: Readonly<Record<Verb, number>>
  /** Keyed `"<verb> <resource>"`, e.g. `"apply apps/deployments"`, `"update dynatrace.com/dynakubes/status"`. */
  readonly byRequest: Readonly<Record<string, number>>
}

export interface RequestCounter {
  /** Counts one sent request. */
  readonly record: (verb: Verb, resource: string) => void
  /** Counts one request that failed (in addition to `record`). */
  readonly recordFailure: () => void
  readonly stats: () => RequestStats
  readonly reset: () => void
}

const zeroVerbs = (): Record<Verb, number> => ({
  get: 0,
  list: 0,
  watch: 0,
  create: 0,
  update: 0,
  patch: 0,
  apply: 0,
  delete: 0
})

export const empty: RequestStats = {
  total: 0,
  reads: 0,
  watches: 0,
  writes: 0,
  failed: 0,
  byVerb: zeroVerbs(),
  byRequest: {}
}

export const make = (): RequestCounter => {
  let byVerb = zeroVerbs()
  let byRequest = new Map<string, number>()
  let failed = 0
  return {
    record: (verb, resource) => {
      byVerb[verb]++
      const k = `${verb} ${resource}`
      byRequest.set(k, (byRequest.get(k) ?? 0) + 1)
    },
    recordFailure: () => {
      failed++
    },
    stats: () => {
      const v = { ...byVerb }
      const writes = v.create + v.update + v.patch + v.apply + v.delete
      return {
        total: writes + v.get + v.list + v.watch,
        reads: v.get + v.list,
        watches: v.watch,
        writes,
        failed,
        byVerb: v,
        byRequest: Object.fromEntries([...byRequest].toSorted(([a], [b]) => a.localeCompare(b)))
      }
    },
    reset: () => {
      byVerb = zeroVerbs()
      byRequest = new Map()
      failed = 0
    }
  }
}

/** What happened between two snapshots (`after - before`); entries that did not change are left out. */
export const diff = (after: RequestStats, before: RequestStats): RequestStats => {
  const byVerb = zeroVerbs()
  for (const verb of Object.keys(byVerb) as Array<Verb>) byVerb[verb] = after.byVerb[verb] - before.byVerb[verb]
  const byRequest: Record<string, number> = {}
  for (const [k, n] of Object.entries(after.byRequest)) {
    const d = n - (before.byRequest[k] ?? 0)
    if (d !== 0) byRequest[k] = d
  }
  return {
    total: after.total - before.total,
    reads: after.reads - before.reads,
    watches: after.watches - before.watches,
    writes: after.writes - before.writes,
    failed: after.failed - before.failed,
    byVerb,
    byRequest
  }
}
