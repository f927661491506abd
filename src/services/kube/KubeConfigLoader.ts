/**
 * Loading a kubeconfig (with @kubernetes/client-node's `KubeConfig`) and turning it into what the HTTP transport
 * needs: the server URL, the TLS material for one keep-alive agent, and the auth headers of each request.
 *
 * Sources: the default chain (`KUBECONFIG`, then `~/.kube/config`, then the in-cluster service account), a file
 * path, or YAML text. Every problem (unreadable file, bad YAML, no current context, missing certificate file,
 * failing exec plugin) ends as one `KubeConfigError` whose message says what is wrong, never as a stack trace.
 * Auth headers are produced per request because tokens rotate (projected service-account tokens, exec plugins);
 * they are never logged.
 */
import { KubeConfig } from "@kubernetes/client-node"
import type { HttpAgentOptions } from "@effect/platform-node/NodeHttpClient"
import { Effect, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** The kubeconfig could not be loaded or used. */
export class KubeConfigError extends Schema.TaggedError<KubeConfigError>()("KubeConfigError", {
  message: Schema.String
}) {}

const firstLine = (e: unknown): string => {
  const text = e instanceof Error ? e.message : String(e)
  return text.split("\n")[0]?.trim() || "unknown error"
}

const fail = (message: string) => new KubeConfigError({ message })

const serviceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token"

const load = (text: string, source: string, rootDirectory?: string): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.suspend(() => {
    if (text.trim() === "") return Effect.fail(fail(`${source} is empty`))
    return Effect.try({
      try: () => {
        const kc = new KubeConfig()
        kc.loadFromString(text)
        // Relative certificate-authority/client-certificate paths resolve against the file's directory.
        if (rootDirectory !== undefined) kc.makePathsAbsolute(rootDirectory)
        return kc
      },
      catch: (e) => fail(`${source} is not a valid kubeconfig: ${firstLine(e)}`)
    })
  })

/** Loads kubeconfig YAML text. */
export const fromString = (text: string): Effect.Effect<KubeConfig, KubeConfigError> => load(text, "the kubeconfig")

/** Loads a kubeconfig file. */
export const fromFile = (file: string): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (e) => fail(`cannot read kubeconfig ${file}: ${firstLine(e)}`)
  }).pipe(Effect.flatMap((text) => load(text, `kubeconfig ${file}`, path.dirname(file))))

/** The service account of the pod this process runs in. */
export const fromCluster = (): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.try({
    try: () => {
      const kc = new KubeConfig()
      kc.loadFromCluster()
      return kc
    },
    catch: (e) => fail(`cannot load the in-cluster configuration: ${firstLine(e)}`)
  })

/**
 * The default chain, as kubectl: `KUBECONFIG` (one or more files, merged), else `~/.kube/config`, else the
 * in-cluster service account. Unlike `KubeConfig.loadFromDefault` it never falls back to `localhost:8080`.
 */
export const fromDefault = (): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.suspend(() => {
    const env = process.env["KUBECONFIG"]
    if (env !== undefined && env !== "") {
      const files = env.split(path.delimiter).filter((f) => f !== "")
      if (files.length === 1) return fromFile(files[0]!)
      return Effect.forEach(files, fromFile).pipe(
        Effect.flatMap(() =>
          Effect.try({
            try: () => {
              const kc = new KubeConfig()
              kc.loadFromDefault()
              return kc
            },
            catch: (e) => fail(`cannot merge the kubeconfig files in KUBECONFIG: ${firstLine(e)}`)
          })
        )
      )
    }
    const home = process.env["HOME"] ?? os.homedir()
    const userConfig = path.join(home, ".kube", "config")
    if (fs.existsSync(userConfig)) return fromFile(userConfig)
    if (process.env["KUBERNETES_SERVICE_HOST"] !== undefined && fs.existsSync(serviceAccountToken)) {
      return fromCluster()
    }
    return Effect.fail(
      fail("no kubeconfig found: set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account")
    )
  })

/** Everything the transport needs from a kubeconfig. */
export interface Connection {
  /** Base URL of the API server, without trailing slash. */
  readonly server: string
  /** Names the server and context in messages: `https://127.0.0.1:6443 (context "admin")`. */
  readonly description: string
  /** TLS material and keep-alive for the one agent all requests share. */
  readonly agentOptions: HttpAgentOptions
  /** The headers that authenticate one request (Authorization, Impersonate-User). */
  readonly authHeaders: Effect.Effect<Record<string, string>, KubeConfigError>
}

interface AppliedOptions {
  ca?: unknown
  cert?: unknown
  key?: unknown
  rejectUnauthorized?: boolean
  servername?: string
  auth?: string
  headers?: Record<string, unknown>
}

const applied = (kc: KubeConfig) =>
  Effect.tryPromise({
    try: async () => {
      const opts: AppliedOptions = {}
      await kc.applyToHTTPSOptions(opts as never)
      return opts
    },
    catch: (e) => fail(`cannot set up credentials from the kubeconfig: ${firstLine(e)}`)
  })

const headersOf = (opts: AppliedOptions): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v)
  if (opts.auth !== undefined) headers["Authorization"] = `Basic ${Buffer.from(opts.auth).toString("base64")}`
  return headers
}

/** Checks the kubeconfig's current context and reads its credentials once (so a missing file fails now). */
export const connection = (kc: KubeConfig): Effect.Effect<Connection, KubeConfigError> =>
  Effect.gen(function* () {
    const contextName = kc.getCurrentContext()
    if (contextName === undefined || contextName === null || contextName === "") {
      return yield* fail("the kubeconfig has no current context")
    }
    if (kc.getContextObject(contextName) === null) {
      return yield* fail(`the kubeconfig's current context "${contextName}" is not defined`)
    }
    const cluster = kc.getCurrentCluster()
    if (cluster === null) return yield* fail(`the cluster of context "${contextName}" is not defined in the kubeconfig`)
    if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== "") {
      return yield* fail(`cluster "${cluster.name}": proxy-url is not supported`)
    }
    const url = URL.canParse(cluster.server) ? new URL(cluster.server) : undefined
    if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
      return yield* fail(`cluster "${cluster.name}" has no valid server URL (got "${cluster.server}")`)
    }
    const first = yield* applied(kc)
    const user = kc.getCurrentUser()
    // Static credentials are read once; tokens from exec plugins, auth providers or files are fetched per request
    // (the authenticators cache them until they expire).
    const dynamic = user !== null && (user.exec !== undefined || user.authProvider !== undefined)
    const staticHeaders = headersOf(first)
    const agentOptions: HttpAgentOptions = {
      keepAlive: true,
      ...(first.ca === undefined ? {} : { ca: first.ca as Buffer }),
      ...(first.cert === undefined ? {} : { cert: first.cert as Buffer }),
      ...(first.key === undefined ? {} : { key: first.key as Buffer }),
      ...(first.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: first.rejectUnauthorized }),
      ...(first.servername === undefined ? {} : { servername: first.servername })
    }
    return {
      server: cluster.server.replace(/\/+$/, ""),
      description: `${cluster.server} (context "${contextName}")`,
      agentOptions,
      authHeaders: dynamic ? Effect.map(applied(kc), headersOf) : Effect.succeed(staticHeaders)
    }
  })
