/**
 * Builders for the webhook's tests, golden fixtures and benchmark: pods, namespaces, DynaKubes and
 * AdmissionReviews made from a base plus modifier functions (`pod("app", withContainer("b"), withAnnotation(…))`).
 *
 * @since 0.1.0
 */
import { Duration } from "effect"
import type { DynaKube } from "../../schemas/DynaKubeV1beta6.ts"
import type { Container, Namespace, Pod } from "../../schemas/Pod.ts"
import type { Settings } from "./pod/InjectionPolicy.ts"
import * as Keys from "./Keys.ts"
import type { CertPaths } from "./ServingCertificate.ts"
import type { WebhookConfig } from "./WebhookConfig.ts"

type Mod<T> = (value: T) => T

/** A DynaKube as the builders make it. @category dynakubes @since 0.1.0 */
export type DynaKubeObject = DynaKube

const apply = <T>(base: T, mods: ReadonlyArray<Mod<T>>): T => mods.reduce((acc, mod) => mod(acc), base)

/** The operator namespace of the test objects. @category constants @since 0.1.0 */
export const operatorNamespace = "dynatrace"

/** Settings as a default install would have them. @category settings @since 0.1.0 */
export const settings = (overrides: Partial<Settings> = {}): Settings => ({
  operatorNamespace,
  operatorImage: "public.ecr.aws/dynatrace/dynatrace-operator:v1.7.0",
  operatorVersion: "1.7.0",
  csiDriver: true,
  openShift: false,
  metadataSizeLimit: 24576,
  extractCodeModulesImageLinks: false,
  ...overrides
})

/**
 * The configuration of an in-process `webhook-server` for integration tests: a free port on the given certificate,
 * no metrics or health listeners, otherwise a default install's settings.
 * @category settings
 * @since 0.1.0
 */
export const serverConfig = (namespace: string, certificate: CertPaths): WebhookConfig => ({
  port: 0,
  certificate,
  metricsBindAddress: undefined,
  healthProbeBindAddress: undefined,
  operatorNamespace: namespace,
  operatorImage: settings().operatorImage,
  operatorVersion: "0.1.0",
  metadataSizeLimit: 24576,
  extractCodeModulesImageLinks: false,
  csiDriver: true,
  deadline: Duration.seconds(3),
  bodyLimit: 2 * 1024 * 1024
})

/** The rules of the pod webhook (`webhook.pod.dynatrace.com`): pod creation. @category settings @since 0.1.0 */
export const podWebhookRules = [
  { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: "Namespaced" }
]

// ---------------------------------------------------------------------------------------------------------------
// pods

/** A container. @category pods @since 0.1.0 */
export const container = (
  name: string,
  image = `registry.example.com/team/${name}:1.0`,
  extra: Partial<Container> = {}
): Container => ({
  name,
  image,
  ...extra
})

/** A pod of a ReplicaSet in namespace `apps` with one container `app`. @category pods @since 0.1.0 */
export const pod = (name: string, ...mods: ReadonlyArray<Mod<Pod>>): Pod =>
  apply<Pod>(
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        generateName: `${name}-7d9f8c-`,
        namespace: "apps",
        labels: { app: name },
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: `${name}-7d9f8c`, uid: `uid-${name}-rs`, controller: true }
        ]
      },
      spec: { containers: [container(name)] }
    },
    mods
  )

/** Adds a container. @category pods @since 0.1.0 */
export const withContainer =
  (name: string, image?: string, extra: Partial<Container> = {}): Mod<Pod> =>
  (p) => ({ ...p, spec: { ...p.spec, containers: [...p.spec.containers, container(name, image, extra)] } })

/** Replaces the containers. @category pods @since 0.1.0 */
export const withContainers =
  (...containers: ReadonlyArray<Container>): Mod<Pod> =>
  (p) => ({ ...p, spec: { ...p.spec, containers } })

/** Sets a pod annotation. @category pods @since 0.1.0 */
export const withAnnotation =
  (key: string, value: string): Mod<Pod> =>
  (p) => ({ ...p, metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, [key]: value } } })

/** Sets a field of the spec (any field, known or not). @category pods @since 0.1.0 */
export const withSpecField =
  (key: string, value: unknown): Mod<Pod> =>
  (p) => ({ ...p, spec: { ...p.spec, [key]: value } })

/** Moves the pod into a namespace. @category pods @since 0.1.0 */
export const inNamespace =
  (namespace: string): Mod<Pod> =>
  (p) => ({ ...p, metadata: { ...p.metadata, namespace } })

const benchContainer = (name: string, image: string, port: number, extra: Record<string, unknown> = {}) => ({
  name,
  image,
  ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
  env: [
    { name: "LOG_LEVEL", value: "info" },
    { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }
  ],
  resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  readinessProbe: { httpGet: { path: "/ready", port }, periodSeconds: 5 },
  livenessProbe: { httpGet: { path: "/health", port }, initialDelaySeconds: 10 },
  volumeMounts: [
    { name: "config", mountPath: "/etc/app" },
    { name: "kube-api-access-x7k2p", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true }
  ],
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  terminationMessagePath: "/dev/termination-log",
  terminationMessagePolicy: "File",
  imagePullPolicy: "IfNotPresent",
  ...extra
})

/**
 * A realistic three-container pod of a Deployment (app, Envoy sidecar, log shipper; ports, probes, resources, env,
 * volumes; ~4 KiB as JSON), as the benchmark posts it.
 * @category pods
 * @since 0.1.0
 */
