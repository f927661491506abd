/**
 * The HTTP transport of one tenant client: an undici dispatcher configured from the DynaKube (spec §6.1).
 *
 * - **Proxy** (`spec.proxy`): every request, http and https, goes through it; https targets are tunnelled with
 *   `CONNECT`, plain http targets are forwarded in absolute form. Credentials in the proxy URL
 *   (`http://user:password@proxy:3128`) become a `Proxy-Authorization: Basic …` header. A proxy written without a
 *   scheme gets `http://`, as in the original. Hosts in `noProxy` (the `no-proxy` feature flag, comma-separated,
 *   `NO_PROXY` syntax) bypass it. The process environment (`HTTPS_PROXY`, …) is never consulted.
 * - **Trusted CAs** (`spec.trustedCAs`, PEM): added to the system roots, never replacing them.
 * - **skipCertCheck**: no server certificate verification at all.
 *
 * The dispatcher is scoped: closing the scope destroys its connections.
 *
 * @since 0.1.0
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Agent, type Dispatcher, EnvHttpProxyAgent } from "@effect/platform-node/Undici"
import { Effect, Redacted, type Scope } from "effect"
import type { HttpClient } from "effect/http"
import { X509Certificate } from "node:crypto"
import { rootCertificates } from "node:tls"

/** The connection settings of one client. */
export interface TransportConfig {
  /** Proxy URL, possibly with credentials; kept redacted because of the password. */
  readonly proxy?: Redacted.Redacted<string> | undefined
  /** Hosts that bypass the proxy (comma-separated, `NO_PROXY` syntax). */
  readonly noProxy?: string | undefined
  /** Additional trusted CA certificates (PEM bundle). */
  readonly trustedCAs?: string | undefined
  /** Skip server certificate verification. */
  readonly skipCertCheck?: boolean | undefined
}

/** Why the transport cannot be built (no secret in the text). */
export class TransportConfigProblem {
  readonly _tag = "TransportConfigProblem"
  readonly problem: string
  constructor(problem: string) {
    this.problem = problem
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** The certificates of a PEM bundle; a bundle with text but no parseable certificate is a problem. */
export const parseCertificates = (pem: string): ReadonlyArray<string> | TransportConfigProblem => {
  const blocks = pem.match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) {
    return pem.trim() === "" ? [] : new TransportConfigProblem("trustedCAs contains no PEM certificate")
  }
  for (const [index, block] of blocks.entries()) {
    try {
      if (new X509Certificate(block).raw.length === 0) throw new Error("empty certificate")
    } catch {
      return new TransportConfigProblem(`trustedCAs certificate #${index + 1} cannot be parsed`)
    }
  }
  return blocks
}

/** The proxy URL with a scheme, validated; the problem text never includes the URL (it may hold a password). */
export const normalizeProxyUrl = (
  proxy: Redacted.Redacted<string>
): Redacted.Redacted<string> | TransportConfigProblem => {
  const raw = Redacted.value(proxy).trim()
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`
  if (!URL.canParse(withScheme)) return new TransportConfigProblem("proxy is not a valid URL")
  const url = new URL(withScheme)
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return new TransportConfigProblem(
      `proxy scheme ${url.protocol.replace(":", "")} is not supported (use http or https)`
    )
  }
  if (url.hostname === "") return new TransportConfigProblem("proxy URL has no host")
  return Redacted.make(withScheme)
}

/** The secret part of a proxy URL (its password), for scrubbing error texts. */
export const proxySecrets = (
  proxy: Redacted.Redacted<string> | undefined
): ReadonlyArray<Redacted.Redacted<string>> => {
  if (proxy === undefined) return []
  const raw = Redacted.value(proxy)
  if (!URL.canParse(raw)) return [proxy]
  const url = new URL(raw)
  const password = decodeURIComponent(url.password)
  return password === "" ? [] : [Redacted.make(password), proxy]
}

/**
 * Builds the undici dispatcher for a client. Fails with a problem for an unusable proxy URL or CA bundle.
 * @since 0.1.0
 */
export const makeDispatcher = (
  config: TransportConfig
): Effect.Effect<Dispatcher, TransportConfigProblem, Scope.Scope> =>
  Effect.gen(function* () {
    const extraCAs = config.trustedCAs === undefined ? [] : parseCertificates(config.trustedCAs)
    if (extraCAs instanceof TransportConfigProblem) return yield* Effect.fail(extraCAs)
    const tls = {
      ...(extraCAs.length > 0 ? { ca: [...rootCertificates, ...extraCAs] } : {}),
      rejectUnauthorized: config.skipCertCheck !== true
    }
    const proxy = config.proxy === undefined ? undefined : normalizeProxyUrl(config.proxy)
    if (proxy instanceof TransportConfigProblem) return yield* Effect.fail(proxy)
    const create = (): Dispatcher =>
      proxy === undefined
        ? new Agent({ connect: tls })
        : new EnvHttpProxyAgent({
            httpProxy: Redacted.value(proxy),
            httpsProxy: Redacted.value(proxy),
            // An explicit value (even empty) keeps undici from reading NO_PROXY from the environment.
            noProxy: config.noProxy ?? "",
            connect: tls,
            requestTls: tls,
            proxyTls: tls
          })
    return yield* Effect.acquireRelease(Effect.sync(create), (dispatcher) =>
      Effect.promise(() => dispatcher.destroy()).pipe(Effect.ignore)
    )
  })

/**
 * An Effect `HttpClient` over a dispatcher built from `config`.
 * @since 0.1.0
 */
export const makeHttpClient = (
  config: TransportConfig
): Effect.Effect<HttpClient.HttpClient, TransportConfigProblem, Scope.Scope> =>
  Effect.flatMap(makeDispatcher(config), (dispatcher) =>
    NodeHttpClient.makeUndici.pipe(Effect.provideService(NodeHttpClient.Dispatcher, dispatcher))
  )
