/**
 * HTTP to the API server: one keep-alive agent with the kubeconfig's TLS material, per-request auth headers,
 * JSON in and out, and every failure mapped to `KubeApiError` right here (the one boundary).
 *
 * Requests are counted when sent (`RequestCounter`). A plain request has a client-side deadline so a dead
 * connection cannot hang a reconcile; a streaming request (watch) has none here: the watch detects idleness.
 * Headers and bodies are never logged.
 */
import { HttpAgent, makeAgent, makeNodeHttp } from "@effect/platform-node/NodeHttpClient"
import { Duration, Effect, type Scope, Stream } from "effect"
import { HttpBody, HttpClient, HttpClientRequest, type HttpClientResponse } from "effect/http"
import * as KubeApiError from "../KubeApiError.ts"
import type { Connection } from "./KubeConfigLoader.ts"
import * as RequestCounter from "./RequestCounter.ts"

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

/** One request. `info` names the verb and object for counting and for error messages. */
export interface Request {
  readonly method: Method
  readonly path: string
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>> | undefined
  /** Sent as JSON (`contentType` defaults to application/json). */
  readonly body?: unknown
  readonly contentType?: string | undefined
  readonly verb: RequestCounter.Verb
  readonly info: KubeApiError.RequestInfo
}

export interface Transport {
  /** `https://host:port (context "x")`, for messages. */
  readonly description: string
  /** Sends a request and parses the JSON answer; non-2xx answers and transport failures become KubeApiError. */
  readonly json: (request: Request) => Effect.Effect<unknown, KubeApiError.KubeApiError>
  /**
   * Sends a streaming GET; succeeds once the server answered 200 with the stream of the answer's lines.
   * The connection is closed when the scope closes.
   */
  readonly stream: (
    request: Request
  ) => Effect.Effect<Stream.Stream<string, KubeApiError.KubeApiError>, KubeApiError.KubeApiError, Scope.Scope>
  readonly counter: RequestCounter.RequestCounter
}

export interface TransportOptions {
  /** Deadline of a plain request (default 60 s, the API server's own default). */
  readonly requestTimeout?: Duration.Input | undefined
  readonly userAgent?: string | undefined
}

const queryParams = (query: Request["query"]): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) out[k] = String(v)
  return out
}

const failed = (request: Request, response: HttpClientResponse.HttpClientResponse) =>
  response.text.pipe(
    Effect.orElseSucceed(() => ""),
    Effect.flatMap((text) =>
      Effect.fail(KubeApiError.fromResponse(request.info, response.status, text, response.headers["retry-after"]))
    )
  )

// Debug only: callers decide what a failure means (NotFound is often expected). Never bodies or headers.
const logFailure = (e: KubeApiError.KubeApiError) =>
  Effect.logDebug("Kubernetes API request failed").pipe(
    Effect.annotateLogs({
      verb: e.verb,
      resource: e.resource,
      ...(e.namespace === undefined ? {} : { namespace: e.namespace }),
      ...(e.objectName === undefined ? {} : { name: e.objectName }),
      reason: e.reason._tag,
      ...(e.status === undefined ? {} : { status: e.status })
    })
  )

/** Builds the transport; the agent (and its sockets) lives as long as the scope. */
export const make = (
  connection: Connection,
  options: TransportOptions = {}
): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.gen(function* () {
    const agent = yield* makeAgent(connection.agentOptions)
    const client = yield* makeNodeHttp.pipe(Effect.provideService(HttpAgent, agent))
    const scopedClient = HttpClient.withScope(client)
    const counter = RequestCounter.make()
    const timeout = Duration.fromInputUnsafe(options.requestTimeout ?? "60 seconds")
    const userAgent = options.userAgent ?? "dynatrace-operator-ts"
    const where = `API server ${connection.server}`

    const build = (request: Request, headers: Record<string, string>) =>
      HttpClientRequest.make(request.method)(`${connection.server}${request.path}`, {
        urlParams: queryParams(request.query),
        headers: { ...headers, "user-agent": userAgent },
        acceptJson: true,
        ...(request.body === undefined
          ? {}
          : { body: HttpBody.text(JSON.stringify(request.body), request.contentType ?? "application/json") })
      })

    const authHeaders = (request: Request) =>
      connection.authHeaders.pipe(
        Effect.mapError((e) =>
          KubeApiError.fromTransport(request.info, e, `cannot get credentials for ${connection.server}`)
        )
      )

    const json = (request: Request): Effect.Effect<unknown, KubeApiError.KubeApiError> =>
      Effect.gen(function* () {
        const headers = yield* authHeaders(request)
        counter.record(request.verb, request.info.resource)
        const response = yield* client
          .execute(build(request, headers))
          .pipe(Effect.mapError((e) => KubeApiError.fromTransport(request.info, e, where)))
        if (response.status < 200 || response.status >= 300) return yield* failed(request, response)
        const text = yield* response.text.pipe(
          Effect.mapError((e) => KubeApiError.fromTransport(request.info, e, `${where} (reading the answer)`))
        )
        if (text === "") return {}
        return yield* Effect.try({
          try: () => JSON.parse(text) as unknown,
          catch: (e) => KubeApiError.fromTransport(request.info, e, `${where} answered with a body that is not JSON`)
        })
      }).pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () =>
            Effect.fail(KubeApiError.fromTransport(request.info, `no answer within ${Duration.format(timeout)}`, where))
        }),
        Effect.tapError((e) => Effect.andThen(Effect.sync(counter.recordFailure), logFailure(e)))
      )

    const stream = (request: Request) =>
      Effect.gen(function* () {
        const headers = yield* authHeaders(request)
        counter.record(request.verb, request.info.resource)
        // Scoped: closing the scope aborts the request, which closes the watch connection.
        const response = yield* scopedClient
          .execute(build(request, headers))
          .pipe(Effect.mapError((e) => KubeApiError.fromTransport(request.info, e, where)))
        if (response.status !== 200) return yield* failed(request, response)
        return response.stream.pipe(
          Stream.mapError((e) => KubeApiError.fromTransport(request.info, e, `${where} (watch connection)`)),
          Stream.decodeText(),
          Stream.splitLines
        )
      }).pipe(Effect.tapError(() => Effect.sync(counter.recordFailure)))

    return { description: connection.description, json, stream, counter }
  })
