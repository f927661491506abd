/**
 * EdgeConnect `dynatrace.com/v1alpha2`: the storage ("hub") version. `v1alpha1` converts to and from it
 * (`EdgeConnectConversion.ts`).
 *
 * The checks that need more than a schema (apiServer suffixes, OAuth endpoint host, name length) belong to the
 * validation webhook.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import {
  Conditions,
  EnvVars,
  Int32,
  ObjectMeta,
  ResourceRequirements,
  StringMap,
  Time,
  Tolerations,
  TopologySpreadConstraints
} from "./Kubernetes.ts"
import { Group, ImageRef, optional, Phase, required, VersionStatus } from "./Shared.ts"

/** @category constants @since 0.1.0 */
export const version = "v1alpha2"
/** @category constants @since 0.1.0 */
export const apiVersion = `${Group}/${version}` as const
/** @category constants @since 0.1.0 */
export const kind = "EdgeConnect"

/**
 * Defaults the operator applies when a field is absent (the CRD carries those Kubernetes can express).
 *
 * @category constants
 * @since 0.1.0
 */
export const Defaults = {
  replicas: 1,
  autoUpdate: true,
  imageRepository: "docker.io/dynatrace/edgeconnect",
  imageTag: "latest"
} as const

/** @category spec @since 0.1.0 */
export const OAuthSpec = Schema.Struct({
  clientSecret: required(
    Schema.String,
    "Secret with the OAuth client: keys oauth-client-id, oauth-client-secret and oauth-client-resource."
  ),
  endpoint: required(
    Schema.String,
    "Token endpoint of Dynatrace SSO, e.g. https://sso.dynatrace.com/sso/oauth2/token."
  ),
  resource: required(Schema.String, "URN of the account or environment the OAuth client belongs to."),
  provisioner: optional(
    Schema.Boolean,
    "The operator creates the EdgeConnect and its OAuth client in the tenant from these credentials (needs more scopes)."
  )
})

/** @category spec @since 0.1.0 */
export const ProxySpec = Schema.Struct({
  host: optional(Schema.String, "Proxy host."),
  port: optional(Int32, "Proxy port."),
  noProxy: optional(Schema.String, "Comma-separated hosts that bypass the proxy."),
  authRef: optional(Schema.String, "Secret with the proxy credentials in keys 'user' and 'password'.")
})

/**
 * Spec fields shared with `v1alpha1`.
 *
 * @category spec
 * @since 0.1.0
 */
export const BaseSpecFields = {
  apiServer: required(
    Schema.String,
    "Host of the Dynatrace platform API, without scheme, e.g. abc12345.apps.dynatrace.com."
  ),
  oauth: required(OAuthSpec, "OAuth client EdgeConnect authenticates with."),
  annotations: optional(StringMap, "Extra annotations for the EdgeConnect pods."),
  labels: optional(StringMap, "Extra labels for the EdgeConnect pods."),
  replicas: optional(Int32, "Number of EdgeConnect pods.", { default: Defaults.replicas }),
  nodeSelector: optional(StringMap, "Node selector for the EdgeConnect pods."),
  kubernetesAutomation: optional(
    Schema.Struct({ enabled: optional(Schema.Boolean, "Let workflows act on this cluster's Kubernetes API.") }),
    "Kubernetes automation for workflows."
  ),
  proxy: optional(ProxySpec, "Proxy for EdgeConnect's outgoing connections."),
  autoUpdate: optional(Schema.Boolean, "Restart the pods when a new EdgeConnect version is available.", {
    default: Defaults.autoUpdate
  }),
  customPullSecret: optional(Schema.String, "Image pull secret for a private registry."),
  caCertsRef: optional(Schema.String, "ConfigMap whose key 'certs' holds extra trusted CA certificates."),
  resources: optional(ResourceRequirements, "Resources of the EdgeConnect container."),
  env: optional(EnvVars, "Extra environment variables."),
  tolerations: optional(Tolerations, "Tolerations of the EdgeConnect pods."),
  topologySpreadConstraints: optional(
    TopologySpreadConstraints,
    "Topology spread constraints of the EdgeConnect pods."
  ),
  hostPatterns: optional(
    Schema.Array(Schema.String),
    "Host patterns registered in the tenant; only used when provisioner is true."
  )
} as const

/** @category spec @since 0.1.0 */
export const EdgeConnectSpec = Schema.Struct({
  ...BaseSpecFields,
  serviceAccountName: optional(
    Schema.String,
    "Service account of the EdgeConnect pods. Defaults to the one the Helm chart installs."
  ),
  imageRef: optional(ImageRef, "EdgeConnect image. Defaults to docker.io/dynatrace/edgeconnect:latest."),
  hostRestrictions: optional(
    Schema.Array(Schema.String),
    "Hosts EdgeConnect may send requests to, e.g. internal.example.org or *.dev.example.org."
  )
})
/** @category spec @since 0.1.0 */
export type EdgeConnectSpec = typeof EdgeConnectSpec.Type

/**
 * Status fields shared with `v1alpha1` (except conditions, which became a map list keyed by type).
 *
 * @category status
 * @since 0.1.0
 */
export const BaseStatusFields = {
  phase: optional(Phase, "Overall state."),
  version: optional(VersionStatus, "EdgeConnect version in use."),
  updatedTimestamp: optional(Time, "When the status was last written."),
  kubeSystemUID: optional(Schema.String, "UID of the kube-system namespace, used as the cluster id.")
} as const

/** @category status @since 0.1.0 */
export const EdgeConnectStatus = Schema.Struct({
  ...BaseStatusFields,
  conditions: optional(Conditions, "Conditions, keyed by type.")
})
/** @category status @since 0.1.0 */
export type EdgeConnectStatus = typeof EdgeConnectStatus.Type

/**
 * An EdgeConnect at `dynatrace.com/v1alpha2`.
 *
 * @category resource
 * @since 0.1.0
 */
export const EdgeConnect = Schema.Struct({
  apiVersion: Schema.optionalKey(Schema.Literal(apiVersion)),
  kind: Schema.optionalKey(Schema.Literal(kind)),
  metadata: Schema.optionalKey(ObjectMeta),
  spec: required(EdgeConnectSpec, "Desired state of the EdgeConnect deployment."),
  status: optional(EdgeConnectStatus, "Observed state, written by the operator.")
}).annotate({
  description:
    "EdgeConnect runs a Dynatrace EdgeConnect deployment that lets the Dynatrace platform reach internal hosts."
})
/** @category resource @since 0.1.0 */
export type EdgeConnect = typeof EdgeConnect.Type
