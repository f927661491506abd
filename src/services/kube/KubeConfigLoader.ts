/**
 * Loading a kubeconfig and turning it into what the HTTP transport needs: the server URL, the TLS material for one
 * keep-alive agent, and the auth headers of each request.
 *
 * Sources: the default chain (`KUBECONFIG`, then `~/.kube/config`, then the in-cluster service account), a file
 * path, or YAML text. Every problem (unreadable file, bad YAML, no current context, missing certificate file,
 * failing exec plugin) ends as one `KubeConfigError` whose message says what is wrong, never as a stack trace.
 *
 * The format is parsed by `KubeConfigFile.ts`, not by @kubernetes/client-node: importing client-node costs ~90 MB
 * in every process. Only users with an exec credential plugin or an auth provider need it; for them it is loaded
 * with a dynamic import when the connection is made. Auth headers are produced per request because tokens rotate
 * (projected service-account tokens, exec plugins); they are never logged.
 */
import type { HttpAgentOptions } from "@effect/platform-node/NodeHttpClient"
import { Effect, Schema } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { stringify as stringifyYaml } from "yaml"
import * as KubeConfigFile from "./KubeConfigFile.ts"

export type KubeConfig = KubeConfigFile.KubeConfig

/** The kubeconfig could not be loaded or used. */
export class KubeConfigError extends Schema.TaggedError<KubeConfigError>()("KubeConfigError", {
  message: Schema.String
}) {}

const firstLine = (e: unknown): string => {
  const text = e instanceof Error ? e.message : String(e)
  return text.split("\n")[0]?.trim() || "unknown error"
}

const fail = (message: string) => new KubeConfigError({ message })

/** Where a pod's service account is mounted. */
export const serviceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

const load = (text: string, source: string, baseDirectory?: string): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.suspend(() => {
    if (text.trim() === "") return Effect.fail(fail(`${source} is empty`))
    return Effect.try({
      try: () => KubeConfigFile.parse(text, baseDirectory),
      catch: (e) => fail(`${source} is not a valid kubeconfig: ${firstLine(e)}`)
    })
  })

/** Loads kubeconfig YAML text. */
export const fromString = (text: string): Effect.Effect<KubeConfig, KubeConfigError> => load(text, "the kubeconfig")

/** Loads a kubeconfig file; relative paths in it resolve against its directory. */
export const fromFile = (file: string): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.try({
    try: () => fs.readFileSync(file, "utf8"),
    catch: (e) => fail(`cannot read kubeconfig ${file}: ${firstLine(e)}`)
  }).pipe(Effect.flatMap((text) => load(text, `kubeconfig ${file}`, path.dirname(file))))

/** Where the in-cluster configuration comes from (tests point it at temp files). */
export interface InClusterOptions {
  /** Holds `token`, `ca.crt` and `namespace` (default: the pod's mounted service account). */
  readonly serviceAccountDirectory?: string | undefined
}

/**
 * The service account of the pod this process runs in: `KUBERNETES_SERVICE_HOST`/`_PORT`, the CA and the token
 * file (re-read when it rotates), the namespace as the context's namespace.
 */
export const fromCluster = (options: InClusterOptions = {}): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.suspend(() => {
    const dir = options.serviceAccountDirectory ?? serviceAccountDirectory
    const host = process.env["KUBERNETES_SERVICE_HOST"]
    const port = process.env["KUBERNETES_SERVICE_PORT"]
    if (host === undefined || host === "" || port === undefined || port === "") {
      return Effect.fail(
        fail(
          "cannot load the in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set"
        )
      )
    }
    const tokenFile = path.join(dir, "token")
    return Effect.try({
      try: () => {
        fs.accessSync(tokenFile, fs.constants.R_OK)
        let namespace: string | undefined
        try {
          namespace = fs.readFileSync(path.join(dir, "namespace"), "utf8").trim() || undefined
        } catch {
          namespace = undefined // optional, as in client-go
        }
        const server = `https://${net.isIPv6(host) ? `[${host}]` : host}:${port}`
        const config: KubeConfig = {
          clusters: [
            {
              name: "in-cluster",
              server,
              certificateAuthority: path.join(dir, "ca.crt"),
              certificateAuthorityData: undefined,
              insecureSkipTlsVerify: false,
              tlsServerName: undefined,
              proxyUrl: undefined
            }
          ],
          users: [
            {
              name: "in-cluster",
              token: undefined,
              tokenFile,
              clientCertificate: undefined,
              clientCertificateData: undefined,
              clientKey: undefined,
              clientKeyData: undefined,
              username: undefined,
              password: undefined,
              impersonate: undefined,
              plugin: undefined
            }
          ],
          contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "in-cluster", namespace }],
          currentContext: "in-cluster",
          raw: { clusters: [], users: [], contexts: [] }
        }
        return config
      },
      catch: (e) => fail(`cannot load the in-cluster configuration: ${firstLine(e)}`)
    })
  })

