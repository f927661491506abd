/**
 * Plain-JSON shapes of the Kubernetes objects the DynaKube workload builders produce (DaemonSet, StatefulSet,
 * Service, Secret, ConfigMap and the pod parts inside them). They are loose on purpose: only the fields the
 * builders set are named, leaves the operator passes through from the DynaKube (affinity, volume sources, probes'
 * handlers, PVC specs) stay `unknown`, and every object is a {@link KubeObject} the KubeClient sends as is.
 *
 * Optional fields admit `undefined` so builders can write `x: maybe`; the builders strip `undefined` before
 * returning (see `prune` in `WorkloadParts.ts`), so no output object carries an `undefined` value.
 *
 * @since 0.1.0
 */
import type { KubeObject, ObjectMeta } from "../../../../services/kube/KubeObject.ts"

/** @category meta @since 0.1.0 */
export type StringMap = Readonly<Record<string, string>>

/** `corev1.EnvVar`; `valueFrom` is a fieldRef, configMapKeyRef, secretKeyRef or resourceFieldRef. @category pod @since 0.1.0 */
export interface EnvVar {
  readonly name: string
  readonly value?: string | undefined
  readonly valueFrom?: Readonly<Record<string, unknown>> | undefined
}

/** `corev1.VolumeMount`. @category pod @since 0.1.0 */
export interface VolumeMount {
  readonly name: string
  readonly mountPath: string
  readonly readOnly?: boolean | undefined
  readonly subPath?: string | undefined
  readonly [key: string]: unknown
}

/** `corev1.Volume`: a name and one volume source. @category pod @since 0.1.0 */
export interface Volume {
  readonly name: string
  readonly [source: string]: unknown
}

/** `corev1.Probe` (exec or httpGet). @category pod @since 0.1.0 */
export interface Probe {
  readonly exec?: { readonly command: ReadonlyArray<string> } | undefined
  readonly httpGet?:
    | { readonly path: string; readonly port: number | string; readonly scheme: "HTTP" | "HTTPS" }
    | undefined
  readonly initialDelaySeconds?: number | undefined
  readonly periodSeconds?: number | undefined
  readonly timeoutSeconds?: number | undefined
  readonly successThreshold?: number | undefined
  readonly failureThreshold?: number | undefined
}

/** `corev1.SecurityContext` (container). @category pod @since 0.1.0 */
export interface SecurityContext {
  readonly privileged?: boolean | undefined
  readonly allowPrivilegeEscalation?: boolean | undefined
  readonly runAsNonRoot?: boolean | undefined
  readonly runAsUser?: number | undefined
  readonly runAsGroup?: number | undefined
  readonly readOnlyRootFilesystem?: boolean | undefined
  readonly capabilities?:
    | { readonly drop?: ReadonlyArray<string> | undefined; readonly add?: ReadonlyArray<string> | undefined }
    | undefined
  readonly seccompProfile?: { readonly type: string; readonly localhostProfile?: string | undefined } | undefined
  readonly appArmorProfile?: { readonly type: string; readonly localhostProfile?: string | undefined } | undefined
}

/** `corev1.Container`. @category pod @since 0.1.0 */
export interface Container {
  readonly name: string
  readonly image?: string | undefined
  readonly imagePullPolicy?: string | undefined
  readonly command?: ReadonlyArray<string> | undefined
  readonly args?: ReadonlyArray<string> | undefined
  readonly workingDir?: string | undefined
  readonly ports?: ReadonlyArray<{ readonly name: string; readonly containerPort: number }> | undefined
  readonly env?: ReadonlyArray<EnvVar> | undefined
  readonly resources?: Readonly<Record<string, unknown>> | undefined
  readonly volumeMounts?: ReadonlyArray<VolumeMount> | undefined
  readonly readinessProbe?: Probe | undefined
  readonly livenessProbe?: Probe | undefined
  readonly securityContext?: SecurityContext | undefined
}

