/**
 * The configuration Secret `<dk>-logmonitoring-config` of the standalone log module (spec §2.2.11), built from the
 * DynaKube and its OneAgent connection info alone.
 *
 * Its one key, `deployment.conf`, holds `Key=value` lines sorted by key (byte order, as the original writes them):
 * `Server` = `{<communication endpoints>}`, `Tenant`, `TenantToken`, `HostIdSource` = `k8s-node-name`, and only when
 * set `Proxy` (the resolved proxy URL), `noProxy` (the `no-proxy` feature flag, then the ActiveGate's hosts) and
 * `Location` (the network zone).
 *
 * The pods mount the file, so the parts that change what the module does (token, zone, proxy, no-proxy) are also
 * stamped on the pod template as annotations ({@link restartAnnotations}): a change rolls the pods. The endpoints
 * are left out on purpose; they change often and the module re-reads them.
 *
 * @since 0.1.0
 */
import { Redacted } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import { activeGateHostEntries } from "../activegate/Capabilities.ts"
import { compareBytes } from "../oneagent/GoCompat.ts"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import { coreLabels, hasProxy, nameOf, ownedMeta } from "../oneagent/WorkloadParts.ts"
import type { StringMap } from "../oneagent/WorkloadTypes.ts"

/** `app.kubernetes.io/component` (and `name` of the pods) of everything log monitoring creates. @category constants @since 0.1.0 */
export const logMonitoringComponent = "logmonitoring"

/** The Secret's only key. @category constants @since 0.1.0 */
export const deploymentConfKey = "deployment.conf"

/** Annotation keys of the pod template that roll the pods when the configuration changes. @category constants @since 0.1.0 */
export const annotationKeys = {
  tenantTokenHash: "internal.operator.dynatrace.com/tenant-token-hash",
  networkZone: "internal.operator.dynatrace.com/network-zone",
  proxyHash: "internal.operator.dynatrace.com/proxy-hash",
  noProxy: "internal.operator.dynatrace.com/no-proxy"
} as const

/** The name of the configuration Secret. @category names @since 0.1.0 */
export const configSecretName = (dk: string): string => `${dk}-logmonitoring-config`

/**
 * What the Secret is built from. The tenant UUID and endpoints come from `status.oneAgent.connectionInfoStatus`
 * of `dynakube`; the token and the proxy URL are passed in, redacted, and only ever land in the Secret's data.
 * @category models
 * @since 0.1.0
 */
export interface ConfigInput {
  /** The DynaKube with the status computed in this reconcile. */
  readonly dynakube: DynaKube
  readonly operatorVersion: string
  readonly tenantToken: Redacted.Redacted<string>
  /** `spec.proxy` resolved to a URL, when a proxy is configured. */
  readonly proxy: Redacted.Redacted<string> | undefined
}

/**
 * `noProxy`: the `no-proxy` feature flag and the ActiveGate's hosts (Service IPs, and its Service name with
 * `routing`), the non-blank ones joined with `,`. Empty when there is nothing to bypass.
 * @category constructors
 * @since 0.1.0
 */
export const noProxyValue = (dk: DynaKube): string =>
  [readWorkloadFlags(dk).noProxy, activeGateHostEntries(dk)].filter((part) => part.trim() !== "").join(",")

/**
 * The text of `deployment.conf`: one `Key=value` line per setting, sorted by key, each ending in a newline.
 * @category constructors
 * @since 0.1.0
 */
export const deploymentConf = (input: ConfigInput): string => {
  const dk = input.dynakube
  const info = dk.status?.oneAgent?.connectionInfoStatus
  const entries: Record<string, string> = {
    Server: `{${info?.endpoints ?? ""}}`,
    Tenant: info?.tenantUUID ?? "",
    TenantToken: Redacted.value(input.tenantToken),
    HostIdSource: "k8s-node-name"
  }
  if (input.proxy !== undefined && Redacted.value(input.proxy) !== "") entries["Proxy"] = Redacted.value(input.proxy)
  const noProxy = noProxyValue(dk)
  if (noProxy !== "") entries["noProxy"] = noProxy
  const zone = dk.spec.networkZone ?? ""
  if (zone !== "") entries["Location"] = zone
  return Object.keys(entries)
    .toSorted(compareBytes)
    .map((key) => `${key}=${entries[key]}\n`)
    .join("")
}

/**
 * The Secret `<dk>-logmonitoring-config` (owned by the DynaKube, operator core labels).
 * @category constructors
 * @since 0.1.0
 */
export const buildConfigSecret = (input: ConfigInput): KubeObject => {
  const name = nameOf(input.dynakube)
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMeta(
      input.dynakube,
      configSecretName(name),
      coreLabels(name, logMonitoringComponent, input.operatorVersion)
    ),
    type: "Opaque",
    data: { [deploymentConfKey]: Buffer.from(deploymentConf(input), "utf8").toString("base64") }
  } as KubeObject
}

/**
 * The pod-template annotations that follow the configuration: the tenant token hash (always), the network zone,
 * the proxy URL hash (with a proxy) and the no-proxy list, each only when set. `source` (the user's annotations)
 * comes first; these win.
 * @category constructors
 * @since 0.1.0
 */
export const restartAnnotations = (dk: DynaKube, source: StringMap = {}): StringMap => {
  const annotations: Record<string, string> = {
    ...source,
    [annotationKeys.tenantTokenHash]: dk.status?.oneAgent?.connectionInfoStatus?.tenantTokenHash ?? ""
  }
  const zone = dk.spec.networkZone ?? ""
  if (zone !== "") annotations[annotationKeys.networkZone] = zone
  if (hasProxy(dk)) annotations[annotationKeys.proxyHash] = dk.status?.proxyURLHash ?? ""
  const noProxy = noProxyValue(dk)
  if (noProxy !== "") annotations[annotationKeys.noProxy] = noProxy
  return annotations
}