/**
 * The default chain, as kubectl: `KUBECONFIG` (one or more files, merged: the first entry of each name wins), else
 * `~/.kube/config`, else the in-cluster service account. Unlike client-node it never falls back to `localhost:8080`.
 */
export const fromDefault = (options: InClusterOptions = {}): Effect.Effect<KubeConfig, KubeConfigError> =>
  Effect.suspend(() => {
    const env = process.env["KUBECONFIG"]
    if (env !== undefined && env !== "") {
      const files = env.split(path.delimiter).filter((f) => f !== "")
      return Effect.map(Effect.forEach(files, fromFile), KubeConfigFile.merge)
    }
    const home = process.env["HOME"] ?? os.homedir()
    const userConfig = path.join(home, ".kube", "config")
    if (fs.existsSync(userConfig)) return fromFile(userConfig)
    const dir = options.serviceAccountDirectory ?? serviceAccountDirectory
    if (process.env["KUBERNETES_SERVICE_HOST"] !== undefined && fs.existsSync(path.join(dir, "token"))) {
      return fromCluster(options)
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

const credentialsError = (e: unknown) => fail(`cannot set up credentials from the kubeconfig: ${firstLine(e)}`)

/** PEM bytes from a file path or base64 data (data wins, as in kubectl). */
const pem = (file: string | undefined, data: string | undefined): Buffer | undefined =>
  data !== undefined && data !== ""
    ? Buffer.from(data, "base64")
    : file !== undefined && file !== ""
      ? fs.readFileSync(file)
      : undefined

/**
 * A token file, re-read when it changes (kubelet rotates projected tokens by swapping the file); if a re-read
 * fails, the last token read stays in use, as in client-go.
 */
const tokenFileSource = (file: string) => {
  const read = () => {
    const stat = fs.statSync(file)
    return { token: fs.readFileSync(file, "utf8").trim(), version: `${stat.ino}:${stat.mtimeMs}:${stat.size}` }
  }
  let current = read()
  return Effect.sync(() => {
    try {
      const stat = fs.statSync(file)
      if (`${stat.ino}:${stat.mtimeMs}:${stat.size}` !== current.version) current = read()
    } catch {
      // keep the last good token
    }
    return current.token
  })
}

const pluginConnection = (
  kc: KubeConfig,
  contextName: string,
  base: Omit<Connection, "agentOptions" | "authHeaders">
) =>
  Effect.gen(function* () {
    // Exec plugins and auth providers: client-node implements them; loaded only for these users.
    const client = yield* Effect.tryPromise({
      try: () => import("@kubernetes/client-node"),
      catch: (e) => fail(`cannot load @kubernetes/client-node for the exec/auth-provider user: ${firstLine(e)}`)
    })
    const legacy = yield* Effect.try({
      try: () => {
        const k = new client.KubeConfig()
        k.loadFromString(
          stringifyYaml({
            apiVersion: "v1",
            kind: "Config",
            clusters: kc.raw.clusters,
            users: kc.raw.users,
            contexts: kc.raw.contexts,
            "current-context": contextName
          })
        )
        return k
      },
      catch: (e) => fail(`the kubeconfig is not valid for its exec/auth-provider user: ${firstLine(e)}`)
    })
    interface Applied {
      ca?: unknown
      cert?: unknown
      key?: unknown
      rejectUnauthorized?: boolean
      servername?: string
      headers?: Record<string, unknown>
    }
    const applied = Effect.tryPromise({
      try: async () => {
        const opts: Applied = {}
        await legacy.applyToHTTPSOptions(opts as never)
        return opts
      },
      catch: credentialsError
    })
    const headersOf = (opts: Applied): Record<string, string> => {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v)
      return headers
    }
    const first = yield* applied
    const connection: Connection = {
      ...base,
      agentOptions: {
        keepAlive: true,
        ...(first.ca === undefined ? {} : { ca: first.ca as Buffer }),
        ...(first.cert === undefined ? {} : { cert: first.cert as Buffer }),
        ...(first.key === undefined ? {} : { key: first.key as Buffer }),
        ...(first.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: first.rejectUnauthorized }),
        ...(first.servername === undefined ? {} : { servername: first.servername })
      },
      // The authenticators cache tokens until they expire.
      authHeaders: Effect.map(applied, headersOf)
    }
    return connection
  })

/** Checks the kubeconfig's current context and reads its credentials once (so a missing file fails now). */
export const connection = (kc: KubeConfig): Effect.Effect<Connection, KubeConfigError> =>
  Effect.gen(function* () {
    const contextName = kc.currentContext
    if (contextName === undefined || contextName === "") {
      return yield* fail("the kubeconfig has no current context")
    }
    const context = kc.contexts.find((c) => c.name === contextName)
    if (context === undefined) {
      return yield* fail(`the kubeconfig's current context "${contextName}" is not defined`)
    }
    const cluster = kc.clusters.find((c) => c.name === context.cluster)
    if (cluster === undefined) {
      return yield* fail(`the cluster of context "${contextName}" is not defined in the kubeconfig`)
    }
    if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== "") {
      return yield* fail(`cluster "${cluster.name}": proxy-url is not supported`)
    }
    const server = cluster.server ?? ""
    const url = URL.canParse(server) ? new URL(server) : undefined
    if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
      return yield* fail(`cluster "${cluster.name}" has no valid server URL (got "${server}")`)
    }
    const base = { server: server.replace(/\/+$/, ""), description: `${server} (context "${contextName}")` }
    // A context naming no defined user connects anonymously, as kubectl does.
    const user = kc.users.find((u) => u.name === context.user)
    if (user?.plugin !== undefined) return yield* pluginConnection(kc, contextName, base)

    const tls = yield* Effect.try({
      try: () => ({
        ca: pem(cluster.certificateAuthority, cluster.certificateAuthorityData),
        cert: pem(user?.clientCertificate, user?.clientCertificateData),
        key: pem(user?.clientKey, user?.clientKeyData)
      }),
      catch: credentialsError
    })
    const tokenFile =
      user?.tokenFile === undefined || user.tokenFile === ""
        ? undefined
        : yield* Effect.try({ try: () => tokenFileSource(user.tokenFile!), catch: credentialsError })

    const fixed: Record<string, string> = {}
    if (user?.impersonate !== undefined && user.impersonate !== "") fixed["Impersonate-User"] = user.impersonate
    if (user?.token !== undefined && user.token !== "") fixed["Authorization"] = `Bearer ${user.token}`
    else if (user?.username !== undefined && user.username !== "") {
      const basic = Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")
      fixed["Authorization"] = `Basic ${basic}`
    }
    const agentOptions: HttpAgentOptions = {
      keepAlive: true,
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
      ...(cluster.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}),
      ...(cluster.tlsServerName === undefined || cluster.tlsServerName === ""
        ? {}
        : { servername: cluster.tlsServerName })
    }
    return {
      ...base,
      agentOptions,
      // The token file, when set, wins over a token (client-go: the last value read from the file takes precedence).
      authHeaders:
        tokenFile === undefined
          ? Effect.succeed(fixed)
          : Effect.map(tokenFile, (token) => ({ ...fixed, Authorization: `Bearer ${token}` }))
    }
  })
