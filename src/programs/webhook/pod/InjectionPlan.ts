/**
 * From a decision to a pod (spec §3.2–3.6): the injection handler, then the OTLP handler, as one pure function of
 * the decision and what was looked up. The result is the mutated pod and an outcome (reason code, message, Events);
 * the caller turns the pod into a JSON patch against the raw request object.
 *
 * Injection handler (only when the DynaKube injects OneAgent or enriches metadata):
 * - without `dynatrace-bootstrapper-config` in the namespace: `dynakube.dynatrace.com/injected: "false"`,
 *   reason `NoBootstrapperConfig`;
 * - with the init container already present (re-invocation, §3.6): containers that appeared since get their mounts,
 *   env and `--attribute-container` arg; nothing is added twice;
 * - otherwise: features that are refused are annotated (`oneagent.dynatrace.com/reason: DynaKubeStatusNotReady`, …);
 *   with no feature left, `NoMutationNeeded`; else volumes, the init container (last), container changes and the
 *   result annotations. A volume name clash (`ConflictingVolumeType`) or metadata over the size limit is a
 *   "mutator error": the pod keeps nothing but that error's annotations, and the OTLP handler does not run.
 *
 * OTLP handler: env vars per container (`Otlp.ts`), or `NoOTLPExporterConfigSecret` when the token Secret is missing.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import type { Container, Pod } from "../../../schemas/Pod.ts"
import * as DynaKubeInjection from "../DynaKubeInjection.ts"
import * as FeatureFlags from "../FeatureFlags.ts"
import * as Keys from "../Keys.ts"
import * as Attributes from "./Attributes.ts"
import * as Containers from "./Containers.ts"
import * as InitContainer from "./InitContainer.ts"
import * as InjectionPolicy from "./InjectionPolicy.ts"
import * as Otlp from "./Otlp.ts"
import * as Volumes from "./Volumes.ts"

const { Reason } = Keys

/** What was looked up after deciding. @category models @since 0.1.0 */
export interface Resources {
  /** `dynatrace-bootstrapper-config` is (now) in the pod's namespace */
  readonly bootstrapperConfig: boolean
  /** the pod's top-most owner, when looked up and found */
  readonly workload: Attributes.Workload | undefined
  /** the owner lookup was needed and failed */
  readonly ownerLookupFailed: boolean
  /** `dynatrace-otlp-exporter-config` is (now) in the pod's namespace */
  readonly otlpConfig: boolean
  /** `dynatrace-otlp-exporter-certs` is (now) in the pod's namespace */
  readonly otlpCerts: boolean
}

/** An Event to record on the pod. @category models @since 0.1.0 */
export interface PodEvent {
  readonly type: "Normal" | "Warning"
  readonly reason: string
  readonly message: string
}

/** What happened, for the response message, logs and metrics. @category models @since 0.1.0 */
export interface Outcome {
  /** `Injected`, `Updated`, `Unchanged`, or the reason code why not */
  readonly reason: string
  readonly message: string
  readonly events: ReadonlyArray<PodEvent>
}

/** The plan's result. @category models @since 0.1.0 */
export interface Planned {
  readonly pod: Pod
  readonly outcome: Outcome
}

/** Annotation changes: a value sets, `undefined` removes. @category annotations @since 0.1.0 */
export type AnnotationChanges = ReadonlyMap<string, string | undefined>

/** Applies annotation changes (the pod object is kept when nothing changes). @category annotations @since 0.1.0 */
export const annotate = (pod: Pod, changes: AnnotationChanges): Pod => {
  const current = pod.metadata.annotations
  let next: Record<string, string> | undefined
  for (const [key, value] of changes) {
    if (current?.[key] === value) continue
    if (value === undefined && (current === undefined || !(key in current))) continue
    next ??= { ...current }
    if (value === undefined) delete next[key]
    else next[key] = value
  }
  return next === undefined ? pod : { ...pod, metadata: { ...pod.metadata, annotations: next } }
}

const notInjected = (changes: Map<string, string | undefined>, keys: Keys.ResultKeys, reason: string) => {
  changes.set(keys.injected, "false")
  changes.set(keys.reason, reason)
}

const injected = (changes: Map<string, string | undefined>, keys: Keys.ResultKeys) => {
  changes.set(keys.injected, "true")
  changes.set(keys.reason, undefined)
}

