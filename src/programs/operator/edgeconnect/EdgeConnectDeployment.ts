/**
 * The objects an EdgeConnect owns (spec §2.3 step 4), as pure functions of the CR:
 *
 * - Secret `<ec>-ec-yaml` with `edgeConnect.yaml`;
 * - Secret `<ec>-client` (provisioner mode) with the OAuth client the tenant created: `oauth-client-id`,
 *   `oauth-client-secret`, `oauth-client-resource`, `id`;
 * - Deployment `<ec>`: container `edge-connect` running `status.version.imageID` (pull policy Always, 100m/128Mi
 *   unless `resources` says otherwise, non-root, read-only root file system), config mounted at
 *   `/edgeConnect.yaml` from volume `<ec>-ec-vm`, the custom CA (`caCertsRef`, key `certs`) at
 *   `/etc/edge_connect_certs/certificate.pem`, the pod template annotated with
 *   `internal.operator.dynatrace.com/secret-hash` of the config so pods restart when it changes.
 *
 * Every object has a controller reference to the EdgeConnect, so deleting it deletes them.
 *
 * @since 0.1.0
 */
import type { EdgeConnect } from "../../../schemas/EdgeConnectV1alpha2.ts"
import type { KubeObject, OwnerReference } from "../../../services/kube/KubeObject.ts"
import { appLabels, appSelectorLabels } from "../dynakube/Names.ts"
import { canonicalJson, fnv32a } from "../runtime/ObjectSync.ts"
import * as EcYaml from "./EcYaml.ts"
import { versionLabel } from "./EdgeConnectImage.ts"

/** Keys of the OAuth client secrets. @category constants */
export const secretKeys = {
  clientId: "oauth-client-id",
  clientSecret: "oauth-client-secret",
  resource: "oauth-client-resource",
  id: "id"
} as const

/** Annotation on the pod template with the hash of the config Secret. @category constants */
export const secretHashAnnotation = "internal.operator.dynatrace.com/secret-hash"

/** Container name. @category constants */
export const containerName = "edge-connect"

/** Service account of the pods unless `serviceAccountName` is set. @category constants */
export const defaultServiceAccount = "dynatrace-edgeconnect"

/** `app.kubernetes.io/name` and `component` of the pods. @category constants */
export const componentLabel = "edgeconnect"
/** @category constants */
export const featureLabel = "user-provisioned"

/** Name of the config Secret. @category constructors */
export const configSecretName = (ec: string) => `${ec}-ec-yaml`

/** Name of the provisioner's client Secret. @category constructors */
export const clientSecretName = (ec: string) => `${ec}-client`

/** Name of the config volume. @category constructors */
export const configVolumeName = (ec: string) => `${ec}-ec-vm`

/** Volume of the custom CA. @category constants */
export const caVolumeName = "ca-certs"

/** The EdgeConnect as the owner of what it creates. @category models */
export interface Owner {
  readonly name: string
  readonly namespace: string
  readonly uid: string
}

/** The controller reference to the EdgeConnect. @category constructors */
export const ownerReference = (owner: Owner): OwnerReference => ({
  apiVersion: "dynatrace.com/v1alpha2",
  kind: "EdgeConnect",
  name: owner.name,
  uid: owner.uid,
  controller: true,
  blockOwnerDeletion: true
})

/** A Secret owned by the EdgeConnect. @category constructors */
export const ownedSecret = (owner: Owner, name: string, data: Readonly<Record<string, string>>): KubeObject =>
  ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name,
      namespace: owner.namespace,
      labels: appSelectorLabels(owner.name, componentLabel, featureLabel),
      ownerReferences: [ownerReference(owner)]
    },
    type: "Opaque",
    data
  }) as KubeObject

/** The hash that rolls the pods when the config changes (FNV-32a of the Secret's data). @category constructors */
export const secretHash = (data: Readonly<Record<string, string>>): string => fnv32a(canonicalJson(data))

/** The config Secret's data. @category constructors */
export const configSecretData = (yaml: string): Record<string, string> => ({
  [EcYaml.fileName]: Buffer.from(yaml, "utf8").toString("base64")
})

const defaultResources = {
  requests: { cpu: "100m", memory: "128Mi" },
  limits: { cpu: "100m", memory: "128Mi" }
}

