/**
 * What goes into the support archive (spec §7 `support-archive`), read from the cluster. Every step that fails is
 * noted in `support-archive.log` and the others go on: an archive with a gap is better than none.
 *
 * | file | content |
 * |---|---|
 * | `operator-version.txt` | this binary's version; the running operator Deployment's version label and image |
 * | `kubernetes-version.txt` | the apiserver's `/version` |
 * | `troubleshoot.txt` | the `troubleshoot` report for the namespace |
 * | `manifests/<ns>/<plural>/<name>.yaml` | the namespace, DynaKubes, EdgeConnects, and our workloads and their objects in the operator namespace: Deployments, DaemonSets, StatefulSets, ReplicaSets, Pods, Services, ServiceAccounts, ConfigMaps, Secrets (redacted) |
 * | `manifests/injected-namespaces/<ns>/…` | namespaces a DynaKube monitors (label `dynakube.internal.dynatrace.com/instance`) and the Secrets replicated into them (redacted) |
 * | `manifests/cluster/<plural>/<name>.yaml` | webhook configurations `dynatrace-webhook`, the DynaKube and EdgeConnect CRDs |
 * | `events/<ns>.yaml` | the newest `--num-events` Events of the namespace |
 * | `logs/<pod>/<container>.log` (`.previous.log`) | container logs; `--managed-logs=false` leaves out the pods the operator deploys for DynaKubes; a log that cannot be fetched is `…unavailable.txt` with the reason |
 * | `support-archive.log` | what was collected and what was not, and why |
 *
 * Secrets are redacted structurally and by value (`Redaction.ts`); the scrubber learns every Secret value this
 * collector reads, so it must see them before anything is written.
 *
 * @since 0.1.0
 */
import { type Duration, Effect, Option, Ref } from "effect"
import { stringify } from "yaml"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import type { Resource } from "../../services/kube/Resource.ts"
import { apiVersion } from "../../services/kube/Resource.ts"
import * as Resources from "../../services/kube/Resources.ts"
import * as Names from "../operator/dynakube/Names.ts"
import * as Report from "../troubleshoot/Report.ts"
import * as Troubleshoot from "../troubleshoot/Troubleshoot.ts"
import type { Entry } from "./Archive.ts"
import { PodLogs } from "./PodLogs.ts"
import * as Redaction from "./Redaction.ts"

/** @category models @since 0.1.0 */
export interface CollectOptions {
  readonly namespace: string
  readonly operatorVersion: string
  /** Newest Events to keep (the original's `--num-events`, default 300). */
  readonly numEvents: number
  /** Include the logs of the pods the operator deploys for DynaKubes (default true). */
  readonly managedLogs: boolean
  readonly hostAvailabilityDetection: boolean
  readonly kubemonOperand: boolean
  /** Per container log read (default 60 s). */
  readonly logTimeout?: Duration.Input | undefined
}

/** What was collected: files (not yet scrubbed), the secret values seen, and the notes for the log. @category models @since 0.1.0 */
export interface Collected {
  readonly entries: ReadonlyArray<Entry>
  readonly secretValues: ReadonlyArray<string>
  readonly notes: ReadonlyArray<string>
}

/** Namespaced kinds collected from the operator namespace, in this order. @category constants @since 0.1.0 */
export const namespacedKinds: ReadonlyArray<Resource> = [
  Resources.DynaKube,
  Resources.EdgeConnect,
  Resources.Deployment,
  Resources.DaemonSet,
  Resources.StatefulSet,
  Resources.ReplicaSet,
  Resources.Pod,
  Resources.Service,
  Resources.ServiceAccount,
  Resources.ConfigMap,
  Resources.Secret
]

/** YAML of one redacted manifest, with apiVersion and kind (list items lack them). @category rendering @since 0.1.0 */
export const manifestYaml = (resource: Resource, object: KubeObject): string =>
  stringify(
    Redaction.redactObject({
      apiVersion: object.apiVersion ?? apiVersion(resource),
      kind: object.kind ?? resource.kind,
      ...object
    }),
    { lineWidth: 0, aliasDuplicateObjects: false }
  )

interface Event extends KubeObject {
  readonly lastTimestamp?: string | null
  readonly eventTime?: string | null
  readonly firstTimestamp?: string | null
}

const eventTime = (e: Event) =>
  Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? "") || 0

/** The newest `count` events, newest first. @category selecting @since 0.1.0 */
export const newestEvents = <E extends Event>(events: ReadonlyArray<E>, count: number): ReadonlyArray<E> =>
  events.toSorted((a, b) => eventTime(b) - eventTime(a)).slice(0, Math.max(0, count))

