/**
 * The Istio phases of a DynaKube reconcile (spec §2.2.1 step 1, §2.2.5 step 3, §2.2.9 step 1, §2.2.11): with
 * `spec.enableIstio`, ServiceEntries and VirtualServices that let the operator and the agents reach the tenant
 * from inside a mesh in `REGISTRY_ONLY` mode, one set per component:
 *
 * - `operator`: the API URL host (first phase, before the tokens: the operator needs it to talk to the tenant);
 * - `activegate`: the ActiveGate connection-info endpoints (when an ActiveGate is enabled);
 * - `oneagent`: the OneAgent communication endpoints (when code modules are injected).
 *
 * Conditions `IstioForOperator|ActiveGate|OneAgent`: True (`IstioFor<X>Changed`) once configured, False
 * (`IstioFor<X>Failed`) when it failed or when the cluster does not serve `networking.istio.io` (Istio not
 * installed: said in the message, the reconcile goes on). No hosts ⇒ the objects are deleted and the condition
 * removed. A component switched off (or `enableIstio` false) is cleaned up only when its condition says it was
 * configured, so a DynaKube without Istio makes no Istio requests at all.
 *
 * Istio objects are not watched (Istio may be installed or removed while the operator runs); each reconcile that
 * needs them lists the DynaKube's ServiceEntries and VirtualServices once (that list also tells whether Istio is
 * installed) and writes only what differs (ObjectSync's template hash): the steady state makes no writes.
 *
 * @since 0.1.0
 */
import { Effect, Option, Result } from "effect"
import type { KubeApiError } from "../../../../services/KubeApiError.ts"
import { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../../services/kube/Resource.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as Controller from "../../runtime/Controller.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import * as Names from "../Names.ts"
import {
  ComponentError,
  condition,
  type Phase,
  type ReconcileScope,
  removeCondition,
  setCondition
} from "../ReconcileScope.ts"
import * as CommunicationHost from "./CommunicationHost.ts"
import * as IstioObjects from "./IstioObjects.ts"

/** Condition name part per component (`IstioFor<Name>`). @since 0.1.0 */
export const conditionNames: Readonly<Record<IstioObjects.IstioComponent, string>> = {
  operator: "Operator",
  oneagent: "OneAgent",
  activegate: "ActiveGate"
}

/** The condition type of a component. @since 0.1.0 */
export const conditionType = (component: IstioObjects.IstioComponent): string => `IstioFor${conditionNames[component]}`

/** The condition type older releases used for the `oneagent` objects; renamed when found. @since 0.1.0 */
export const deprecatedOneAgentConditionType = "IstioForCodeModule"

/** @category reasons @since 0.1.0 */
export const reasons = {
  changed: (component: IstioObjects.IstioComponent) => `IstioFor${conditionNames[component]}Changed`,
  failed: (component: IstioObjects.IstioComponent) => `IstioFor${conditionNames[component]}Failed`
} as const

/** @category messages @since 0.1.0 */
export const messages = {
  configured: (component: IstioObjects.IstioComponent) =>
    `ServiceEntries and VirtualServices for ${conditionNames[component]} have been configured.`,
  failed: (component: IstioObjects.IstioComponent, why: string) =>
    `Failed to configure Istio ServiceEntries and VirtualServices for ${conditionNames[component]}: ${why}`,
  notInstalled:
    "spec.enableIstio is set, but the cluster does not serve networking.istio.io (is Istio installed?); no ServiceEntries or VirtualServices were created"
} as const

// ---------------------------------------------------------------------------------------------------------------------
// What exists: one list per kind and reconcile.

/** The DynaKube's Istio objects, or "not installed". */
type Observed =
  | { readonly installed: false }
  | {
      readonly installed: true
      readonly serviceEntries: ReadonlyArray<KubeObject>
      readonly virtualServices: ReadonlyArray<KubeObject>
    }

// Per reconcile (the scope object), so the three phases share the two lists.
const observedByScope = new WeakMap<ReconcileScope, Observed>()

/** The items of a list; `None` when the resource type is not served (NotFound: Istio is not installed). */
const listOwn = (
  list: Effect.Effect<{ readonly items: ReadonlyArray<KubeObject> }, KubeApiError>
): Effect.Effect<Option.Option<ReadonlyArray<KubeObject>>, KubeApiError> =>
  list.pipe(
    Effect.map((l) => Option.some(l.items)),
    Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none<ReadonlyArray<KubeObject>>()))
  )

