/**
 * Where `bootstrap` gets a code-module zip when the volume does not already hold one (no CSI driver, spec §4.2
 * step 1): the tenant's installer endpoint (spec §6.2 #7)
 * `GET <url>/v1/deployment/installer/agent/unix/paas/version/<version>?flavor=…&arch=x86&bitness=64&skipMetadata=false&include=…`
 * with `Authorization: Api-Token <token>` and `Accept: application/octet-stream`; on failure, the versions the
 * tenant does offer (#6) go into the log.
 *
 * The default layer is a plain streaming HTTP(S) GET (node:https): the body goes straight to disk while its
 * SHA-256 is computed, its length is checked against `Content-Length`, the proxy (with `noProxy`) and trusted CAs
 * of `dtclient.config` are honoured, and the whole transfer has a deadline (15 min by default, env
 * `DT_CLIENT_CONNECTION_TIMEOUT`). The service is an interface so the tenant client (`DynatraceApi`) can stand in
 * later without touching the bootstrap program.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer, Redacted, Schema } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import { Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import * as tls from "node:tls"

/**
 * Why a download failed.
 *
 * @category errors
 * @since 0.1.0
 */
export const DownloadFailure = Schema.Literals([
  "Unauthorized",
  "NotFound",
  "HttpStatus",
  "Transport",
  "Timeout",
  "Truncated",
  "Io"
])

/**
 * A failed tenant request. `url` never carries credentials; `status` is the HTTP status when there was one.
 *
 * @category errors
 * @since 0.1.0
 */
export class CodeModuleDownloadError extends Schema.TaggedError<CodeModuleDownloadError>()("CodeModuleDownloadError", {
  reason: DownloadFailure,
  url: Schema.String,
  status: Schema.optional(Schema.Number),
  message: Schema.String
}) {}

/**
 * How to reach the tenant (from `--url` and the mounted `dtclient.config` / `trusted.pem`).
 *
 * @category models
 * @since 0.1.0
 */
export interface TenantConnection {
  /** API base URL, ending in `/api`. */
  readonly url: string
  /** Used as PaaS token too (spec §4.2). */
  readonly apiToken: Redacted.Redacted<string>
  readonly proxy?: string | undefined
  readonly noProxy?: string | undefined
  readonly skipCertCheck?: boolean | undefined
  /** PEM bundle trusted in addition to the system roots. */
  readonly trustedCas?: string | undefined
  readonly timeout: Duration.Duration
  readonly userAgent?: string | undefined
}

/**
 * Which code module.
 *
 * @category models
 * @since 0.1.0
 */
export interface CodeModuleRequest {
  readonly version: string
  readonly flavor: string
  /** Empty = all technologies. */
  readonly technologies: ReadonlyArray<string>
}

/**
 * What a finished download produced.
 *
 * @category models
 * @since 0.1.0
 */
export interface DownloadSummary {
  readonly bytes: number
  readonly sha256: string
}

/**
 * @category services
 * @since 0.1.0
 */
export class CodeModuleSource extends Context.Service<
  CodeModuleSource,
  {
    /** Streams the zip into `destination` (created, must not exist). A partial file may remain on failure. */
    readonly download: (
      connection: TenantConnection,
      request: CodeModuleRequest,
      destination: string
    ) => Effect.Effect<DownloadSummary, CodeModuleDownloadError>
    /** The versions the tenant offers for this flavor (for the log after a failed download). */
    readonly availableVersions: (
      connection: TenantConnection,
      flavor: string
    ) => Effect.Effect<ReadonlyArray<string>, CodeModuleDownloadError>
  }
>()("dynatrace-operator/init/CodeModuleSource") {}

/**
 * The download URL of spec §6.2 #7 for the bootstrapper (`skipMetadata=false`).
 *
 * @category urls
 * @since 0.1.0
 */
export const downloadUrl = (base: string, request: CodeModuleRequest): URL => {
  const url = new URL(
    `${base.replace(/\/+$/, "")}/v1/deployment/installer/agent/unix/paas/version/${encodeURIComponent(request.version)}`
  )
  url.searchParams.set("flavor", request.flavor)
  url.searchParams.set("arch", "x86")
  url.searchParams.set("bitness", "64")
  url.searchParams.set("skipMetadata", "false")
  for (const tech of request.technologies.length === 0 ? ["all"] : request.technologies)
    url.searchParams.append("include", tech)
  return url
}

/**
 * The versions URL of spec §6.2 #6.
 *
 * @category urls
 * @since 0.1.0
 */
export const versionsUrl = (base: string, flavor: string): URL => {
  const url = new URL(`${base.replace(/\/+$/, "")}/v1/deployment/installer/agent/versions/unix/paas`)
  url.searchParams.set("flavor", flavor)
  url.searchParams.set("arch", "x86")
  return url
}

const agentFor = (connection: TenantConnection, url: URL): http.Agent => {
  const proxyEnv =
    connection.proxy === undefined || connection.proxy === ""
      ? undefined
      : { HTTP_PROXY: connection.proxy, HTTPS_PROXY: connection.proxy, NO_PROXY: connection.noProxy ?? "" }
  if (url.protocol === "http:") return new http.Agent(proxyEnv ? { proxyEnv } : {})
  return new https.Agent({
    ...(proxyEnv ? { proxyEnv } : {}),
    rejectUnauthorized: connection.skipCertCheck !== true,
    ...(connection.trustedCas ? { ca: [...tls.rootCertificates, connection.trustedCas] } : {})
  })
}

