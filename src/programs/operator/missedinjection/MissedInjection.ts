/**
 * Which pods missed injection, decided purely (docs/missed-injection.md).
 *
 * A pod missed injection when the webhook would inject something into it today but never saw it: created before
 * its namespace was mapped, or while the webhook was down (its `failurePolicy` is `Ignore`). Concretely:
 *
 * 1. it is running or about to (not terminating, not `Succeeded`/`Failed`);
 * 2. it has no `dynakube.dynatrace.com/injected` annotation (the webhook writes it on every pod it evaluates,
 *    `"false"` included);
 * 3. the webhook's own decision (`InjectionPolicy.decide`) evaluates it and at least one feature is `On`.
 *
 * Using the webhook's decision means the two can never disagree: opt-outs, excluded containers, unmapped
 * namespaces and feature selectors are all honoured the same way.
 *
 * Also here: the slim pod kept by the controller's cache (`slimPod`) and the workload a pod belongs to.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { Namespace, Pod } from "../../../schemas/Pod.ts"
import type { KubeObject, ObjectMeta } from "../../../services/kube/KubeObject.ts"
import * as Keys from "../../webhook/Keys.ts"
import * as InjectionPolicy from "../../webhook/pod/InjectionPolicy.ts"

/** The pod fields the assessment needs, and nothing else (the cache holds every pod of the cluster). @category models */
export interface SlimPod extends KubeObject {
  readonly metadata: Pick<
    ObjectMeta,
    | "name"
    | "namespace"
    | "uid"
    | "resourceVersion"
    | "annotations"
    | "labels"
    | "ownerReferences"
    | "deletionTimestamp"
    | "creationTimestamp"
  >
  readonly spec: { readonly containers: ReadonlyArray<{ readonly name: string; readonly image?: string }> }
  readonly status?: { readonly phase?: string }
}

/** The object without its `undefined` values (absent keys stay absent, as JSON has them). */
const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

/**
 * Keeps only what the assessment reads (used as the pod informer's transform). Keeps the key and the
 * resourceVersion, as the informer requires.
 * @category constructors
 */
export const slimPod = (object: unknown): SlimPod => {
  const raw = object as {
    readonly metadata?: ObjectMeta
    readonly spec?: { readonly containers?: ReadonlyArray<{ readonly name?: unknown; readonly image?: unknown }> }
    readonly status?: { readonly phase?: unknown }
  }
  const m = raw.metadata ?? {}
  const containers = (raw.spec?.containers ?? []).map((c) =>
    defined({ name: String(c.name ?? ""), image: typeof c.image === "string" ? c.image : undefined })
  )
  const phase = raw.status?.phase
  return defined({
    apiVersion: "v1",
    kind: "Pod",
    metadata: defined({
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      annotations: m.annotations,
      labels: m.labels,
      ownerReferences: m.ownerReferences,
      deletionTimestamp: m.deletionTimestamp,
      creationTimestamp: m.creationTimestamp
    }),
    spec: { containers },
    status: typeof phase === "string" ? { phase } : undefined
  }) as unknown as SlimPod
}

/** Why a pod did not miss injection (a pod chain reason code, or one of the extra checks here). @category models */
export type FineReason = "Terminating" | "Completed" | "Annotated" | "NoFeatureOn" | string

/** The verdict for one pod. @category models */
export type Assessment =
  | { readonly _tag: "Fine"; readonly reason: FineReason; readonly message: string }
  | { readonly _tag: "Missed"; readonly features: ReadonlyArray<"oneAgent" | "metadata" | "otlp"> }

/** What was looked up for a pod. @category models */
export interface Facts {
  readonly settings: InjectionPolicy.Settings
  readonly pod: SlimPod
  readonly namespace: Option.Option<Namespace>
  readonly dynakube: Option.Option<DynaKube>
}

const fine = (reason: FineReason, message: string): Assessment => ({ _tag: "Fine", reason, message })

/** The webhook's view of a slim pod (the schema keeps unknown keys, so the slim object fits as it is). */
const asPod = (pod: SlimPod): Pod => pod as unknown as Pod