const observe = (scope: ReconcileScope): Effect.Effect<Observed, KubeApiError, KubeClient> =>
  Effect.gen(function* () {
    const known = observedByScope.get(scope)
    if (known !== undefined) return known
    const kube = yield* KubeClient
    const options = {
      namespace: scope.namespace,
      labelSelector: `${Names.labelKeys.name}=${Names.fieldManager},${Names.labelKeys.createdBy}=${scope.name}`
    }
    const serviceEntries = yield* listOwn(kube.list<KubeObject>(Resources.IstioServiceEntry, options))
    const virtualServices = Option.isNone(serviceEntries)
      ? Option.none<ReadonlyArray<KubeObject>>()
      : yield* listOwn(kube.list<KubeObject>(Resources.IstioVirtualService, options))
    const observed: Observed =
      Option.isSome(serviceEntries) && Option.isSome(virtualServices)
        ? { installed: true, serviceEntries: serviceEntries.value, virtualServices: virtualServices.value }
        : { installed: false }
    observedByScope.set(scope, observed)
    return observed
  })

/** An ObjectSync reader answering from the lists (no GET per object). */
const readerOf =
  (observed: Observed & { readonly installed: true }): ObjectSync.Reader =>
  <T extends KubeObject>(resource: Resource, _namespace: string | undefined, name: string) =>
    Effect.succeed(
      Option.fromNullishOr(
        (resource === Resources.IstioVirtualService ? observed.virtualServices : observed.serviceEntries).find(
          (o) => o.metadata?.name === name
        ) as T | undefined
      )
    )

// ---------------------------------------------------------------------------------------------------------------------
// One component.

const buildContext = (scope: ReconcileScope, component: IstioObjects.IstioComponent): IstioObjects.BuildContext => ({
  owner: scope.owner,
  component,
  operatorVersion: scope.config.operatorVersion
})

const written = (r: { readonly action: ObjectSync.SyncAction }): boolean => r.action !== "unchanged"

/** Makes the cluster hold exactly the component's objects for `hosts` (absent ones deleted). */
const sync = (
  scope: ReconcileScope,
  component: IstioObjects.IstioComponent,
  hosts: ReadonlyArray<CommunicationHost.CommunicationHost>,
  observed: Observed & { readonly installed: true }
) =>
  Effect.gen(function* () {
    const read = { read: readerOf(observed) }
    const names = IstioObjects.objectNames(scope.name, component)
    const desired = IstioObjects.buildAll(buildContext(scope, component), hosts)
    // Each call names its resource, so the RBAC code scan (e2e/chart/CodeScan.ts) sees the verbs.
    const ip =
      desired.ipServiceEntry === undefined
        ? ObjectSync.ensureAbsent(Resources.IstioServiceEntry, scope.namespace, names.ipServiceEntry, read)
        : Effect.map(ObjectSync.ensure(Resources.IstioServiceEntry, desired.ipServiceEntry, read), written)
    const fqdn =
      desired.fqdnServiceEntry === undefined
        ? ObjectSync.ensureAbsent(Resources.IstioServiceEntry, scope.namespace, names.fqdnServiceEntry, read)
        : Effect.map(ObjectSync.ensure(Resources.IstioServiceEntry, desired.fqdnServiceEntry, read), written)
    const vs =
      desired.virtualService === undefined
        ? ObjectSync.ensureAbsent(Resources.IstioVirtualService, scope.namespace, names.virtualService, read)
        : Effect.map(ObjectSync.ensure(Resources.IstioVirtualService, desired.virtualService, read), written)
    // All three are attempted even when one fails (the original joins the errors).
    const results = yield* Effect.all([Effect.result(ip), Effect.result(fqdn), Effect.result(vs)], {
      concurrency: 1
    })
    const failure = results.find(Result.isFailure)
    if (failure !== undefined) return yield* Effect.fail(failure.failure)
    return results.some((r) => Result.isSuccess(r) && r.success)
  })

/** Removes what a switched-off component left behind; failures are logged, never stop the reconcile. */
const cleanup = (scope: ReconcileScope, component: IstioObjects.IstioComponent) =>
  Effect.gen(function* () {
    if (condition(scope, conditionType(component)) === undefined) return
    const observed = yield* observe(scope)
    if (observed.installed) yield* sync(scope, component, [], observed)
    removeCondition(scope, conditionType(component))
  }).pipe(
    Effect.catch((error) =>
      Effect.sync(() => removeCondition(scope, conditionType(component))).pipe(
        Effect.andThen(
          Effect.logWarning("Could not clean up the Istio objects of a DynaKube component.").pipe(
            Effect.annotateLogs({ component, error: error.message })
          )
        )
      )
    )
  )