const splitMounts = (a: InjectionPolicy.Admitted): boolean =>
  FeatureFlags.bool(a.pod.metadata.annotations, Keys.input.splitMounts, false) ||
  DynaKubeInjection.isClassicFullStack(a.dynakube)

const oneAgentChanges = (a: InjectionPolicy.Admitted, installPath: string): Containers.OneAgentChanges => {
  const dk = a.dynakube
  const tech =
    DynaKubeInjection.appInjectionMode(dk) === "cloudNativeFullStack"
      ? "cloud_native_fullstack"
      : "application_monitoring"
  return {
    installPath,
    deploymentMetadata: `orchestration_tech=Operator-${tech};script_version=${a.settings.operatorVersion};orchestrator_id=${dk.status?.kubeSystemUUID ?? ""}`,
    networkZone: dk.spec.networkZone,
    release: FeatureFlags.labelVersionDetection(dk.metadata?.annotations)
      ? Containers.releaseEnv(a.namespace.metadata.annotations)
      : []
  }
}

const mapInjectable = (
  a: InjectionPolicy.Admitted,
  containers: ReadonlyArray<Container>,
  f: (c: Container) => Container
): ReadonlyArray<Container> => {
  let changed = false
  const result = containers.map((c) => {
    if (InjectionPolicy.isExcluded(a.pod, a.dynakube, c)) return c
    const next = f(c)
    if (next !== c) changed = true
    return next
  })
  return changed ? result : containers
}

const withContainers = (pod: Pod, containers: ReadonlyArray<Container>): Pod =>
  containers === pod.spec.containers ? pod : { ...pod, spec: { ...pod.spec, containers } }

interface Step {
  readonly pod: Pod
  readonly changes: Map<string, string | undefined>
  readonly outcome: Outcome
  /** a mutator error: nothing else may run */
  readonly final: boolean
}

const outcome = (reason: string, message: string, events: ReadonlyArray<PodEvent> = []): Outcome => ({
  reason,
  message,
  events
})

const argValue = (args: ReadonlyArray<string> | undefined, name: string): string | undefined =>
  args?.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1)

/** §3.6: containers added since the first injection get what the others got. */
const reinvoke = (a: InjectionPolicy.Admitted): Step => {
  const pod = a.pod
  const changes = new Map<string, string | undefined>()
  const initContainers = pod.spec.initContainers ?? []
  const init = initContainers.find((c) => c.name === Keys.names.initContainer)
  const hasVolume = (name: string) => (pod.spec.volumes ?? []).some((v) => v.name === name)
  const injectedPath = argValue(init?.args, "--install-path")
  // What the first injection did, read from the pod itself; a mount is only ever added for a volume that exists.
  const oneAgentInjected = injectedPath !== undefined && hasVolume(Keys.names.binVolume)
  const configVolume = hasVolume(Keys.names.configVolume)
  const metadataInjected = pod.metadata.annotations?.[Keys.output.metadata.injected] === "true"
  const installPath = injectedPath ?? InjectionPolicy.installPath(pod)
  const split = splitMounts(a)
  const oneAgent = oneAgentInjected ? oneAgentChanges(a, installPath) : undefined

  const containers = mapInjectable(a, pod.spec.containers, (c) =>
    Containers.inject(c, {
      config: configVolume && !Containers.hasConfigMount(c),
      split,
      metadata: metadataInjected,
      oneAgent: oneAgent !== undefined && !Containers.hasOneAgent(c) ? oneAgent : undefined
    })
  )
  const listed = new Set((init?.args ?? []).map(Attributes.containerOfArg).filter((n) => n !== undefined))
  const newArgs = InjectionPolicy.injectableContainers(pod, a.dynakube)
    .filter((c) => !listed.has(c.name))
    .map(InitContainer.containerArg)
  const nextInit =
    init === undefined || newArgs.length === 0
      ? initContainers
      : initContainers.map((c) => (c === init ? { ...c, args: [...(c.args ?? []), ...newArgs] } : c))

  if (containers === pod.spec.containers && nextInit === initContainers) {
    return { pod, changes, outcome: outcome("Unchanged", "The pod is injected already."), final: false }
  }
  injected(changes, Keys.output.dynakube)
  const names = pod.spec.containers.filter((c, i) => c !== containers[i]).map((c) => c.name)
  const message = `Updated the pod for the containers added since injection: ${names.join(", ") || "(arguments only)"}.`
  return {
    pod: { ...pod, spec: { ...pod.spec, containers, initContainers: nextInit } },
    changes,
    outcome: outcome("Updated", message, [{ type: "Normal", reason: "UpdatePod", message }]),
    final: false
  }
}

