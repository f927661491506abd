/**
 * Object names, labels, annotations and owner references of everything the DynaKube controller creates (spec §2.2.3,
 * Appendix A). They are wire-level facts shared with the webhook, the CSI driver and users' tooling, so they live in
 * one place and every builder takes them from here.
 *
 * @since 0.1.0
 */
import type { KubeObject, OwnerReference } from "../../../services/kube/KubeObject.ts"

/** The field manager of every write, and `app.kubernetes.io/name` of operator-made objects. */
export const fieldManager = "dynatrace-operator"

/** The namespace → DynaKube association (spec §2.6). */
export const instanceLabel = "dynakube.internal.dynatrace.com/instance"

/** Secrets replicated into every monitored namespace (spec §2.2.9, Appendix A). */
export const replicatedSecrets = [
  "dynatrace-bootstrapper-config",
  "dynatrace-bootstrapper-certs",
  "dynatrace-otlp-exporter-config",
  "dynatrace-otlp-exporter-certs"
] as const

/** Names of the objects of one DynaKube, all in its namespace. */
export const names = (dk: string) => ({
  tokens: dk,
  deploymentMetadata: `${dk}-deployment-metadata`,
  internalProxy: `${dk}-internal-proxy`,
  pullSecret: `${dk}-pull-secret`,
  oneAgentTenantSecret: `${dk}-oneagent-tenant-secret`,
  oneAgentConnectionInfo: `${dk}-oneagent-connection-info`,
  oneAgentDaemonSet: `${dk}-oneagent`,
  /** Old name of the host agent DaemonSet, deleted when found. */
  classicDaemonSet: `${dk}-classic`,
  activeGateTenantSecret: `${dk}-activegate-tenant-secret`,
  activeGateConnectionInfo: `${dk}-activegate-connection-info`,
  activeGateStatefulSet: `${dk}-activegate`,
  activeGateService: `${dk}-activegate`,
  bootstrapperConfig: `${dk}-bootstrapper-config`,
  bootstrapperCerts: `${dk}-bootstrapper-certs`
})

/** Label keys of the `app.kubernetes.io` family. */
export const labelKeys = {
  name: "app.kubernetes.io/name",
  createdBy: "app.kubernetes.io/created-by",
  component: "app.kubernetes.io/component",
  version: "app.kubernetes.io/version",
  managedBy: "app.kubernetes.io/managed-by"
} as const

/** Components named in `app.kubernetes.io/component`. */
export type Component = "oneagent" | "activegate" | "operator" | "webhook" | "kubemon" | "logmonitoring"

/** The labels of every operator-created object (spec §2.2.3). */
export const commonLabels = (dk: string, component: Component, operatorVersion: string) => ({
  [labelKeys.name]: fieldManager,
  [labelKeys.createdBy]: dk,
  [labelKeys.component]: component,
  [labelKeys.version]: operatorVersion
})

/**
 * The "app labels" of workload pods: name = component, managed by the operator, the feature, the component version.
 * The selector of a workload is these labels without the version (`appSelectorLabels`).
 */
export const appLabels = (dk: string, component: string, feature: string, componentVersion: string) => ({
  ...appSelectorLabels(dk, component, feature),
  [labelKeys.version]: componentVersion
})

/** App labels without the version: what a workload's selector matches. */
export const appSelectorLabels = (dk: string, component: string, feature: string) => ({
  [labelKeys.name]: component,
  [labelKeys.createdBy]: dk,
  [labelKeys.managedBy]: fieldManager,
  [labelKeys.component]: feature
})

/** What an owner reference needs to know about the DynaKube. */
export interface Owner {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly uid: string
}

/** A controller owner reference: deleting the DynaKube deletes the object (garbage collection). */
export const controllerReference = (owner: Owner): OwnerReference => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.name,
  uid: owner.uid,
  controller: true,
  blockOwnerDeletion: true
})

/** Metadata of an object owned by the DynaKube, in its namespace. */
export const ownedMetadata = (
  owner: Owner & { readonly namespace: string },
  name: string,
  labels: Readonly<Record<string, string>>
): NonNullable<KubeObject["metadata"]> => ({
  name,
  namespace: owner.namespace,
  labels,
  ownerReferences: [controllerReference(owner)]
})