/** The URL as it may appear in logs and errors. */
const shown = (url: URL) => `${url.origin}${url.pathname}${url.search}`

const MAX_ERROR_BODY = 64 * 1024

/** The tenant's error message from `{"error":{"message"}}` or `[{"error":…}]`, if the body has one. */
const tenantMessage = (body: string): string | undefined => {
  try {
    const parsed: unknown = JSON.parse(body)
    const first = Array.isArray(parsed) ? parsed[0] : parsed
    const message = (first as { error?: { message?: unknown } } | undefined)?.error?.message
    return typeof message === "string" ? message : undefined
  } catch {
    return undefined
  }
}

/** Sends one GET and hands the response (status 200) to `onBody`; anything else becomes a typed error. */
const get = <A>(
  connection: TenantConnection,
  url: URL,
  accept: string,
  onBody: (response: http.IncomingMessage, signal: AbortSignal) => Promise<A>
): Effect.Effect<A, CodeModuleDownloadError> => {
  const fail = (reason: typeof DownloadFailure.Type, message: string, status?: number) =>
    new CodeModuleDownloadError({ reason, url: shown(url), message, ...(status === undefined ? {} : { status }) })
  return Effect.tryPromise({
    try: (signal) =>
      new Promise<A>((resolve, reject) => {
        const agent = agentFor(connection, url)
        const request = (url.protocol === "http:" ? http : https).request(url, {
          method: "GET",
          agent,
          signal,
          headers: {
            Authorization: `Api-Token ${Redacted.value(connection.apiToken)}`,
            Accept: accept,
            "User-Agent": connection.userAgent ?? "dynatrace-operator"
          }
        })
        request.on("error", (err) => {
          agent.destroy()
          reject(signal.aborted ? err : fail("Transport", `Request to ${shown(url)} failed: ${err.message}`))
        })
        request.on("response", (response) => {
          const status = response.statusCode ?? 0
          if (status === 200) {
            onBody(response, signal)
              .then(resolve, reject)
              .finally(() => agent.destroy())
            return
          }
          let body = ""
          response.setEncoding("utf8")
          response.on("data", (chunk: string) => {
            if (body.length < MAX_ERROR_BODY) body += chunk
          })
          response.on("error", () => undefined)
          response.on("end", () => {
            agent.destroy()
            const detail = tenantMessage(body)
            const reason =
              status === 401 || status === 403 ? "Unauthorized" : status === 404 ? "NotFound" : "HttpStatus"
            reject(fail(reason, `${shown(url)} answered ${status}${detail ? `: ${detail}` : ""}.`, status))
          })
        })
        request.end()
      }),
    catch: (cause) =>
      cause instanceof CodeModuleDownloadError
        ? cause
        : fail("Io", `Download from ${shown(url)} failed: ${cause instanceof Error ? cause.message : String(cause)}`)
  }).pipe(
    Effect.timeoutOrElse({
      duration: connection.timeout,
      orElse: () =>
        Effect.fail(fail("Timeout", `${shown(url)} did not finish within ${Duration.format(connection.timeout)}.`))
    })
  )
}

const download = (connection: TenantConnection, request: CodeModuleRequest, destination: string) => {
  const url = downloadUrl(connection.url, request)
  return get(connection, url, "application/octet-stream", async (response, signal) => {
    const expected = Number(response.headers["content-length"] ?? Number.NaN)
    const hash = createHash("sha256")
    let bytes = 0
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length
        hash.update(chunk)
        done(null, chunk)
      }
    })
    const sink = fs.createWriteStream(destination, { flags: "wx", mode: 0o644, highWaterMark: 1024 * 1024 })
    await pipeline(response, meter, sink, { signal })
    if (Number.isFinite(expected) && bytes !== expected) {
      throw new CodeModuleDownloadError({
        reason: "Truncated",
        url: shown(url),
        message: `${shown(url)} sent ${bytes} of ${expected} bytes.`
      })
    }
    return { bytes, sha256: hash.digest("hex") }
  })
}

const AvailableVersions = Schema.Struct({ availableVersions: Schema.Array(Schema.String) })

const availableVersions = (connection: TenantConnection, flavor: string) => {
  const url = versionsUrl(connection.url, flavor)
  return get(connection, url, "application/json", async (response) => {
    let body = ""
    response.setEncoding("utf8")
    for await (const chunk of response) {
      body += chunk as string
      if (body.length > MAX_ERROR_BODY * 16) break
    }
    return body
  }).pipe(
    Effect.flatMap((body) =>
      Schema.decodeUnknownEffect(Schema.fromJsonString(AvailableVersions))(body).pipe(
        Effect.map((decoded) => decoded.availableVersions),
        Effect.mapError(
          () =>
            new CodeModuleDownloadError({
              reason: "HttpStatus",
              url: shown(url),
              message: `${shown(url)} sent an unexpected body.`
            })
        )
      )
    )
  )
}

/**
 * The plain HTTP(S) implementation.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (): CodeModuleSource["Service"] =>
  CodeModuleSource.of({
    download: Effect.fn("CodeModuleSource.download")(download),
    availableVersions: Effect.fn("CodeModuleSource.availableVersions")(availableVersions)
  })

/**
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<CodeModuleSource> = Layer.sync(CodeModuleSource, make)