const mutatorError = (pod: Pod, keys: Keys.ResultKeys, reason: string, code: string, message: string): Step => {
  const changes = new Map<string, string | undefined>()
  notInjected(changes, keys, reason)
  return { pod, changes, outcome: outcome(code, message), final: true }
}

const fresh = (d: Extract<InjectionPolicy.Decision, { _tag: "Evaluate" }>, r: Resources): Step => {
  const a = d.admitted
  const { pod, dynakube: dk, settings } = a
  const changes = new Map<string, string | undefined>()
  const oneAgentOn = InjectionPolicy.isOn(d.oneAgent)
  let metadataOn = InjectionPolicy.isOn(d.metadata)
  if (d.oneAgent._tag === "Refused") notInjected(changes, Keys.output.oneAgent, d.oneAgent.reason)
  if (metadataOn && r.ownerLookupFailed) {
    metadataOn = false
    notInjected(changes, Keys.output.metadata, Reason.OwnerLookupFailed)
  }
  if (!oneAgentOn && !metadataOn) {
    notInjected(changes, Keys.output.dynakube, Reason.NoMutationNeeded)
    const why = d.oneAgent._tag === "Off" ? "" : ` (${d.oneAgent._tag === "Refused" ? d.oneAgent.message : ""})`
    return {
      pod,
      changes,
      outcome: outcome(Reason.NoMutationNeeded, `Neither OneAgent nor metadata enrichment applies to the pod${why}.`),
      final: false
    }
  }

  const delivery = InjectionPolicy.delivery(settings, pod, dk)
  const dkName = DynaKubeInjection.nameOf(dk)
  const volumes = [
    Volumes.inputVolume(),
    Volumes.configVolume(pod),
    ...(oneAgentOn
      ? [Volumes.binVolume(pod, delivery, dkName, FeatureFlags.maxCsiMountTimeout(dk.metadata?.annotations))]
      : [])
  ]
  const clash = Volumes.conflict(pod, volumes)
  if (Option.isSome(clash)) {
    return mutatorError(
      pod,
      clash.value.keys,
      Reason.ConflictingVolumeType,
      Reason.ConflictingVolumeType,
      clash.value.message
    )
  }

  const attributeInput = {
    pod,
    namespace: a.namespace,
    dynakube: dk,
    workload: r.workload,
    oneAgentInjects: oneAgentOn
  }
  if (metadataOn && pod.metadata.annotations?.[Keys.output.metadataJson] === undefined) {
    const json = Attributes.toJson(Attributes.enrichment(attributeInput))
    const size = Buffer.byteLength(json)
    if (size > settings.metadataSizeLimit) {
      const message = `The metadata annotation of ${size} bytes exceeds the limit of ${settings.metadataSizeLimit} bytes (DT_METADATA_SIZE_LIMIT).`
      return mutatorError(pod, Keys.output.dynakube, message, Reason.MetadataTooLarge, message)
    }
    changes.set(Keys.output.metadataJson, json)
  }

  const installPath = InjectionPolicy.installPath(pod)
  const targets = InjectionPolicy.injectableContainers(pod, dk)
  const init = InitContainer.build({
    settings,
    pod,
    dynakube: dk,
    oneAgent: oneAgentOn,
    metadata: metadataOn,
    delivery,
    installPath,
    attributes: Attributes.podAttributes(attributeInput),
    containers: targets
  })
  const split = splitMounts(a)
  const oneAgent = oneAgentOn ? oneAgentChanges(a, installPath) : undefined
  const containers = mapInjectable(a, pod.spec.containers, (c) =>
    Containers.inject(c, { config: true, split, metadata: metadataOn, oneAgent })
  )

  injected(changes, Keys.output.dynakube)
  if (oneAgentOn) injected(changes, Keys.output.oneAgent)
  if (metadataOn) injected(changes, Keys.output.metadata)
  const features = [oneAgentOn ? "OneAgent" : undefined, metadataOn ? "metadata enrichment" : undefined]
    .filter((f) => f !== undefined)
    .join(" and ")
  const message = `Injected ${features} into containers ${targets.map((c) => c.name).join(", ")}.`
  return {
    pod: {
      ...pod,
      spec: {
        ...pod.spec,
        containers,
        initContainers: [...(pod.spec.initContainers ?? []), init],
        volumes: Volumes.add(pod.spec.volumes, volumes)
      }
    },
    changes,
    outcome: outcome("Injected", message, [{ type: "Normal", reason: "Inject", message }]),
    final: false
  }
}