/** Whether the pod missed injection. @category evaluation */
export const assess = (facts: Facts): Assessment => {
  const { pod } = facts
  if (pod.metadata.deletionTimestamp !== undefined) return fine("Terminating", "The pod is terminating.")
  const phase = pod.status?.phase
  if (phase === "Succeeded" || phase === "Failed") return fine("Completed", `The pod has ${phase.toLowerCase()}.`)
  if (pod.metadata.annotations?.[Keys.output.dynakube.injected] !== undefined) {
    return fine("Annotated", "The webhook has evaluated the pod.")
  }
  const decision = InjectionPolicy.decide({
    settings: facts.settings,
    pod: asPod(pod),
    namespace: facts.namespace,
    dynakube: facts.dynakube
  })
  if (decision._tag === "Skip") return fine(decision.reason, decision.message)
  const features = (["oneAgent", "metadata", "otlp"] as const).filter((f) => InjectionPolicy.isOn(decision[f]))
  return features.length === 0
    ? fine("NoFeatureOn", "The webhook would inject nothing into the pod.")
    : { _tag: "Missed", features }
}

// ---------------------------------------------------------------------------------------------------------------
// workloads

/** The kinds a restart can roll (as `kubectl rollout restart`). @category workloads */
export type RestartableKind = "Deployment" | "StatefulSet" | "DaemonSet"

/** The workload a pod belongs to, as far as the pod itself tells. @category workloads */
export type PodOwner =
  | { readonly _tag: "ReplicaSet"; readonly name: string }
  | { readonly _tag: "Workload"; readonly kind: RestartableKind; readonly name: string }
  | { readonly _tag: "Other"; readonly kind: string; readonly name: string }

const restartable = (kind: string): kind is RestartableKind =>
  kind === "Deployment" || kind === "StatefulSet" || kind === "DaemonSet"

/** The controlling owner reference of an object, if any. @category workloads */
export const controllerOwner = (
  meta: Pick<ObjectMeta, "ownerReferences" | "name"> | undefined
): Option.Option<{ readonly apiVersion: string; readonly kind: string; readonly name: string }> =>
  Option.fromUndefinedOr(meta?.ownerReferences?.find((o) => o.controller === true))

/** The owner of a pod: a ReplicaSet to follow, a workload, or anything else (a Job, none: a bare pod). @category workloads */
export const podOwner = (pod: SlimPod): PodOwner =>
  Option.match(controllerOwner(pod.metadata), {
    onNone: () => ({ _tag: "Other", kind: "Pod", name: pod.metadata.name ?? "" }),
    onSome: (o): PodOwner =>
      o.apiVersion === "apps/v1" && o.kind === "ReplicaSet"
        ? { _tag: "ReplicaSet", name: o.name }
        : o.apiVersion === "apps/v1" && restartable(o.kind)
          ? { _tag: "Workload", kind: o.kind, name: o.name }
          : { _tag: "Other", kind: o.kind, name: o.name }
  })

/** A workload as reported: `deployment/shop`. @category workloads */
export interface WorkloadRef {
  readonly kind: string
  readonly name: string
  readonly restartable: boolean
}

/** The workload a ReplicaSet belongs to: its controlling Deployment, else the ReplicaSet itself. @category workloads */
export const replicaSetWorkload = (replicaSetName: string, replicaSet: KubeObject | undefined): WorkloadRef =>
  Option.match(controllerOwner(replicaSet?.metadata), {
    onNone: () => ({ kind: "ReplicaSet", name: replicaSetName, restartable: false }),
    onSome: (o) =>
      o.apiVersion === "apps/v1" && o.kind === "Deployment"
        ? { kind: "Deployment", name: o.name, restartable: true }
        : { kind: "ReplicaSet", name: replicaSetName, restartable: false }
  })

/** `deployment/shop`. @category workloads */
export const workloadLabel = (w: Pick<WorkloadRef, "kind" | "name">): string => `${w.kind.toLowerCase()}/${w.name}`

/** The Event note for missed pods of one workload. @category messages */
export const missedNote = (count: number, workload: WorkloadRef, namespace: string): string =>
  `${count} ${count === 1 ? "pod" : "pods"} of ${workloadLabel(workload)} in namespace ${namespace} missed injection; ` +
  (workload.restartable ? "restart the workload" : "recreate the pods")

/** The Event note for pods still missing injection after a restart. @category messages */
export const stillMissingNote = (count: number, workload: WorkloadRef, namespace: string): string =>
  `${count} ${count === 1 ? "pod" : "pods"} of ${workloadLabel(workload)} in namespace ${namespace} still missing ` +
  "injection after a restart — is the webhook running?"

/** The Event note of a restart. @category messages */
export const restartedNote = (count: number, workload: WorkloadRef, namespace: string): string =>
  `Restarted ${workloadLabel(workload)} in namespace ${namespace}: ${count} ${count === 1 ? "pod" : "pods"} missed injection`
