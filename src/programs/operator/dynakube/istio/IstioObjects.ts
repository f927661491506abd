/**
 * The Istio objects of one DynaKube component (spec §2.2.11), built purely from its communication hosts:
 *
 * - IP hosts → ServiceEntry `<dk>-ip-<component>`: hosts `["ignored.subdomain"]`, the addresses as `<ip>/32`
 *   (IPv6: `/128`, one address as well), one `TCP-<port>` port per distinct port, `MESH_EXTERNAL`, resolution `NONE`;
 * - FQDN hosts → ServiceEntry `<dk>-fqdn-<component>`: the host names, one `<protocol>-<port>` port per distinct port
 *   (protocol upper-cased), `MESH_EXTERNAL`, resolution `DNS`; and a VirtualService of the same name routing each
 *   host: a TLS route (SNI match on the host and port) for https, an HTTP route (port match) for http.
 *
 * Labels are the operator's common labels with `app.kubernetes.io/component` = the component (`operator`,
 * `oneagent`, `activegate`); the DynaKube is the controller owner, so deleting it deletes them.
 *
 * @since 0.1.0
 */
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import * as Names from "../Names.ts"
import { type CommunicationHost, isIpAddress } from "./CommunicationHost.ts"

/** The API version written (Istio ≥ 1.22 serves `networking.istio.io/v1`). @since 0.1.0 */
export const apiVersion = "networking.istio.io/v1"

/** The components that get Istio objects, as named in object names and labels. @since 0.1.0 */
export type IstioComponent = "operator" | "oneagent" | "activegate"

/** The only host of an IP ServiceEntry: Istio needs one, the addresses do the matching. @since 0.1.0 */
export const ignoredSubdomain = "ignored.subdomain"

/** Object names of one component. @category names @since 0.1.0 */
export const objectNames = (dk: string, component: IstioComponent) => ({
  ipServiceEntry: `${dk}-ip-${component}`,
  fqdnServiceEntry: `${dk}-fqdn-${component}`,
  virtualService: `${dk}-fqdn-${component}`
})

/** What every builder needs to name and own its object. @category models @since 0.1.0 */
export interface BuildContext {
  readonly owner: Names.Owner & { readonly namespace: string }
  readonly component: IstioComponent
  readonly operatorVersion: string
}

/** A `networking.istio.io` object: metadata plus a free-form spec. @category models @since 0.1.0 */
export interface IstioObject extends KubeObject {
  readonly spec: Readonly<Record<string, unknown>>
}

interface ServicePort {
  readonly name: string
  readonly number: number
  readonly protocol: string
}

const metadata = (ctx: BuildContext, name: string) =>
  Names.ownedMetadata(ctx.owner, name, Names.commonLabels(ctx.owner.name, ctx.component, ctx.operatorVersion))

/** One port per distinct port number, the first host with that port naming it. */
const distinctPorts = (
  hosts: ReadonlyArray<CommunicationHost>,
  port: (h: CommunicationHost) => ServicePort
): ReadonlyArray<ServicePort> => {
  const seen = new Set<number>()
  const ports: Array<ServicePort> = []
  for (const h of hosts) {
    if (seen.has(h.port)) continue
    seen.add(h.port)
    ports.push(port(h))
  }
  return ports
}

/** `<ip>/32` for IPv4, `<ip>/128` for IPv6: exactly that one address. @since 0.1.0 */
export const singleAddress = (ip: string): string => (ip.includes(":") ? `${ip}/128` : `${ip}/32`)

/** The ServiceEntry of the IP hosts; undefined when there are none. @category builders @since 0.1.0 */
export const buildIpServiceEntry = (
  ctx: BuildContext,
  hosts: ReadonlyArray<CommunicationHost>
): IstioObject | undefined => {
  const ips = hosts.filter((h) => isIpAddress(h.host))
  if (ips.length === 0) return undefined
  return {
    apiVersion,
    kind: "ServiceEntry",
    metadata: metadata(ctx, objectNames(ctx.owner.name, ctx.component).ipServiceEntry),
    spec: {
      hosts: [ignoredSubdomain],
      addresses: ips.map((h) => singleAddress(h.host)),
      ports: distinctPorts(ips, (h) => ({ name: `TCP-${h.port}`, number: h.port, protocol: "TCP" })),
      location: "MESH_EXTERNAL",
      resolution: "NONE"
    }
  }
}

/** The ServiceEntry of the FQDN hosts; undefined when there are none. @category builders @since 0.1.0 */
export const buildFqdnServiceEntry = (
  ctx: BuildContext,
  hosts: ReadonlyArray<CommunicationHost>
): IstioObject | undefined => {
  const fqdns = hosts.filter((h) => !isIpAddress(h.host))
  if (fqdns.length === 0) return undefined
  return {
    apiVersion,
    kind: "ServiceEntry",
    metadata: metadata(ctx, objectNames(ctx.owner.name, ctx.component).fqdnServiceEntry),
    spec: {
      hosts: fqdns.map((h) => h.host),
      ports: distinctPorts(fqdns, (h) => ({
        name: `${h.protocol}-${h.port}`,
        number: h.port,
        protocol: h.protocol.toUpperCase()
      })),
      location: "MESH_EXTERNAL",
      resolution: "DNS"
    }
  }
}

const destination = (h: CommunicationHost) => ({ destination: { host: h.host, port: { number: h.port } } })

/** The VirtualService of the FQDN hosts; undefined when there are none. @category builders @since 0.1.0 */
export const buildVirtualService = (
  ctx: BuildContext,
  hosts: ReadonlyArray<CommunicationHost>
): IstioObject | undefined => {
  const fqdns = hosts.filter((h) => !isIpAddress(h.host))
  if (fqdns.length === 0) return undefined
  const http = fqdns
    .filter((h) => h.protocol === "http")
    .map((h) => ({ match: [{ port: h.port }], route: [destination(h)] }))
  const tls = fqdns
    .filter((h) => h.protocol === "https")
    .map((h) => ({ match: [{ sniHosts: [h.host], port: h.port }], route: [destination(h)] }))
  return {
    apiVersion,
    kind: "VirtualService",
    metadata: metadata(ctx, objectNames(ctx.owner.name, ctx.component).virtualService),
    spec: {
      hosts: fqdns.map((h) => h.host),
      ...(http.length > 0 ? { http } : {}),
      ...(tls.length > 0 ? { tls } : {})
    }
  }
}

/** All objects of a component for its hosts: what should exist (absent entries should not). @since 0.1.0 */
export const buildAll = (ctx: BuildContext, hosts: ReadonlyArray<CommunicationHost>) => ({
  ipServiceEntry: buildIpServiceEntry(ctx, hosts),
  fqdnServiceEntry: buildFqdnServiceEntry(ctx, hosts),
  virtualService: buildVirtualService(ctx, hosts)
})