interface Pod extends KubeObject {
  readonly spec?: {
    readonly containers?: ReadonlyArray<{ readonly name: string }>
    readonly initContainers?: ReadonlyArray<{ readonly name: string }>
  }
  readonly status?: {
    readonly containerStatuses?: ReadonlyArray<{ readonly name: string; readonly restartCount?: number }>
    readonly initContainerStatuses?: ReadonlyArray<{ readonly name: string; readonly restartCount?: number }>
  }
}

/** Pods the operator deploys for a DynaKube or EdgeConnect (OneAgent, ActiveGate, …), not our own components. @category selecting @since 0.1.0 */
export const isManagedPod = (pod: KubeObject): boolean =>
  pod.metadata?.labels?.[Names.labelKeys.managedBy] === Names.fieldManager

/** Every container of a pod with whether it restarted (then its previous log is worth having). @category selecting @since 0.1.0 */
export const containersOf = (pod: Pod): ReadonlyArray<{ readonly name: string; readonly restarted: boolean }> => {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => ({
    name: c.name,
    restarted: (statuses.find((s) => s.name === c.name)?.restartCount ?? 0) > 0
  }))
}

const reasonOf = (e: { readonly message: string }) => e.message

/**
 * Reads everything; never fails (a failed read becomes a note).
 * @category collecting
 * @since 0.1.0
 */