const injection = (d: Extract<InjectionPolicy.Decision, { _tag: "Evaluate" }>, r: Resources): Step | undefined => {
  const dk = d.admitted.dynakube
  if (!DynaKubeInjection.oneAgentInjectionEnabled(dk) && !DynaKubeInjection.metadataEnrichmentEnabled(dk))
    return undefined
  if (!r.bootstrapperConfig) {
    const changes = new Map<string, string | undefined>()
    notInjected(changes, Keys.output.dynakube, Reason.NoBootstrapperConfig)
    return {
      pod: d.admitted.pod,
      changes,
      outcome: outcome(
        Reason.NoBootstrapperConfig,
        `Secret ${Keys.names.bootstrapperConfigSecret} is missing in the namespace and could not be copied from ${Keys.sourceSecret.bootstrapperConfig(DynaKubeInjection.nameOf(dk))}.`
      ),
      final: false
    }
  }
  return InjectionPolicy.isInjected(d.admitted.pod) ? reinvoke(d.admitted) : fresh(d, r)
}

const otlp = (
  d: Extract<InjectionPolicy.Decision, { _tag: "Evaluate" }>,
  r: Resources,
  pod: Pod,
  changes: Map<string, string | undefined>
): { readonly pod: Pod; readonly outcome: Outcome | undefined } => {
  if (!InjectionPolicy.isOn(d.otlp)) return { pod, outcome: undefined }
  const a = d.admitted
  if (!r.otlpConfig) {
    notInjected(changes, Keys.output.otlp, Reason.NoOTLPExporterConfigSecret)
    return {
      pod,
      outcome: outcome(
        Reason.NoOTLPExporterConfigSecret,
        `Secret ${Keys.names.otlpConfigSecret} is missing in the namespace.`
      )
    }
  }
  const attributes = Attributes.podAttributes({
    pod: a.pod,
    namespace: a.namespace,
    dynakube: a.dynakube,
    workload: r.workload,
    oneAgentInjects: false
  })
  const s = Otlp.settings(a.dynakube, attributes, r.otlpCerts)
  const containers = mapInjectable(a, pod.spec.containers, (c) => Otlp.inject(c, s))
  if (containers === pod.spec.containers) return { pod, outcome: undefined }
  injected(changes, Keys.output.otlp)
  const next = withContainers(pod, containers)
  return {
    pod: s.certificates
      ? { ...next, spec: { ...next.spec, volumes: Volumes.add(next.spec.volumes, [Otlp.certsVolume()]) } }
      : next,
    outcome: outcome("Injected", "Injected the OTLP exporter configuration.")
  }
}

/**
 * The pod after both handlers, for an `Evaluate` decision.
 * @category planning
 * @since 0.1.0
 */
export const plan = (d: Extract<InjectionPolicy.Decision, { _tag: "Evaluate" }>, r: Resources): Planned => {
  const step = injection(d, r)
  if (step?.final === true) return { pod: annotate(d.admitted.pod, step.changes), outcome: step.outcome }
  const changes = step?.changes ?? new Map<string, string | undefined>()
  const afterInjection = step?.pod ?? d.admitted.pod
  const afterOtlp = otlp(d, r, afterInjection, changes)
  const result =
    step !== undefined && step.outcome.reason !== "Unchanged"
      ? step.outcome
      : (afterOtlp.outcome ?? step?.outcome ?? outcome("Unchanged", "Nothing to inject."))
  return { pod: annotate(afterOtlp.pod, changes), outcome: result }
}
