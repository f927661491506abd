/**
 * The SQL extension executor Deployments, one per `spec.extensions.databases[]` entry (spec §2.2.11), as the
 * original builds them: `<dk>-sql-ext-exec-<id>`, an `sql-executor` container talking to the Extension Execution
 * Controller (`--url=https://<dk>-extension-controller.<ns>:14599`) with the data-source token and the EEC
 * certificate mounted, HTTP probes on 8080, user/group 1000, read-only root, no capabilities, default resources
 * 250m/256Mi requests and 500m/512Mi limits unless the entry gives its own. The entry's volumes, mounts, labels,
 * annotations, affinity, node selector, topology constraints and service account are applied; the template's
 * tolerations and image are shared by all executors.
 *
 * Labels: the app labels of `dynatrace-sql-extension-executor` (version = image tag) plus
 * `extensions.dynatrace.com/executor.id=<id>` and `extensions.dynatrace.com/datasource=sql`; the selector is the
 * app match labels (the same for every executor of a DynaKube, as in the original).
 *
 * @since 0.1.0
 */
import type { DatabaseSpec, DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import {
  appArmorProfile,
  appLabels,
  appMatchLabels,
  customPullSecrets,
  nameOf,
  nonEmptyList,
  nonEmptyMap,
  type OperatorContext,
  ownedMeta,
  prune,
  withoutAppArmorAnnotations
} from "../oneagent/WorkloadParts.ts"
import type {
  BuiltMeta,
  Container,
  PodTemplate,
  Selector,
  StringMap,
  Volume,
  VolumeMount
} from "../oneagent/WorkloadTypes.ts"
import { datasourcePort, extensionNames, serviceFqdn, tlsSecretName, tokenKeys } from "./Extensions.ts"

/** `app.kubernetes.io/name` and `component` of the executors. @category constants @since 0.1.0 */
export const sqlExecutorComponent = "dynatrace-sql-extension-executor"
/** @category constants @since 0.1.0 */
export const containerName = "sql-executor"
/** The service account when the entry names none (installed by the Helm chart). @category constants @since 0.1.0 */
export const defaultServiceAccount = "dynatrace-sql-ext-exec"
/** @category constants @since 0.1.0 */
export const executorIdLabel = "extensions.dynatrace.com/executor.id"
/** @category constants @since 0.1.0 */
export const datasourceLabel = "extensions.dynatrace.com/datasource"

const userGroup = 1000
const secretMode = 0o640

/** `apps/v1` Deployment. @category models @since 0.1.0 */
export interface Deployment {
  readonly apiVersion: "apps/v1"
  readonly kind: "Deployment"
  readonly metadata: BuiltMeta
  readonly spec: { readonly replicas: number; readonly selector: Selector; readonly template: PodTemplate }
}

/** `<dk>-sql-ext-exec-<id>`. @category names @since 0.1.0 */
export const deploymentName = (dk: string, id: string): string => `${dk}-sql-ext-exec-${id}`

/** The image: the template's `imageRef` when it names one. @category images @since 0.1.0 */
export const templateImage = (dk: DynaKube): string | undefined => {
  const ref = dk.spec.templates?.sqlExtensionExecutor?.imageRef
  const repository = ref?.repository ?? ""
  if (repository === "") return undefined
  if ((ref?.digest ?? "") !== "") return `${repository}@${ref?.digest}`
  return (ref?.tag ?? "") === "" ? undefined : `${repository}:${ref?.tag}`
}

/** The labels the executors of a DynaKube share (without id, datasource and version): what cleanup lists by. */
export const sharedLabels = (dk: string): StringMap => ({
  ...appMatchLabels(sqlExecutorComponent, dk),
  "app.kubernetes.io/component": sqlExecutorComponent
})

/**
 * Inputs of {@link buildSqlExecutorDeployment}.
 * @category models
 * @since 0.1.0
 */
export interface SqlExecutorDeploymentInput {
  readonly dynakube: DynaKube
  readonly operator: OperatorContext
  readonly database: DatabaseSpec
  readonly image: string
  /** Replicas of the live Deployment, kept when the entry sets none. */
  readonly currentReplicas?: number | undefined
}

const httpProbe = (path: string, initialDelaySeconds: number, periodSeconds: number) => ({
  httpGet: { path, port: 8080, scheme: "HTTP" as const },
  initialDelaySeconds,
  periodSeconds,
  timeoutSeconds: 2,
  failureThreshold: 3,
  successThreshold: 1
})

/**
 * The executor Deployment of one `databases[]` entry.
 * @category constructors
 * @since 0.1.0
 */
export const buildSqlExecutorDeployment = (input: SqlExecutorDeploymentInput): Deployment => {
  const dk = input.dynakube
  const db = input.database
  const name = nameOf(dk)
  const minor = input.operator.kubernetesMinorVersion
  const tag = dk.spec.templates?.sqlExtensionExecutor?.imageRef?.tag ?? ""
  const labels: StringMap = {
    ...appLabels(sqlExecutorComponent, name, sqlExecutorComponent, tag),
    [executorIdLabel]: db.id,
    [datasourceLabel]: "sql"
  }
  const trustedCAs = dk.spec.trustedCAs ?? ""
  const volumes: Array<Volume> = [
    { name: "tmp-data", emptyDir: {} },
    {
      name: "auth-token",
      secret: {
        secretName: extensionNames(name).tokenSecret,
        items: [{ key: tokenKeys.datasource, path: "auth-token" }],
        defaultMode: secretMode
      }
    },
    {
      name: "https-certs",
      secret: { secretName: tlsSecretName(dk), items: [{ key: "tls.crt", path: "tls.crt" }], defaultMode: secretMode }
    },
    ...(trustedCAs === ""
      ? []
      : [{ name: "custom-certs", configMap: { name: trustedCAs, items: [{ key: "certs", path: "custom.crt" }] } }]),
    ...((db.volumes ?? []) as ReadonlyArray<Volume>)
  ]
  const mounts: Array<VolumeMount> = [
    { name: "tmp-data", mountPath: "/tmp" },
    { name: "auth-token", mountPath: "/var/run/dynatrace/executor/token", readOnly: true },
    { name: "https-certs", mountPath: "/var/ssl-certs/dynatrace", readOnly: true },
    ...(trustedCAs === "" ? [] : [{ name: "custom-certs", mountPath: "/var/ssl-certs/user", readOnly: true }]),
    ...((db.volumeMounts ?? []) as ReadonlyArray<VolumeMount>)
  ]
  const container: Container = {
    name: containerName,
    image: input.image,
    imagePullPolicy: dk.spec.templates?.sqlExtensionExecutor?.imageRef?.pullPolicy,
    args: [`--url=https://${serviceFqdn(dk)}:${datasourcePort}`],
    env: [{ name: "POD_UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } }],
    livenessProbe: httpProbe("/health/live", 15, 10),
    readinessProbe: httpProbe("/health/ready", 10, 5),
    resources: (db.resources as Readonly<Record<string, unknown>> | undefined) ?? {
      requests: { memory: "256Mi", cpu: "250m" },
      limits: { memory: "512Mi", cpu: "500m" }
    },
    securityContext: {
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsGroup: userGroup,
      runAsUser: userGroup,
      capabilities: { drop: ["ALL"] },
      appArmorProfile: appArmorProfile(db.annotations, containerName, minor)
    },
    volumeMounts: mounts
  }
  return prune<Deployment>({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: ownedMeta(dk, deploymentName(name, db.id), labels),
    spec: {
      replicas: db.replicas ?? input.currentReplicas ?? 1,
      selector: { matchLabels: appMatchLabels(sqlExecutorComponent, name) },
      template: {
        // The entry's labels never override ours.
        metadata: {
          labels: { ...db.labels, ...labels },
          annotations: nonEmptyMap(withoutAppArmorAnnotations(db.annotations ?? {}, [containerName], minor))
        },
        spec: {
          containers: [container],
          volumes,
          serviceAccountName: (db.serviceAccountName ?? "") === "" ? defaultServiceAccount : db.serviceAccountName,
          nodeSelector: nonEmptyMap(db.nodeSelector),
          tolerations: nonEmptyList(dk.spec.templates?.sqlExtensionExecutor?.tolerations),
          affinity: nonEmptyMap(db.affinity as Readonly<Record<string, unknown>> | undefined),
          topologySpreadConstraints: nonEmptyList(db.topologySpreadConstraints),
          securityContext: { seccompProfile: { type: "RuntimeDefault" }, fsGroup: userGroup },
          imagePullSecrets: nonEmptyList(customPullSecrets(dk, input.operator.operatorPullSecret))
        }
      }
    }
  })
}
