/**
 * The kubeconfig file format, parsed with `yaml` into plain data, without @kubernetes/client-node (importing it
 * costs ~90 MB of memory in every process; see docs/decisions.md).
 *
 * Understood: clusters (server, certificate-authority(-data), insecure-skip-tls-verify, tls-server-name, proxy-url),
 * users (token, tokenFile, client-certificate(-data), client-key(-data), username/password, as), contexts and
 * current-context. `exec` and `auth-provider` users are recorded as such; the loader hands those to client-node.
 * Relative file paths resolve against the directory of the file that names them, as kubectl does. Merging several
 * files (KUBECONFIG) keeps the first entry of each name and the first non-empty current-context, as kubectl does.
 */
import * as path from "node:path"
import { parse as parseYaml } from "yaml"

export interface Cluster {
  readonly name: string
  readonly server: string | undefined
  readonly certificateAuthority: string | undefined
  /** base64 PEM, as in the file */
  readonly certificateAuthorityData: string | undefined
  readonly insecureSkipTlsVerify: boolean
  readonly tlsServerName: string | undefined
  readonly proxyUrl: string | undefined
}

export interface User {
  readonly name: string
  readonly token: string | undefined
  readonly tokenFile: string | undefined
  readonly clientCertificate: string | undefined
  readonly clientCertificateData: string | undefined
  readonly clientKey: string | undefined
  readonly clientKeyData: string | undefined
  readonly username: string | undefined
  readonly password: string | undefined
  /** `as`: the user to impersonate */
  readonly impersonate: string | undefined
  /** Has an exec credential plugin or an auth provider: only client-node can authenticate it. */
  readonly plugin: "exec" | "auth-provider" | undefined
}

export interface Context {
  readonly name: string
  readonly cluster: string
  readonly user: string
  readonly namespace: string | undefined
}

/** One named entry as written in the file (paths made absolute), kept to hand plugin users to client-node. */
export type RawEntry = Readonly<Record<string, unknown>>

export interface KubeConfig {
  readonly clusters: ReadonlyArray<Cluster>
  readonly users: ReadonlyArray<User>
  readonly contexts: ReadonlyArray<Context>
  readonly currentContext: string | undefined
  readonly raw: {
    readonly clusters: ReadonlyArray<RawEntry>
    readonly users: ReadonlyArray<RawEntry>
    readonly contexts: ReadonlyArray<RawEntry>
  }
}

/** The text is no kubeconfig; the message names the field, never a value. */
export class InvalidKubeConfig extends Error {}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const str = (where: string, obj: Record<string, unknown>, key: string): string | undefined => {
  const v = obj[key]
  if (v === undefined || v === null) return undefined
  if (typeof v !== "string") throw new InvalidKubeConfig(`${where}: ${key} must be a string`)
  return v
}

const bool = (where: string, obj: Record<string, unknown>, key: string): boolean => {
  const v = obj[key]
  if (v === undefined || v === null) return false
  if (typeof v !== "boolean") throw new InvalidKubeConfig(`${where}: ${key} must be true or false`)
  return v
}

const base64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/

const data = (where: string, obj: Record<string, unknown>, key: string): string | undefined => {
  const v = str(where, obj, key)
  if (v !== undefined && !base64.test(v)) throw new InvalidKubeConfig(`${where}: ${key} is not base64`)
  return v
}

/** The entries of one list (`clusters`, `users`, `contexts`): each `{ name, <field>: {...} }`. */
const entries = (doc: Record<string, unknown>, list: string, field: string) => {
  const v = doc[list]
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new InvalidKubeConfig(`${list} must be a list`)
  return v.map((item, i) => {
    if (!isRecord(item) || typeof item["name"] !== "string" || item["name"] === "") {
      throw new InvalidKubeConfig(`${list}[${i}] has no name`)
    }
    const body = item[field] ?? {}
    if (!isRecord(body)) throw new InvalidKubeConfig(`${list}[${i}] ("${item["name"]}"): ${field} must be a mapping`)
    return { name: item["name"], body }
  })
}

const absolute = (base: string | undefined, file: string | undefined) =>
  file === undefined || file === "" || base === undefined ? file : path.resolve(base, file)

/** Returns a copy of `body` with the named path fields resolved against `base`. */
const resolvePaths = (body: Record<string, unknown>, keys: ReadonlyArray<string>, base: string | undefined) => {
  const out: Record<string, unknown> = { ...body }
  for (const key of keys) {
    const v = out[key]
    if (typeof v === "string") out[key] = absolute(base, v)
  }
  return out
}