const failed = (scope: ReconcileScope, component: IstioObjects.IstioComponent, why: string) =>
  setCondition(scope, {
    type: conditionType(component),
    status: "False",
    reason: reasons.failed(component),
    message: messages.failed(component, why)
  })

/**
 * Configures the component for the hosts of `endpoints`. Not installed ⇒ a False condition and done; no hosts ⇒
 * objects and condition removed; a bad endpoint or a failed write ⇒ a False condition and the error.
 */
const configure = (
  scope: ReconcileScope,
  component: IstioObjects.IstioComponent,
  endpoints: string | undefined
): Effect.Effect<Controller.Result, KubeApiError | ComponentError, KubeClient> =>
  Effect.gen(function* () {
    const parsed = CommunicationHost.parseList(endpoints)
    if (Result.isFailure(parsed)) {
      const why = `${parsed.failure.message}: ${parsed.failure.endpoint}`
      failed(scope, component, why)
      return yield* new ComponentError({ component: `istio-${component}`, message: why })
    }
    const observed = yield* observe(scope).pipe(
      Effect.tapError((e) => Effect.sync(() => failed(scope, component, e.message)))
    )
    if (!observed.installed) {
      if (condition(scope, conditionType(component))?.message !== messages.failed(component, messages.notInstalled)) {
        yield* Effect.logWarning("Istio is enabled but not installed; no ServiceEntries were created.").pipe(
          Effect.annotateLogs({ component })
        )
      }
      failed(scope, component, messages.notInstalled)
      return Controller.done
    }
    const changed = yield* sync(scope, component, parsed.success, observed).pipe(
      Effect.tapError((e) => Effect.sync(() => failed(scope, component, e.message)))
    )
    if (parsed.success.length === 0) {
      removeCondition(scope, conditionType(component))
      return Controller.done
    }
    if (changed) {
      yield* Effect.logInfo("Reconciled the Istio objects of a DynaKube component.").pipe(
        Effect.annotateLogs({ component, hosts: parsed.success.length })
      )
    }
    setCondition(scope, {
      type: conditionType(component),
      status: "True",
      reason: reasons.changed(component),
      message: messages.configured(component)
    })
    return Controller.done
  })

const enabled = (scope: ReconcileScope): boolean => scope.dk.spec.enableIstio === true

// ---------------------------------------------------------------------------------------------------------------------
// The phases.

/** The API URL host (component `operator`); first of all phases, a failure stops the reconcile as in the original. */
export const operatorPhase: Phase<KubeClient> = {
  name: "istio-operator",
  abortOnError: true,
  run: (scope) =>
    enabled(scope)
      ? configure(scope, "operator", scope.dk.spec.apiUrl)
      : cleanup(scope, "operator").pipe(Effect.as(Controller.done))
}

/** The ActiveGate connection-info endpoints (component `activegate`), before the ActiveGate workload. */
export const activeGatePhase: Phase<KubeClient> = {
  name: "istio-activegate",
  run: (scope) =>
    enabled(scope) && scope.features.activeGate
      ? configure(scope, "activegate", scope.status.activeGate?.connectionInfoStatus?.endpoints)
      : cleanup(scope, "activegate").pipe(Effect.as(Controller.done))
}

/** Renames the condition older releases wrote for the `oneagent` objects. @since 0.1.0 */
export const migrateDeprecatedCondition = (scope: ReconcileScope): void => {
  const conditions = scope.status.conditions
  if (conditions === undefined || !conditions.some((c) => c.type === deprecatedOneAgentConditionType)) return
  const renamed = conditions.map((c) =>
    c.type === deprecatedOneAgentConditionType ? { ...c, type: conditionType("oneagent") } : c
  )
  scope.status = { ...scope.status, conditions: renamed }
}

/**
 * The OneAgent communication endpoints (component `oneagent`), when code modules are injected. As in the original
 * a failure here is recorded in the condition and logged, and injection goes on.
 */
export const oneAgentPhase: Phase<KubeClient> = {
  name: "istio-oneagent",
  run: (scope) =>
    Effect.gen(function* () {
      migrateDeprecatedCondition(scope)
      if (!enabled(scope) || !scope.features.appInjection) {
        yield* cleanup(scope, "oneagent")
        return Controller.done
      }
      return yield* configure(scope, "oneagent", scope.status.oneAgent?.connectionInfoStatus?.endpoints).pipe(
        Effect.catch((error) =>
          Effect.logWarning("Could not configure Istio for the OneAgent communication hosts.").pipe(
            Effect.annotateLogs({ error: error.message }),
            Effect.as(Controller.done)
          )
        )
      )
    })
}
