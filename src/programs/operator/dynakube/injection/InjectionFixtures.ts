/**
 * Test builders for the injection phase: DynaKubes and Namespaces with modifier functions
 * (`dynakube("dk", cloudNative({ matchLabels: { a: "b" } }), enrichment())`).
 *
 * @since 0.1.0
 */
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { LabelSelector } from "./LabelSelector.ts"
import type { Namespace } from "./NamespaceMapping.ts"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
type DynaKubeModifier = (dk: Mutable<DynaKube>) => void

/** A DynaKube in `dynatrace` (or `namespace`) with no feature enabled until modifiers add some. */
export const dynakube = (name: string, ...modifiers: ReadonlyArray<DynaKubeModifier>): DynaKube => {
  const dk: Mutable<DynaKube> = {
    apiVersion: "dynatrace.com/v1beta6",
    kind: "DynaKube",
    metadata: { name, namespace: "dynatrace" },
    spec: { apiUrl: "https://tenant.example.com/api" }
  }
  for (const modify of modifiers) modify(dk)
  return dk
}

export const inNamespace =
  (namespace: string): DynaKubeModifier =>
  (dk) => {
    dk.metadata = { ...dk.metadata, namespace }
  }

export const withUid =
  (uid: string): DynaKubeModifier =>
  (dk) => {
    dk.metadata = { ...dk.metadata, uid }
  }

export const cloudNative =
  (namespaceSelector?: LabelSelector, extra: Record<string, unknown> = {}): DynaKubeModifier =>
  (dk) => {
    dk.spec = {
      ...dk.spec,
      oneAgent: {
        cloudNativeFullStack: { ...(namespaceSelector === undefined ? {} : { namespaceSelector }), ...extra }
      }
    }
  }

export const applicationMonitoring =
  (namespaceSelector?: LabelSelector): DynaKubeModifier =>
  (dk) => {
    dk.spec = {
      ...dk.spec,
      oneAgent: { applicationMonitoring: namespaceSelector === undefined ? {} : { namespaceSelector } }
    }
  }

export const hostMonitoring = (): DynaKubeModifier => (dk) => {
  dk.spec = { ...dk.spec, oneAgent: { hostMonitoring: {} } }
}

export const enrichment =
  (namespaceSelector?: LabelSelector): DynaKubeModifier =>
  (dk) => {
    dk.spec = {
      ...dk.spec,
      metadataEnrichment: { enabled: true, ...(namespaceSelector === undefined ? {} : { namespaceSelector }) }
    }
  }

export const otlp =
  (namespaceSelector?: LabelSelector): DynaKubeModifier =>
  (dk) => {
    dk.spec = {
      ...dk.spec,
      otlpExporterConfiguration: {
        signals: { traces: {}, metrics: {} },
        ...(namespaceSelector === undefined ? {} : { namespaceSelector })
      }
    }
  }

export const activeGate =
  (capabilities: ReadonlyArray<string>, extra: Record<string, unknown> = {}): DynaKubeModifier =>
  (dk) => {
    dk.spec = { ...dk.spec, activeGate: { capabilities: [...capabilities], ...extra } }
  }

export const annotation =
  (key: string, value: string): DynaKubeModifier =>
  (dk) => {
    dk.metadata = { ...dk.metadata, annotations: { ...dk.metadata?.annotations, [key]: value } }
  }

export const spec =
  (fields: Partial<DynaKube["spec"]>): DynaKubeModifier =>
  (dk) => {
    dk.spec = { ...dk.spec, ...fields }
  }

type NamespaceModifier = (ns: Mutable<Namespace>) => void

/** A Namespace with the labels Kubernetes always sets (`kubernetes.io/metadata.name`). */
export const namespace = (name: string, ...modifiers: ReadonlyArray<NamespaceModifier>): Namespace => {
  const ns: Mutable<Namespace> = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "kubernetes.io/metadata.name": name } }
  }
  for (const modify of modifiers) modify(ns)
  return ns
}

export const labels =
  (extra: Record<string, string>): NamespaceModifier =>
  (ns) => {
    ns.metadata = { ...ns.metadata, labels: { ...ns.metadata?.labels, ...extra } }
  }

export const ownedBy = (dk: string): NamespaceModifier => labels({ "dynakube.internal.dynatrace.com/instance": dk })

export const terminating = (): NamespaceModifier => (ns) => {
  ns.status = { phase: "Terminating" }
}
