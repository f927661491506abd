/**
 * `edgeConnect.yaml`, the EdgeConnect's configuration file (spec §2.3 step 4), kept in the Secret `<ec>-ec-yaml`
 * (key `edgeConnect.yaml`) and mounted at `/edgeConnect.yaml`.
 *
 * Keys, in the original's order: `name`, `api_endpoint_host`, `oauth{endpoint, client_id, client_secret, resource}`,
 * `restrict_hosts_to`, `root_certificate_paths` (the custom CA when `caCertsRef` is set, always the service
 * account CA), `proxy{auth{user, password}, server, exceptions, port}`, `secrets[]` (the Kubernetes automation
 * token). Empty optional parts are left out, as Go's `omitempty` does. The YAML is laid out like the original's
 * (4-space indentation), so a diff against a file it wrote shows only real differences.
 *
 * Rendering is pure; secret values come in `Redacted` and leave only inside the returned text, which goes into a
 * Secret. `tokenOf` reads the automation token back, so it survives reconciles.
 *
 * @since 0.1.0
 */
import { Redacted } from "effect"
import { parse, stringify } from "yaml"

/** The Secret key and file name. @category constants */
export const fileName = "edgeConnect.yaml"

/** Where the config file is mounted. @category constants */
export const mountPath = `/${fileName}`

/** The service account CA, always trusted. @category constants */
export const serviceAccountCaPath = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"

/** The custom CA from `caCertsRef`, mounted as a file. @category constants */
export const customCaDirectory = "/etc/edge_connect_certs"
/** @category constants */
export const customCaFile = "certificate.pem"
/** @category constants */
export const customCaPath = `${customCaDirectory}/${customCaFile}`

/** The name of the Kubernetes automation secret entry. @category constants */
export const kubernetesTokenName = "K8S_SERVICE_ACCOUNT_TOKEN"

/** The service account token file the automation secret refers to. @category constants */
export const serviceAccountTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

/** The in-cluster API host. @category constants */
export const kubernetesDefaultDns = "kubernetes.default.svc.cluster.local"

/** What goes into the file. @category models */
export interface EcYamlInput {
  readonly name: string
  readonly apiEndpointHost: string
  readonly oauth: {
    readonly endpoint: string
    readonly clientId: string
    readonly clientSecret: Redacted.Redacted<string>
    readonly resource: string
  }
  readonly restrictHostsTo?: ReadonlyArray<string> | undefined
  /** A custom CA is mounted (`caCertsRef` set). */
  readonly customCa: boolean
  readonly proxy?:
    | {
        readonly server: string
        readonly port: number
        readonly exceptions: string
        readonly auth?: { readonly user: string; readonly password: Redacted.Redacted<string> } | undefined
      }
    | undefined
  /** The Kubernetes automation token (automation enabled). */
  readonly kubernetesToken?: Redacted.Redacted<string> | undefined
}

/**
 * The file's text.
 * @category encoding
 */
export const render = (input: EcYamlInput): string => {
  const document: Record<string, unknown> = {
    name: input.name,
    api_endpoint_host: input.apiEndpointHost,
    oauth: {
      endpoint: input.oauth.endpoint,
      client_id: input.oauth.clientId,
      client_secret: Redacted.value(input.oauth.clientSecret),
      resource: input.oauth.resource
    }
  }
  if (input.restrictHostsTo !== undefined && input.restrictHostsTo.length > 0) {
    document["restrict_hosts_to"] = [...input.restrictHostsTo]
  }
  document["root_certificate_paths"] = [...(input.customCa ? [customCaPath] : []), serviceAccountCaPath]
  if (input.proxy !== undefined) {
    const { auth } = input.proxy
    document["proxy"] = {
      ...(auth === undefined ? {} : { auth: { user: auth.user, password: Redacted.value(auth.password) } }),
      server: input.proxy.server,
      exceptions: input.proxy.exceptions,
      port: input.proxy.port
    }
  }
  if (input.kubernetesToken !== undefined) {
    document["secrets"] = [
      {
        name: kubernetesTokenName,
        token: Redacted.value(input.kubernetesToken),
        from_file: serviceAccountTokenPath,
        restrict_hosts_to: [kubernetesDefaultDns]
      }
    ]
  }
  return stringify(document, { indent: 4, indentSeq: true, singleQuote: true, lineWidth: 0 })
}

/**
 * The Kubernetes automation token of a file written before (`secrets[0].token`), if any.
 * @category decoding
 */
export const tokenOf = (text: string): Redacted.Redacted<string> | undefined => {
  let document: unknown
  try {
    document = parse(text)
  } catch {
    return undefined
  }
  if (typeof document !== "object" || document === null) return undefined
  const secrets = (document as { readonly secrets?: unknown }).secrets
  if (!Array.isArray(secrets)) return undefined
  const first: unknown = secrets[0]
  if (typeof first !== "object" || first === null) return undefined
  const token = (first as { readonly token?: unknown }).token
  return typeof token === "string" && token !== "" ? Redacted.make(token) : undefined
}
