/**
 * Descriptors of the resources the operator talks to: core, apps, coordination, admissionregistration,
 * apiextensions and our own CRDs (at their storage versions, spec §1.1).
 */
import { resource } from "./Resource.ts"

export const Namespace = resource({
  group: "",
  version: "v1",
  plural: "namespaces",
  kind: "Namespace",
  namespaced: false
})
export const Node = resource({ group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false })
export const Pod = resource({ group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true })
export const ConfigMap = resource({
  group: "",
  version: "v1",
  plural: "configmaps",
  kind: "ConfigMap",
  namespaced: true
})
export const Secret = resource({ group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true })
export const Service = resource({ group: "", version: "v1", plural: "services", kind: "Service", namespaced: true })
export const ServiceAccount = resource({
  group: "",
  version: "v1",
  plural: "serviceaccounts",
  kind: "ServiceAccount",
  namespaced: true
})
export const Event = resource({ group: "", version: "v1", plural: "events", kind: "Event", namespaced: true })
export const PersistentVolumeClaim = resource({
  group: "",
  version: "v1",
  plural: "persistentvolumeclaims",
  kind: "PersistentVolumeClaim",
  namespaced: true
})

export const Deployment = resource({
  group: "apps",
  version: "v1",
  plural: "deployments",
  kind: "Deployment",
  namespaced: true
})
export const DaemonSet = resource({
  group: "apps",
  version: "v1",
  plural: "daemonsets",
  kind: "DaemonSet",
  namespaced: true
})
export const StatefulSet = resource({
  group: "apps",
  version: "v1",
  plural: "statefulsets",
  kind: "StatefulSet",
  namespaced: true
})
export const ReplicaSet = resource({
  group: "apps",
  version: "v1",
  plural: "replicasets",
  kind: "ReplicaSet",
  namespaced: true
})

export const Job = resource({ group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true })

export const Lease = resource({
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true
})

export const EventsV1Event = resource({
  group: "events.k8s.io",
  version: "v1",
  plural: "events",
  kind: "Event",
  namespaced: true
})

export const MutatingWebhookConfiguration = resource({
  group: "admissionregistration.k8s.io",
  version: "v1",
  plural: "mutatingwebhookconfigurations",
  kind: "MutatingWebhookConfiguration",
  namespaced: false
})
export const ValidatingWebhookConfiguration = resource({
  group: "admissionregistration.k8s.io",
  version: "v1",
  plural: "validatingwebhookconfigurations",
  kind: "ValidatingWebhookConfiguration",
  namespaced: false
})

export const CustomResourceDefinition = resource({
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false
})

/** DynaKube at its storage (hub) version. */
export const DynaKube = resource({
  group: "dynatrace.com",
  version: "v1beta6",
  plural: "dynakubes",
  kind: "DynaKube",
  namespaced: true
})

/** EdgeConnect at its storage (hub) version. */
export const EdgeConnect = resource({
  group: "dynatrace.com",
  version: "v1alpha2",
  plural: "edgeconnects",
  kind: "EdgeConnect",
  namespaced: true
})

/** Istio's ServiceEntry (DynaKube `enableIstio`); the group is served only when Istio is installed. */
export const IstioServiceEntry = resource({
  group: "networking.istio.io",
  version: "v1",
  plural: "serviceentries",
  kind: "ServiceEntry",
  namespaced: true
})

/** Istio's VirtualService (DynaKube `enableIstio`). */
export const IstioVirtualService = resource({
  group: "networking.istio.io",
  version: "v1",
  plural: "virtualservices",
  kind: "VirtualService",
  namespaced: true
})
