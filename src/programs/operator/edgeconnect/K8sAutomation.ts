/**
 * Kubernetes automation of an EdgeConnect (spec §2.3 step 5, `spec.kubernetesAutomation.enabled`): Dynatrace
 * workflows reach this cluster's API through the EdgeConnect.
 *
 * - The tenant EdgeConnect maps the host `<ec>.<namespace>.<kube-system UID>.kubernetes-automation` to
 *   `kubernetes.default.svc.cluster.local`.
 * - The EdgeConnect authenticates those calls with a token `dt0e01.<24>.<64>` (upper-case base32) that lives in
 *   `edgeConnect.yaml` (`secrets[0]`) and in the tenant's settings object `app:dynatrace.kubernetes.connector:connection`
 *   (`{name, uid, namespace, token}`); it is generated once and kept.
 *
 * @since 0.1.0
 */
import { Redacted } from "effect"
import { randomBytes } from "node:crypto"
import type { ConnectionSetting, HostMapping } from "./EdgeConnectClient.ts"
import { kubernetesDefaultDns } from "./EcYaml.ts"

/** Suffix of the automation host. @category constants */
export const hostSuffix = "kubernetes-automation"

/** Prefix of automation tokens. @category constants */
export const tokenPrefix = "dt0e01"

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

const base32 = (length: number): string => {
  // 32 divides 256: taking each byte modulo 32 is unbiased.
  let out = ""
  for (const byte of randomBytes(length)) out += alphabet[byte % 32]
  return out
}

/** A fresh automation token. @category constructors */
export const newToken = (): Redacted.Redacted<string> => Redacted.make(`${tokenPrefix}.${base32(24)}.${base32(64)}`)

/** The automation host of an EdgeConnect. @category constructors */
export const automationHost = (name: string, namespace: string, kubeSystemUID: string): string =>
  `${name}.${namespace}.${kubeSystemUID}.${hostSuffix}`

/** The host mappings sent with create and update. @category constructors */
export const hostMappings = (name: string, namespace: string, kubeSystemUID: string): ReadonlyArray<HostMapping> => [
  { from: automationHost(name, namespace, kubeSystemUID), to: kubernetesDefaultDns }
]

/** The connection setting of this EdgeConnect among the tenant's, if any. @category predicates */
export const settingOf = (
  settings: ReadonlyArray<ConnectionSetting>,
  ec: { readonly name: string; readonly namespace: string; readonly kubeSystemUID: string }
): ConnectionSetting | undefined =>
  settings.find((s) => s.uid === ec.kubeSystemUID && s.namespace === ec.namespace && s.name === ec.name)
