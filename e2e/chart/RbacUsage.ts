/**
 * The RBAC table: what each of our programs needs from the Kubernetes API and why. It is the single place the
 * chart's Roles are checked against (`e2e/chart/Rbac.test.ts`):
 *
 * - every resource the code uses (`CodeScan.ts`) must be here, with every verb the scan sees;
 * - the chart must grant every row, for the right service account and scope;
 * - the chart must grant these service accounts nothing beyond the rows (least privilege).
 *
 * `scope: "namespace"` = the operator (release) namespace only; `"cluster"` = any namespace / cluster-scoped;
 * `names` limits a row to those object names (RBAC `resourceNames`). docs/helm.md renders this table.
 *
 * @since 0.1.0
 */
import type { ServiceAccountName, Verb } from "./CodeScan.ts"

/** One permission a program needs. */
export interface Need {
  readonly group: string
  readonly resource: string
  readonly verbs: ReadonlyArray<Verb | "use">
  readonly scope: "namespace" | "cluster"
  readonly names?: ReadonlyArray<string>
  /** The code (or platform rule) that needs it. */
  readonly why: string
  /**
   * Only granted with these Helm value sets (each a list of `helm template` arguments); absent = always. The
   * default render must not grant such a row, and each listed render must grant it.
   */
  readonly onlyWith?: ReadonlyArray<ReadonlyArray<string>>
}

/** `operator.missedInjection` value sets (docs/missed-injection.md): off by default, then nothing is granted. */
export const missedInjectionReport: ReadonlyArray<string> = ["--set", "operator.missedInjection=report"]
export const missedInjectionRestart: ReadonlyArray<string> = ["--set", "operator.missedInjection=restart"]

/** The four secrets the operator replicates into monitored namespaces (spec Appendix A). */
export const replicatedSecrets = [
  "dynatrace-bootstrapper-config",
  "dynatrace-bootstrapper-certs",
  "dynatrace-otlp-exporter-config",
  "dynatrace-otlp-exporter-certs"
] as const

const ourCrds = ["dynakubes.dynatrace.com", "edgeconnects.dynatrace.com"]

