/**
 * What `explain` previews: a pod, or the pod a workload would create. A workload's pod is its template as a Pod
 * (the template's metadata and spec, the workload's namespace, `generateName: <workload>-` and the workload as its
 * controlling owner), which is what the apiserver hands the webhook when the workload's controller creates a pod,
 * before defaulting. Nothing here talks to the cluster.
 *
 * @since 0.1.0
 */
import { Option, Result, Schema } from "effect"
import * as InjectionContext from "../webhook/InjectionContext.ts"
import type { Workload } from "../webhook/pod/Attributes.ts"
import type { Resource } from "../../services/kube/Resource.ts"
import * as Resources from "../../services/kube/Resources.ts"

/** A target that cannot be previewed. @category errors @since 0.1.0 */
export class TargetError extends Schema.TaggedError<TargetError>()("TargetError", {
  message: Schema.String
}) {}

/** A kind `explain` accepts, with the path of its pod template. @category models @since 0.1.0 */
export interface Kind {
  readonly kind: string
  readonly resource: Resource
  /** keys from the object to its pod template; empty for a Pod */
  readonly template: ReadonlyArray<string>
}

const owner = (apiVersionKind: string): Resource => {
  const res = InjectionContext.workloadResources[apiVersionKind]
  if (res === undefined) throw new Error(`no resource for ${apiVersionKind}`)
  return res
}

const kinds: ReadonlyArray<{ readonly names: ReadonlyArray<string> } & Kind> = [
  { names: ["pod", "pods", "po"], kind: "Pod", resource: Resources.Pod, template: [] },
  {
    names: ["deployment", "deployments", "deploy"],
    kind: "Deployment",
    resource: Resources.Deployment,
    template: ["spec", "template"]
  },
  {
    names: ["statefulset", "statefulsets", "sts"],
    kind: "StatefulSet",
    resource: Resources.StatefulSet,
    template: ["spec", "template"]
  },
  {
    names: ["daemonset", "daemonsets", "ds"],
    kind: "DaemonSet",
    resource: Resources.DaemonSet,
    template: ["spec", "template"]
  },
  {
    names: ["replicaset", "replicasets", "rs"],
    kind: "ReplicaSet",
    resource: Resources.ReplicaSet,
    template: ["spec", "template"]
  },
  { names: ["job", "jobs"], kind: "Job", resource: Resources.Job, template: ["spec", "template"] },
  {
    names: ["cronjob", "cronjobs", "cj"],
    kind: "CronJob",
    resource: owner("batch/v1/CronJob"),
    template: ["spec", "jobTemplate", "spec", "template"]
  },
  {
    names: ["replicationcontroller", "replicationcontrollers", "rc"],
    kind: "ReplicationController",
    resource: owner("v1/ReplicationController"),
    template: ["spec", "template"]
  },
  {
    names: ["deploymentconfig", "deploymentconfigs", "dc"],
    kind: "DeploymentConfig",
    resource: owner("apps.openshift.io/v1/DeploymentConfig"),
    template: ["spec", "template"]
  }
]

/** The kinds by every name `kubectl` knows them by (`deployment`, `deploy`, `deployments.apps`, ...). @category models @since 0.1.0 */
export const kindOf = (name: string): Option.Option<Kind> => {
  const lower = name.toLowerCase()
  const plain = lower.includes(".") ? lower.slice(0, lower.indexOf(".")) : lower
  return Option.fromUndefinedOr(kinds.find((k) => k.names.includes(plain) || k.kind.toLowerCase() === plain))
}

/** The names `explain` accepts, for messages. @category models @since 0.1.0 */
export const kindNames: ReadonlyArray<string> = kinds.map((k) => k.names[0]!)

/** A parsed `<kind>/<name>`. @category models @since 0.1.0 */
export interface Reference {
  readonly kind: Kind
  readonly name: string
}