const cluster = (name: string, raw: Record<string, unknown>): Cluster => {
  const where = `cluster "${name}"`
  return {
    name,
    server: str(where, raw, "server"),
    certificateAuthority: str(where, raw, "certificate-authority"),
    certificateAuthorityData: data(where, raw, "certificate-authority-data"),
    insecureSkipTlsVerify: bool(where, raw, "insecure-skip-tls-verify"),
    tlsServerName: str(where, raw, "tls-server-name"),
    proxyUrl: str(where, raw, "proxy-url")
  }
}

const user = (name: string, raw: Record<string, unknown>): User => {
  const where = `user "${name}"`
  return {
    name,
    token: str(where, raw, "token"),
    tokenFile: str(where, raw, "tokenFile"),
    clientCertificate: str(where, raw, "client-certificate"),
    clientCertificateData: data(where, raw, "client-certificate-data"),
    clientKey: str(where, raw, "client-key"),
    clientKeyData: data(where, raw, "client-key-data"),
    username: str(where, raw, "username"),
    password: str(where, raw, "password"),
    impersonate: str(where, raw, "as"),
    plugin: isRecord(raw["exec"]) ? "exec" : isRecord(raw["auth-provider"]) ? "auth-provider" : undefined
  }
}

const context = (name: string, raw: Record<string, unknown>): Context => {
  const where = `context "${name}"`
  return {
    name,
    cluster: str(where, raw, "cluster") ?? "",
    user: str(where, raw, "user") ?? "",
    namespace: str(where, raw, "namespace")
  }
}

/**
 * Parses kubeconfig YAML; `baseDirectory` is the directory of its file, against which relative paths resolve.
 * Throws `InvalidKubeConfig` or the `yaml` package's parse error.
 */
export const parse = (text: string, baseDirectory?: string): KubeConfig => {
  const doc: unknown = parseYaml(text)
  if (!isRecord(doc)) throw new InvalidKubeConfig("expected a mapping at the top level")
  const clusters = entries(doc, "clusters", "cluster").map((e) => ({
    name: e.name,
    body: resolvePaths(e.body, ["certificate-authority"], baseDirectory)
  }))
  const users = entries(doc, "users", "user").map((e) => {
    const body = resolvePaths(e.body, ["client-certificate", "client-key", "tokenFile"], baseDirectory)
    // An exec command given as a relative path (with a separator) is relative to the file, as in kubectl.
    const exec = body["exec"]
    if (isRecord(exec) && typeof exec["command"] === "string" && exec["command"].includes("/")) {
      body["exec"] = resolvePaths(exec, ["command"], baseDirectory)
    }
    return { name: e.name, body }
  })
  const contexts = entries(doc, "contexts", "context")
  const current = doc["current-context"]
  if (current !== undefined && current !== null && typeof current !== "string") {
    throw new InvalidKubeConfig("current-context must be a string")
  }
  return {
    clusters: clusters.map((e) => cluster(e.name, e.body)),
    users: users.map((e) => user(e.name, e.body)),
    contexts: contexts.map((e) => context(e.name, e.body)),
    currentContext: current === "" || current === null ? undefined : current,
    raw: {
      clusters: clusters.map((e) => ({ name: e.name, cluster: e.body })),
      users: users.map((e) => ({ name: e.name, user: e.body })),
      contexts: contexts.map((e) => ({ name: e.name, context: e.body }))
    }
  }
}

const firstByName = <A extends { readonly name: string }>(lists: ReadonlyArray<ReadonlyArray<A>>) => {
  const seen = new Set<string>()
  const out: Array<A> = []
  for (const list of lists) {
    for (const item of list) {
      if (seen.has(item.name)) continue
      seen.add(item.name)
      out.push(item)
    }
  }
  return out
}

const rawFirstByName = (lists: ReadonlyArray<ReadonlyArray<RawEntry>>) =>
  firstByName(lists.map((l) => l.map((e) => ({ ...e, name: String(e["name"]) }))))

/** Merges kubeconfigs in KUBECONFIG order: the first entry of each name and the first current-context win. */
export const merge = (configs: ReadonlyArray<KubeConfig>): KubeConfig => ({
  clusters: firstByName(configs.map((c) => c.clusters)),
  users: firstByName(configs.map((c) => c.users)),
  contexts: firstByName(configs.map((c) => c.contexts)),
  currentContext: configs.find((c) => c.currentContext !== undefined)?.currentContext,
  raw: {
    clusters: rawFirstByName(configs.map((c) => c.raw.clusters)),
    users: rawFirstByName(configs.map((c) => c.raw.users)),
    contexts: rawFirstByName(configs.map((c) => c.raw.contexts))
  }
})