/** Needs per service account. */
export const needs: Readonly<Record<ServiceAccountName, ReadonlyArray<Need>>> = {
  "dynatrace-operator": [
    {
      group: "dynatrace.com",
      resource: "dynakubes",
      verbs: ["get", "list", "watch", "update"],
      scope: "namespace",
      why: "DynaKube informer (OperatorCaches, NodesController), Reconciler re-read, troubleshoot; crd-storage-migration rewrites each one"
    },
    {
      group: "dynatrace.com",
      resource: "dynakubes/status",
      verbs: ["update"],
      scope: "namespace",
      why: "Reconciler writes the status once per reconcile"
    },
    {
      group: "dynatrace.com",
      resource: "dynakubes/finalizers",
      verbs: ["update"],
      scope: "namespace",
      why: "owned objects carry blockOwnerDeletion (OwnerReferencesPermissionEnforcement, e.g. OpenShift)"
    },
    {
      group: "dynatrace.com",
      resource: "edgeconnects",
      verbs: ["get", "list", "watch", "update"],
      scope: "namespace",
      why: "EdgeConnect informer; the reconciler adds/removes its finalizer with an update"
    },
    {
      group: "dynatrace.com",
      resource: "edgeconnects/status",
      verbs: ["update"],
      scope: "namespace",
      why: "EdgeConnect status"
    },
    {
      group: "dynatrace.com",
      resource: "edgeconnects/finalizers",
      verbs: ["update"],
      scope: "namespace",
      why: "the EdgeConnect Deployment carries blockOwnerDeletion"
    },
    {
      group: "",
      resource: "secrets",
      verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
      scope: "namespace",
      why: "DynaKube/EdgeConnect secrets (ObjectSync), webhook certificate Secret (create/update), token reads, troubleshoot"
    },
    {
      group: "",
      resource: "configmaps",
      verbs: ["get", "list", "watch", "create", "update", "patch", "delete"],
      scope: "namespace",
      why: "connection info, deployment metadata (ObjectSync), node cache ConfigMap (create/update), trusted CAs"
    },
    {
      group: "",
      resource: "services",
      verbs: ["get", "list", "watch", "create", "patch", "delete"],
      scope: "namespace",
      why: "ActiveGate Service (ObjectSync), troubleshoot"
    },
    {
      group: "",
      resource: "pods",
      verbs: ["list"],
      scope: "namespace",
      why: "OneAgent instances of a DynaKube (Components.refreshInstances)"
    },
    {
      group: "apps",
      resource: "daemonsets",
      verbs: ["get", "list", "watch", "create", "patch", "delete"],
      scope: "namespace",
      why: "OneAgent DaemonSet (ObjectSync, recreate on selector change)"
    },
    {
      group: "apps",
      resource: "statefulsets",
      verbs: ["get", "list", "watch", "create", "patch", "delete"],
      scope: "namespace",
      why: "ActiveGate StatefulSet (ObjectSync, recreate on selector change)"
    },
    {
      group: "apps",
      resource: "deployments",
      verbs: ["get", "list", "watch", "create", "patch", "delete"],
      scope: "namespace",
      why: "EdgeConnect Deployment (ObjectSync); webhook Deployment (certificate owner); own Deployment (node cache owner); SQL extension executors (created per databases[] entry, deleted when it goes)"
    },
    {
      group: "networking.istio.io",
      resource: "serviceentries",
      verbs: ["get", "list", "create", "patch", "delete"],
      scope: "namespace",
      why: "enableIstio: the DynaKube's ServiceEntries (list = is Istio installed + current objects; ObjectSync)"
    },
    {
      group: "networking.istio.io",
      resource: "virtualservices",
      verbs: ["get", "list", "create", "patch", "delete"],
      scope: "namespace",
      why: "enableIstio: the DynaKube's VirtualServices (ObjectSync)"
    },
    {
      group: "",
      resource: "pods/log",
      verbs: ["get"],
      scope: "namespace",
      why: "support-archive: container logs (supportability Role)"
    },
    {
      group: "apps",
      resource: "replicasets",
      verbs: ["list"],
      scope: "namespace",
      why: "support-archive: manifests (supportability Role)"
    },
    {
      group: "",
      resource: "serviceaccounts",
      verbs: ["list"],
      scope: "namespace",
      why: "support-archive: manifests (supportability Role)"
    },
    {
      group: "",
      resource: "events",
      verbs: ["list"],
      scope: "namespace",
      why: "support-archive: events of the operator namespace (supportability Role)"
    },
    {
      group: "discovery.k8s.io",
      resource: "endpointslices",
      verbs: ["list"],
      scope: "namespace",
      why: "troubleshoot: the webhook Service has ready endpoints"
    },
    {
      group: "events.k8s.io",
      resource: "events",
      verbs: ["create"],
      scope: "namespace",
      why: "EventRecorder"
    },
    {
      group: "",
      resource: "pods",
      verbs: ["list", "watch"],
      scope: "cluster",
      why: "missed-injection controller: the pod informer (running and pending pods, slimmed)",
      onlyWith: [missedInjectionReport, missedInjectionRestart]
    },
    {
      group: "apps",
      resource: "replicasets",
      verbs: ["get"],
      scope: "cluster",
      why: "missed-injection controller: a pod's ReplicaSet leads to its Deployment",
      onlyWith: [missedInjectionReport, missedInjectionRestart]
    },
    {
      group: "events.k8s.io",
      resource: "events",
      verbs: ["create"],
      scope: "cluster",
      why: "missed-injection controller: RestartedForInjection on the restarted workload",
      onlyWith: [missedInjectionReport, missedInjectionRestart]
    },
    ...(["deployments", "statefulsets", "daemonsets"] as const).map((resource) => ({
      group: "apps",
      resource,
      verbs: ["get", "patch"] as const,
      scope: "cluster" as const,
      why: "missed-injection controller: reads restartedAt, then restarts like kubectl rollout restart",
      onlyWith: [missedInjectionRestart]
    })),
    {
      group: "coordination.k8s.io",
      resource: "leases",
      verbs: ["create"],
      scope: "namespace",
      why: "leader election: first start"
    },
    {
      group: "coordination.k8s.io",
      resource: "leases",
      verbs: ["get", "update"],
      scope: "namespace",
      names: ["dynatrace-operator-lock"],
      why: "leader election: acquire and renew"
    },
    {
      group: "",
      resource: "nodes",
      verbs: ["list", "watch"],
      scope: "cluster",
      why: "NodesController node informer"
    },
    {
      group: "",
      resource: "namespaces",
      verbs: ["get", "list", "watch", "patch"],
      scope: "cluster",
      why: "namespace informer (injection mapping), instance label patch, kube-system UID, troubleshoot"
    },
    {
      group: "",
      resource: "secrets",
      verbs: ["get", "list", "watch", "create", "patch", "delete"],
      scope: "cluster",
      names: replicatedSecrets,
      why: "replicated injection secrets in monitored namespaces: per-name informers, apply, delete"
    },
    {
      group: "admissionregistration.k8s.io",
      resource: "mutatingwebhookconfigurations",
      verbs: ["get", "list", "watch", "patch"],
      scope: "cluster",
      names: ["dynatrace-webhook"],
      why: "WebhookCertController: caBundle; troubleshoot"
    },
    {
      group: "admissionregistration.k8s.io",
      resource: "validatingwebhookconfigurations",
      verbs: ["get", "list", "watch", "patch"],
      scope: "cluster",
      names: ["dynatrace-webhook"],
      why: "WebhookCertController: caBundle; troubleshoot"
    },
    {
      group: "apiextensions.k8s.io",
      resource: "customresourcedefinitions",
      verbs: ["get", "list", "watch", "patch"],
      scope: "cluster",
      names: ourCrds,
      why: "CRD version check, certgen CRD check, conversion caBundle, troubleshoot"
    },
    {
      group: "apiextensions.k8s.io",
      resource: "customresourcedefinitions/status",
      verbs: ["update"],
      scope: "cluster",
      names: ourCrds,
      why: "crd-storage-migration (init container on upgrade) trims status.storedVersions"
    }
  ],
  "dynatrace-webhook": [
    {
      group: "dynatrace.com",
      resource: "dynakubes",
      verbs: ["get", "list", "watch"],
      scope: "namespace",
      why: "DynaKube informer (InjectionContext), validation lists the other DynaKubes"
    },
    {
      group: "",
      resource: "secrets",
      verbs: ["get"],
      scope: "namespace",
      why: "sources of the replicated secrets (on-demand copies), token secrets (validation)"
    },
    {
      group: "",
      resource: "secrets",
      verbs: ["list", "watch"],
      scope: "namespace",
      names: ["dynatrace-webhook-certs"],
      why: "ServingCertificate watches its Secret by name"
    },
    {
      group: "",
      resource: "namespaces",
      verbs: ["get", "list", "watch"],
      scope: "cluster",
      why: "namespace informer (which DynaKube a pod's namespace belongs to), validation"
    },
    {
      group: "",
      resource: "secrets",
      verbs: ["create"],
      scope: "cluster",
      why: "on-demand copy of an injection secret into the pod's namespace (POST: cannot be limited by name)"
    },
    {
      group: "",
      resource: "secrets",
      verbs: ["get"],
      scope: "cluster",
      names: replicatedSecrets,
      why: "is the replicated secret already in the pod's namespace?"
    },
    { group: "", resource: "events", verbs: ["create"], scope: "cluster", why: "injection events on the pod" },
    {
      group: "",
      resource: "replicationcontrollers",
      verbs: ["get"],
      scope: "cluster",
      why: "the pod's top-level owner (workload metadata)"
    },
    ...(["replicasets", "deployments", "statefulsets", "daemonsets"] as const).map((resource): Need => ({
      group: "apps",
      resource,
      verbs: ["get"],
      scope: "cluster",
      why: "the pod's top-level owner (workload metadata)"
    })),
    ...(["jobs", "cronjobs"] as const).map((resource): Need => ({
      group: "batch",
      resource,
      verbs: ["get"],
      scope: "cluster",
      why: "the pod's top-level owner (workload metadata)"
    })),
    {
      group: "apps.openshift.io",
      resource: "deploymentconfigs",
      verbs: ["get"],
      scope: "cluster",
      why: "the pod's top-level owner on OpenShift"
    },
    {
      group: "security.openshift.io",
      resource: "securitycontextconstraints",
      verbs: ["list"],
      scope: "cluster",
      why: "OpenShift detection (a 403 would read as OpenShift)"
    },
    {
      group: "networking.istio.io",
      resource: "virtualservices",
      verbs: ["list"],
      scope: "cluster",
      why: "validation: is Istio installed?"
    }
  ],
  "dynatrace-oneagent-csi-driver": [
    {
      group: "dynatrace.com",
      resource: "dynakubes",
      verbs: ["list", "watch"],
      scope: "namespace",
      why: "csi-provisioner DynaKube informer"
    },
    {
      group: "",
      resource: "secrets",
      verbs: ["get"],
      scope: "namespace",
      why: "csi-provisioner: token and proxy secrets of a DynaKube (downloads)"
    },
    {
      group: "",
      resource: "configmaps",
      verbs: ["get"],
      scope: "namespace",
      why: "csi-provisioner: trusted CAs of a DynaKube"
    }
  ]
}