/** What the Deployment needs besides the CR. @category models */
export interface DeploymentInput {
  readonly owner: Owner
  readonly spec: EdgeConnect["spec"]
  readonly imageID: string
  readonly version: string
  readonly secretHash: string
}

/**
 * The desired Deployment.
 * @category constructors
 */
export const desiredDeployment = (input: DeploymentInput): KubeObject => {
  const { owner, spec } = input
  const labels = appLabels(owner.name, componentLabel, featureLabel, versionLabel(input.version))
  const customCa = spec.caCertsRef !== undefined && spec.caCertsRef !== ""
  const pullSecret = spec.customPullSecret !== undefined && spec.customPullSecret !== ""
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: owner.name,
      namespace: owner.namespace,
      labels,
      annotations: {
        [`container.apparmor.security.beta.kubernetes.io/${containerName}`]: "runtime/default",
        "dynatrace.com/inject": "false"
      },
      ownerReferences: [ownerReference(owner)]
    },
    spec: {
      replicas: spec.replicas ?? 1,
      selector: { matchLabels: appSelectorLabels(owner.name, componentLabel, featureLabel) },
      strategy: { type: "RollingUpdate", rollingUpdate: {} },
      template: {
        metadata: {
          // The operator's labels win over the user's: the selector depends on them.
          labels: { ...spec.labels, ...labels },
          annotations: { ...spec.annotations, [secretHashAnnotation]: input.secretHash }
        },
        spec: {
          containers: [
            {
              name: containerName,
              image: input.imageID,
              imagePullPolicy: "Always",
              ...(spec.env === undefined || spec.env.length === 0 ? {} : { env: spec.env }),
              resources: {
                requests: spec.resources?.requests ?? defaultResources.requests,
                limits: spec.resources?.limits ?? defaultResources.limits
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsGroup: 1000,
                runAsUser: 1000,
                runAsNonRoot: true
              },
              volumeMounts: [
                { name: configVolumeName(owner.name), mountPath: EcYaml.mountPath, subPath: EcYaml.fileName },
                ...(customCa ? [{ name: caVolumeName, mountPath: EcYaml.customCaDirectory }] : [])
              ]
            }
          ],
          ...(pullSecret ? { imagePullSecrets: [{ name: spec.customPullSecret }] } : {}),
          serviceAccountName:
            spec.serviceAccountName !== undefined && spec.serviceAccountName !== ""
              ? spec.serviceAccountName
              : defaultServiceAccount,
          terminationGracePeriodSeconds: 30,
          volumes: [
            {
              name: configVolumeName(owner.name),
              secret: {
                secretName: configSecretName(owner.name),
                items: [{ key: EcYaml.fileName, path: EcYaml.fileName }]
              }
            },
            ...(customCa
              ? [
                  {
                    name: caVolumeName,
                    configMap: { name: spec.caCertsRef, items: [{ key: "certs", path: EcYaml.customCaFile }] }
                  }
                ]
              : [])
          ],
          ...(spec.nodeSelector === undefined ? {} : { nodeSelector: spec.nodeSelector }),
          ...(spec.tolerations === undefined ? {} : { tolerations: spec.tolerations }),
          ...(spec.topologySpreadConstraints === undefined
            ? {}
            : { topologySpreadConstraints: spec.topologySpreadConstraints })
        }
      }
    }
  } as KubeObject
}

/** The part of a Deployment the phase reads. @category models */
export interface DeploymentStatusView extends KubeObject {
  readonly spec?: { readonly replicas?: number | undefined } | undefined
  readonly status?:
    | {
        readonly observedGeneration?: number | undefined
        readonly readyReplicas?: number | undefined
        readonly updatedReplicas?: number | undefined
      }
    | undefined
}

/**
 * `Running` when the Deployment controller has seen the newest spec and every wanted pod is updated and ready;
 * `Deploying` before (or without a Deployment).
 * @category decisions
 */
export const deploymentPhase = (deployment: DeploymentStatusView | undefined): "Running" | "Deploying" => {
  if (deployment === undefined) return "Deploying"
  const wanted = deployment.spec?.replicas ?? 1
  const status = deployment.status
  const current = (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0)
  return current && (status?.readyReplicas ?? 0) >= wanted && (status?.updatedReplicas ?? 0) >= wanted
    ? "Running"
    : "Deploying"
}