export const realisticPod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    generateName: "checkout-7d9f8c6b5-",
    namespace: "apps",
    labels: { app: "checkout", "pod-template-hash": "7d9f8c6b5", "app.kubernetes.io/version": "2.4.1" },
    annotations: { "kubectl.kubernetes.io/restartedAt": "2026-11-20T10:00:00Z", "prometheus.io/scrape": "true" },
    ownerReferences: [
      {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: "checkout-7d9f8c6b5",
        uid: "3f1c",
        controller: true,
        blockOwnerDeletion: true
      }
    ]
  },
  spec: {
    containers: [
      benchContainer("checkout", "registry.example.com/shop/checkout:2.4.1", 8080, { args: ["--port=8080"] }),
      benchContainer("envoy", "docker.io/envoyproxy/envoy:v1.30.1@sha256:4f1b0c9e", 15001),
      benchContainer("log-shipper", "docker.io/fluent/fluent-bit:3.1", 2020)
    ],
    volumes: [
      { name: "config", configMap: { name: "checkout-config", defaultMode: 420 } },
      {
        name: "kube-api-access-x7k2p",
        projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: "token" } }], defaultMode: 420 }
      }
    ],
    serviceAccountName: "checkout",
    securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
    affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
    tolerations: [
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 }
    ],
    dnsPolicy: "ClusterFirst",
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    schedulerName: "default-scheduler",
    priority: 0,
    enableServiceLinks: true
  }
}

// ---------------------------------------------------------------------------------------------------------------
// namespaces

/** A namespace mapped to DynaKube `dk` (label set). @category namespaces @since 0.1.0 */
export const namespace = (
  name: string,
  labels: Readonly<Record<string, string>> = { [Keys.instanceLabel]: "dk" },
  annotations?: Readonly<Record<string, string>>
): Namespace => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels, ...(annotations === undefined ? {} : { annotations }) }
})

// ---------------------------------------------------------------------------------------------------------------
// DynaKubes

/** A DynaKube `dk` in the operator namespace with no OneAgent mode. @category dynakubes @since 0.1.0 */
export const dynakube = (...mods: ReadonlyArray<Mod<DynaKube>>): DynaKube =>
  apply<DynaKube>(
    {
      apiVersion: "dynatrace.com/v1beta6",
      kind: "DynaKube",
      metadata: { name: "dk", namespace: operatorNamespace },
      spec: { apiUrl: "https://abc12345.live.dynatrace.com/api" },
      status: {
        kubeSystemUUID: "9f8e7d6c-0000-4000-8000-000000000001",
        kubernetesClusterName: "prod-eu",
        kubernetesClusterMEID: "KUBERNETES_CLUSTER-0123456789ABCDEF",
        codeModules: { version: "1.309.0.20250101-120000" },
        oneAgent: { connectionInfoStatus: { tenantUUID: "abc12345" } }
      }
    },
    mods
  )

/** cloudNativeFullStack. @category dynakubes @since 0.1.0 */
export const cloudNative =
  (spec: Record<string, unknown> = {}): Mod<DynaKube> =>
  (dk) => ({ ...dk, spec: { ...dk.spec, oneAgent: { cloudNativeFullStack: spec } } })

/** applicationMonitoring. @category dynakubes @since 0.1.0 */
export const applicationMonitoring =
  (spec: Record<string, unknown> = {}): Mod<DynaKube> =>
  (dk) => ({ ...dk, spec: { ...dk.spec, oneAgent: { applicationMonitoring: spec } } })

/** metadata enrichment on. @category dynakubes @since 0.1.0 */
export const enrichment =
  (extra: Record<string, unknown> = {}): Mod<DynaKube> =>
  (dk) => ({ ...dk, spec: { ...dk.spec, metadataEnrichment: { enabled: true, ...extra } } })

/** OTLP exporter configuration for the given signals. @category dynakubes @since 0.1.0 */
export const otlp =
  (signals: ReadonlyArray<"traces" | "metrics" | "logs">, extra: Record<string, unknown> = {}): Mod<DynaKube> =>
  (dk) => ({
    ...dk,
    spec: {
      ...dk.spec,
      otlpExporterConfiguration: { signals: Object.fromEntries(signals.map((s) => [s, {}])), ...extra }
    }
  })

/** Sets a DynaKube annotation (feature flags). @category dynakubes @since 0.1.0 */
export const withDkAnnotation =
  (key: string, value: string): Mod<DynaKube> =>
  (dk) => ({ ...dk, metadata: { ...dk.metadata, annotations: { ...dk.metadata?.annotations, [key]: value } } })

/** Merges into the status. @category dynakubes @since 0.1.0 */
export const withStatus =
  (status: Record<string, unknown>): Mod<DynaKube> =>
  (dk) => ({ ...dk, status: { ...dk.status, ...status } })

/** Merges into the spec. @category dynakubes @since 0.1.0 */
export const withSpec =
  (spec: Record<string, unknown>): Mod<DynaKube> =>
  (dk) => ({ ...dk, spec: { ...dk.spec, ...spec } })

// ---------------------------------------------------------------------------------------------------------------
// reviews

/** An AdmissionReview for creating `object` (a pod by default) in `namespace`. @category reviews @since 0.1.0 */
export const review = (
  object: unknown,
  options: {
    readonly uid?: string
    readonly namespace?: string
    readonly kind?: { readonly group: string; readonly version: string; readonly kind: string }
    readonly operation?: string
    readonly username?: string
    readonly dryRun?: boolean
  } = {}
) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: options.uid ?? "705ab4f5-6393-11e8-b7cc-42010a800002",
    kind: options.kind ?? { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    requestKind: options.kind ?? { group: "", version: "v1", kind: "Pod" },
    namespace: options.namespace ?? "apps",
    operation: options.operation ?? "CREATE",
    userInfo: { username: options.username ?? "system:serviceaccount:kube-system:replicaset-controller" },
    object,
    dryRun: options.dryRun ?? false,
    options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" }
  }
})