/**
 * Grants beyond the table that the chart makes on purpose, per service account: only on OpenShift/OLM (SCC use,
 * which admission checks for the pods these accounts run) and what the spec's supportability Role adds for
 * `kubectl exec` troubleshooting (`rbac.supportability`).
 */
export const platformGrants: Readonly<Record<ServiceAccountName, ReadonlyArray<Need>>> = {
  "dynatrace-operator": [
    {
      group: "security.openshift.io",
      resource: "securitycontextconstraints",
      verbs: ["use"],
      scope: "cluster",
      names: ["privileged", "nonroot-v2"],
      why: "OpenShift/OLM"
    },
    { group: "", resource: "pods/exec", verbs: ["create"], scope: "namespace", why: "supportability" },
    { group: "batch", resource: "jobs", verbs: ["get", "list"], scope: "namespace", why: "supportability" }
  ],
  "dynatrace-webhook": [
    {
      group: "security.openshift.io",
      resource: "securitycontextconstraints",
      verbs: ["use"],
      scope: "cluster",
      names: ["privileged", "nonroot-v2"],
      why: "OpenShift/OLM"
    }
  ],
  "dynatrace-oneagent-csi-driver": [
    {
      group: "security.openshift.io",
      resource: "securitycontextconstraints",
      verbs: ["use"],
      scope: "cluster",
      names: ["privileged"],
      why: "OpenShift/OLM: the driver runs privileged"
    }
  ]
}