/** Parses `<kind>/<name>` (`deployment/shop`, `deploy/shop`, `pod/web-0`). @category parsing @since 0.1.0 */
export const parseReference = (text: string): Option.Option<Reference> => {
  const slash = text.indexOf("/")
  if (slash <= 0 || slash === text.length - 1 || text.indexOf("/", slash + 1) !== -1) return Option.none()
  return Option.map(kindOf(text.slice(0, slash)), (kind) => ({ kind, name: text.slice(slash + 1) }))
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

/** The pod to admit and the workload it belongs to. @category models @since 0.1.0 */
export interface PodToAdmit {
  /** the pod object as the apiserver would send it (plain JSON) */
  readonly pod: Json
  readonly namespace: string
  readonly workload: Workload
  /** `Deployment/shop`, for the report */
  readonly describe: string
}

/**
 * The pod of an object (a Pod, or a workload's template). `namespace` is used when the object names none.
 * @category building
 * @since 0.1.0
 */
export const podOf = (object: unknown, namespace: string): Result.Result<PodToAdmit, TargetError> => {
  if (!isObject(object)) return fail("the manifest is not an object")
  const kindName = typeof object["kind"] === "string" ? object["kind"] : ""
  const kind = kindOf(kindName)
  if (Option.isNone(kind)) {
    return fail(
      `cannot explain a ${kindName === "" ? "manifest without kind" : kindName}: use one of ${kindNames.join(", ")}`
    )
  }
  const metadata = isObject(object["metadata"]) ? object["metadata"] : {}
  const name = typeof metadata["name"] === "string" ? metadata["name"] : ""
  const ns =
    typeof metadata["namespace"] === "string" && metadata["namespace"] !== "" ? metadata["namespace"] : namespace
  const describe = `${kind.value.kind}/${name === "" ? "(unnamed)" : name}`
  if (kind.value.template.length === 0) {
    const pod = { ...object, metadata: { ...metadata, namespace: ns } }
    return ok({ pod, namespace: ns, workload: workloadOfPod(pod), describe })
  }
  let template: unknown = object
  for (const key of kind.value.template) template = isObject(template) ? template[key] : undefined
  if (!isObject(template) || !isObject(template["spec"])) {
    return fail(`${describe} has no pod template at .${kind.value.template.join(".")}`)
  }
  // What the workload controllers copy from a template into the pods they create.
  const templateMetadata = isObject(template["metadata"]) ? template["metadata"] : {}
  const copied = Object.fromEntries(
    ["labels", "annotations", "finalizers"].flatMap((key) =>
      templateMetadata[key] === undefined ? [] : [[key, templateMetadata[key]]]
    )
  )
  const apiVersion =
    typeof object["apiVersion"] === "string"
      ? object["apiVersion"]
      : kind.value.resource.group === ""
        ? "v1"
        : `${kind.value.resource.group}/${kind.value.resource.version}`
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...copied,
      generateName: `${name}-`,
      namespace: ns,
      ownerReferences: [
        {
          apiVersion,
          kind: kind.value.kind,
          name,
          controller: true,
          ...(typeof metadata["uid"] === "string" ? { uid: metadata["uid"] } : {})
        }
      ]
    },
    spec: template["spec"]
  }
  return ok({ pod, namespace: ns, workload: { kind: kind.value.kind.toLowerCase(), name }, describe })
}

const workloadOfPod = (pod: Json): Workload => {
  const metadata = isObject(pod["metadata"]) ? pod["metadata"] : {}
  const refs = Array.isArray(metadata["ownerReferences"]) ? metadata["ownerReferences"] : []
  const ref = InjectionContext.primaryOwner(refs.filter(isObject) as never)
  if (ref !== undefined) return { kind: ref.kind.toLowerCase(), name: ref.name }
  // As the webhook names an ownerless pod (`InjectionContext.resolveWorkload`).
  const name = [metadata["name"], metadata["generateName"]].find((n): n is string => typeof n === "string") ?? ""
  return { kind: "pod", name }
}

const ok = (value: PodToAdmit): Result.Result<PodToAdmit, TargetError> => Result.succeed(value)
const fail = (message: string): Result.Result<PodToAdmit, TargetError> => Result.fail(new TargetError({ message }))