export const collect = Effect.fn("SupportArchive.collect")(function* (options: CollectOptions) {
  const kube = yield* KubeClient
  const logs = yield* PodLogs
  const ns = options.namespace
  const entries: Array<Entry> = []
  const secrets: Array<string> = []
  const notes = yield* Ref.make<ReadonlyArray<string>>([])
  const note = (text: string) => Ref.update(notes, (all) => [...all, text])
  const add = (path: string, content: string) => Effect.sync(() => void entries.push({ path, content }))
  const learnSecret = (object: KubeObject) => {
    if ((object.kind ?? "Secret") === "Secret") secrets.push(...Redaction.secretValues(object))
  }

  // Versions
  const deployment = yield* kube
    .get<KubeObject & { spec?: { template?: { spec?: { containers?: ReadonlyArray<{ image?: string }> } } } }>(
      Resources.Deployment,
      "dynatrace-operator",
      { namespace: ns }
    )
    .pipe(Effect.option)
  const running = Option.map(deployment, (d) => ({
    version: d.metadata?.labels?.[Names.labelKeys.version],
    image: d.spec?.template?.spec?.containers?.[0]?.image
  }))
  yield* add(
    "operator-version.txt",
    [
      `support-archive: dynatrace-operator ${options.operatorVersion}`,
      Option.match(running, {
        onNone: () => `operator Deployment ${ns}/dynatrace-operator: not found`,
        onSome: (r) =>
          `operator Deployment ${ns}/dynatrace-operator: version ${r.version ?? "unknown"}, image ${r.image ?? "unknown"}`
      })
    ].join("\n") + "\n"
  )
  yield* kube.version.pipe(
    Effect.flatMap((v) => add("kubernetes-version.txt", stringify(v))),
    Effect.catch((e) => note(`Kubernetes version: not available: ${reasonOf(e)}`))
  )

  // Troubleshoot
  const report = yield* Troubleshoot.run({
    namespace: ns,
    operatorVersion: options.operatorVersion,
    hostAvailabilityDetection: options.hostAvailabilityDetection,
    kubemonOperand: options.kubemonOperand
  })
  yield* add("troubleshoot.txt", `${Report.toText(report)}\n`)

  // The namespace and what lives in it
  yield* kube.get(Resources.Namespace, ns).pipe(
    Effect.flatMap((namespace) => add(`manifests/${ns}/namespace.yaml`, manifestYaml(Resources.Namespace, namespace))),
    Effect.catch((e) => note(`namespace ${ns}: not available: ${reasonOf(e)}`))
  )
  const pods: Array<Pod> = []
  for (const resource of namespacedKinds) {
    const listed = yield* kube.listAll<KubeObject>(resource, { namespace: ns }).pipe(Effect.result)
    if (listed._tag === "Failure") {
      yield* note(`${resource.plural} in ${ns}: not available: ${reasonOf(listed.failure)}`)
      continue
    }
    for (const item of listed.success.items) {
      const object = { ...item, kind: resource.kind }
      if (resource === Resources.Secret) learnSecret(object)
      if (resource === Resources.Pod) pods.push(object as Pod)
      yield* add(
        `manifests/${ns}/${resource.plural}/${item.metadata?.name ?? "unnamed"}.yaml`,
        manifestYaml(resource, item)
      )
    }
  }

  // Namespaces monitored by DynaKubes, and the Secrets replicated into them
  const injected = yield* kube
    .listAll<KubeObject>(Resources.Namespace, { labelSelector: Names.instanceLabel })
    .pipe(Effect.result)
  if (injected._tag === "Failure") {
    yield* note(`monitored namespaces: not available: ${reasonOf(injected.failure)}`)
  } else {
    for (const namespace of injected.success.items) {
      const name = namespace.metadata?.name ?? ""
      yield* add(`manifests/injected-namespaces/${name}/namespace.yaml`, manifestYaml(Resources.Namespace, namespace))
      for (const secretName of Names.replicatedSecrets) {
        yield* kube.get<KubeObject>(Resources.Secret, secretName, { namespace: name }).pipe(
          Effect.flatMap((secret) => {
            learnSecret({ ...secret, kind: "Secret" })
            return add(
              `manifests/injected-namespaces/${name}/secrets/${secretName}.yaml`,
              manifestYaml(Resources.Secret, secret)
            )
          }),
          Effect.catchReason("KubeApiError", "NotFound", () => Effect.void),
          Effect.catch((e) => note(`Secret ${name}/${secretName}: not available: ${reasonOf(e)}`))
        )
      }
    }
  }

  // Cluster-scoped objects of ours
  const clusterObjects: ReadonlyArray<readonly [Resource, string]> = [
    [Resources.MutatingWebhookConfiguration, "dynatrace-webhook"],
    [Resources.ValidatingWebhookConfiguration, "dynatrace-webhook"],
    [Resources.CustomResourceDefinition, "dynakubes.dynatrace.com"],
    [Resources.CustomResourceDefinition, "edgeconnects.dynatrace.com"]
  ]
  for (const [resource, name] of clusterObjects) {
    yield* kube.get<KubeObject>(resource, name).pipe(
      Effect.flatMap((object) =>
        add(`manifests/cluster/${resource.plural}/${name}.yaml`, manifestYaml(resource, object))
      ),
      Effect.catch((e) => note(`${resource.kind} ${name}: not available: ${reasonOf(e)}`))
    )
  }

  // Events
  yield* kube.listAll<Event>(Resources.Event, { namespace: ns }).pipe(
    Effect.flatMap((list) => {
      const newest = newestEvents(list.items, options.numEvents)
      return add(
        `events/${ns}.yaml`,
        stringify(
          { apiVersion: "v1", kind: "EventList", items: newest },
          { lineWidth: 0, aliasDuplicateObjects: false }
        )
      ).pipe(Effect.andThen(note(`events of ${ns}: ${newest.length} of ${list.items.length}`)))
    }),
    Effect.catch((e) => note(`events of ${ns}: not available: ${reasonOf(e)}`))
  )

  // Logs
  const logPods = options.managedLogs ? pods : pods.filter((pod) => !isManagedPod(pod))
  const reads = logPods.flatMap((pod) =>
    containersOf(pod).flatMap((container) => [
      { pod: pod.metadata?.name ?? "", container: container.name, previous: false },
      ...(container.restarted ? [{ pod: pod.metadata?.name ?? "", container: container.name, previous: true }] : [])
    ])
  )
  yield* Effect.forEach(
    reads,
    (r) => {
      const file = `logs/${r.pod}/${r.container}${r.previous ? ".previous" : ""}`
      return logs.read(ns, r.pod, { container: r.container, previous: r.previous, timeout: options.logTimeout }).pipe(
        Effect.flatMap((text) => add(`${file}.log`, text)),
        Effect.catch((e) =>
          add(`${file}.unavailable.txt`, `The log could not be fetched: ${reasonOf(e)}\n`).pipe(
            Effect.andThen(
              note(
                `logs of ${ns}/${r.pod} ${r.container}${r.previous ? " (previous)" : ""}: not available: ${reasonOf(e)}`
              )
            )
          )
        )
      )
    },
    { concurrency: 4, discard: true }
  )
  if (!options.managedLogs) yield* note("logs of managed pods: left out (--managed-logs=false)")

  const collected: Collected = { entries, secretValues: secrets, notes: yield* Ref.get(notes) }
  return collected
})
