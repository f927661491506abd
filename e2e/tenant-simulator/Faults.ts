/**
 * Fault injection and hit counting per simulator endpoint.
 *
 * A fault is queued for one endpoint and applies to the next `times` requests (default: every request until the
 * faults are cleared). Faults are checked before authentication, as a gateway or a struggling tenant would fail.
 *
 * - `status`: answer with a status code and the tenant's error body (429 gets `Retry-After` when given);
 * - `latency`: wait, then answer normally;
 * - `malformed`: 200 with a body that is not JSON;
 * - `truncate`: announce the full `Content-Length`, send only `bytes` (default: half), then drop the connection;
 * - `reset`: drop the connection without answering;
 * - `body`: answer with exactly this status, content type and body (for fuzzing).
 *
 * @since 0.1.0
 */

/** The endpoints of the simulator (one id per route). */
export const Endpoints = [
  "tokenLookup",
  "agentConnectionInfo",
  "gatewayConnectionInfo",
  "agentLatestMetainfo",
  "gatewayLatestMetainfo",
  "agentVersions",
  "agentDownload",
  "agentDownloadLatest",
  "processModuleConfig",
  "processGroupingConfig",
  "activeGateTokens",
  "containerImages",
  "hosts",
  "events",
  "settingsObjects",
  "settingsCreate",
  "settingsDelete",
  "effectiveValues"
] as const

/** One endpoint id. */
export type Endpoint = (typeof Endpoints)[number]

/** True for a known endpoint id. */
export const isEndpoint = (value: unknown): value is Endpoint =>
  typeof value === "string" && (Endpoints as ReadonlyArray<string>).includes(value)

/** What can go wrong. */
export type Fault =
  | { readonly kind: "status"; readonly status: number; readonly retryAfter?: string; readonly message?: string }
  | { readonly kind: "latency"; readonly millis: number }
  | { readonly kind: "malformed" }
  | { readonly kind: "truncate"; readonly bytes?: number }
  | { readonly kind: "reset" }
  | {
      readonly kind: "body"
      readonly status?: number
      readonly contentType?: string
      /** Text, or base64 of arbitrary bytes when `base64` is true. */
      readonly body: string
      readonly base64?: boolean
    }

/** A queued fault and how many more requests it applies to. */
export interface QueuedFault {
  readonly fault: Fault
  remaining: number
}

/** Per-endpoint fault queues and hit counters. */
export class FaultBook {
  readonly #faults = new Map<Endpoint, Array<QueuedFault>>()
  readonly #hits = new Map<Endpoint, number>()

  /** Queues a fault for `endpoint`; `times` requests (default: until cleared). */
  inject(endpoint: Endpoint, fault: Fault, times?: number): void {
    const queue = this.#faults.get(endpoint) ?? []
    queue.push({ fault, remaining: times === undefined || times <= 0 ? Number.POSITIVE_INFINITY : times })
    this.#faults.set(endpoint, queue)
  }

  /** Removes the faults of one endpoint, or all. */
  clear(endpoint?: Endpoint): void {
    if (endpoint === undefined) this.#faults.clear()
    else this.#faults.delete(endpoint)
  }

  /** Counts a request and returns the fault to apply to it, if any. */
  take(endpoint: Endpoint): Fault | undefined {
    this.#hits.set(endpoint, (this.#hits.get(endpoint) ?? 0) + 1)
    const queue = this.#faults.get(endpoint)
    const head = queue?.[0]
    if (queue === undefined || head === undefined) return undefined
    head.remaining -= 1
    if (head.remaining <= 0) queue.shift()
    return head.fault
  }

  /** Requests seen per endpoint (only endpoints that were hit). */
  hits(): Readonly<Partial<Record<Endpoint, number>>> {
    return Object.fromEntries(this.#hits)
  }

  /** Requests seen by one endpoint. */
  hitsOf(endpoint: Endpoint): number {
    return this.#hits.get(endpoint) ?? 0
  }

  /** Sets every counter to zero. */
  resetHits(): void {
    this.#hits.clear()
  }
}