/** `corev1.PodSpec`, the fields the operator sets. @category pod @since 0.1.0 */
export interface PodSpec {
  readonly initContainers?: ReadonlyArray<Container> | undefined
  readonly containers: ReadonlyArray<Container>
  readonly volumes?: ReadonlyArray<Volume> | undefined
  readonly nodeSelector?: StringMap | undefined
  readonly serviceAccountName?: string | undefined
  readonly automountServiceAccountToken?: boolean | undefined
  readonly hostNetwork?: boolean | undefined
  readonly hostPID?: boolean | undefined
  readonly securityContext?: Readonly<Record<string, unknown>> | undefined
  readonly imagePullSecrets?: ReadonlyArray<{ readonly name: string }> | undefined
  readonly affinity?: Readonly<Record<string, unknown>> | undefined
  readonly tolerations?: ReadonlyArray<unknown> | undefined
  readonly priorityClassName?: string | undefined
  readonly dnsPolicy?: string | undefined
  readonly terminationGracePeriodSeconds?: number | undefined
  readonly topologySpreadConstraints?: ReadonlyArray<unknown> | undefined
}

/** `corev1.PodTemplateSpec`. @category pod @since 0.1.0 */
export interface PodTemplate {
  readonly metadata: { readonly labels: StringMap; readonly annotations?: StringMap | undefined }
  readonly spec: PodSpec
}

/** A workload's label selector (`matchLabels` only). @category workloads @since 0.1.0 */
export interface Selector {
  readonly matchLabels: StringMap
}

/** Metadata of a built object: name and namespace are always set. @category meta @since 0.1.0 */
export interface BuiltMeta extends ObjectMeta {
  readonly name: string
  readonly namespace: string
}

/** `apps/v1` DaemonSet. @category workloads @since 0.1.0 */
export interface DaemonSet extends KubeObject {
  readonly apiVersion: "apps/v1"
  readonly kind: "DaemonSet"
  readonly metadata: BuiltMeta
  readonly spec: {
    readonly selector: Selector
    readonly template: PodTemplate
    readonly updateStrategy: { readonly type?: string | undefined; readonly rollingUpdate?: unknown }
  }
}

/** A `volumeClaimTemplates` entry. @category workloads @since 0.1.0 */
export interface VolumeClaimTemplate {
  readonly metadata: { readonly name: string }
  readonly spec: Readonly<Record<string, unknown>>
}

/** `apps/v1` StatefulSet. @category workloads @since 0.1.0 */
export interface StatefulSet extends KubeObject {
  readonly apiVersion: "apps/v1"
  readonly kind: "StatefulSet"
  readonly metadata: BuiltMeta
  readonly spec: {
    readonly replicas: number
    readonly selector: Selector
    readonly serviceName?: string | undefined
    readonly podManagementPolicy: "Parallel"
    readonly updateStrategy: { readonly type?: string | undefined; readonly rollingUpdate?: unknown }
    readonly template: PodTemplate
    readonly volumeClaimTemplates?: ReadonlyArray<VolumeClaimTemplate> | undefined
    readonly persistentVolumeClaimRetentionPolicy?:
      | { readonly whenDeleted: "Delete" | "Retain"; readonly whenScaled: "Delete" | "Retain" }
      | undefined
  }
}

/** `v1` Service. @category services @since 0.1.0 */
export interface Service extends KubeObject {
  readonly apiVersion: "v1"
  readonly kind: "Service"
  readonly metadata: BuiltMeta
  readonly spec: {
    readonly type: "ClusterIP"
    readonly selector: StringMap
    readonly ports: ReadonlyArray<{
      readonly name: string
      readonly protocol: "TCP"
      readonly port: number
      readonly targetPort: string | number
    }>
  }
}

/** `v1` Secret; `data` values are base64. @category config @since 0.1.0 */
export interface Secret extends KubeObject {
  readonly apiVersion: "v1"
  readonly kind: "Secret"
  readonly metadata: BuiltMeta
  readonly type: string
  readonly data: StringMap
}

/** `v1` ConfigMap. @category config @since 0.1.0 */
export interface ConfigMap extends KubeObject {
  readonly apiVersion: "v1"
  readonly kind: "ConfigMap"
  readonly metadata: BuiltMeta
  readonly data: StringMap
}
