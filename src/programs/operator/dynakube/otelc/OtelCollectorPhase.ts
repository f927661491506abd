/**
 * The OpenTelemetry collector phase of a DynaKube reconcile (spec §2.2.11), in the original's order: Service,
 * endpoint ConfigMap, configuration ConfigMap, StatefulSet. Objects come from the pure builders of this folder and
 * are written through `ObjectSync` with cache reads, so an unchanged DynaKube costs no write; the phase makes no
 * tenant call. Service and ConfigMaps exist with telemetryIngest; the StatefulSet with telemetryIngest or
 * Prometheus extensions (then it also mounts the extensions token and the EEC certificate).
 *
 * Conditions, named as the original names them: `OTELCService`, `OtelpApiEndpointConfigMap`,
 * `OTELCConfigurationConfigMap`, `OtelStatefulSet`. telemetryIngest without a data-ingest token sets `Tokens` to
 * False (reason `DataIngestTokenMissing`) and leaves the StatefulSet alone.
 *
 * Switched off: the collector's Services (found by label), the configuration ConfigMap and the StatefulSet are
 * deleted; the shared `dynatrace-otlp-api-endpoint` ConfigMap only when this DynaKube owns it (another DynaKube of
 * the namespace may use it).
 *
 * @since 0.1.0
 */
import { Effect, Option, Redacted } from "effect"
import { KubeClient } from "../../../../services/KubeClient.ts"
import { keyOf } from "../../../../services/kube/KubeObject.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import { EventRecorder } from "../../EventRecorder.ts"
import { OperatorCaches } from "../../OperatorCaches.ts"
import * as Conditions from "../../runtime/Conditions.ts"
import * as Controller from "../../runtime/Controller.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import { LabelKeys } from "../oneagent/WorkloadParts.ts"
import { ComponentError, type Phase, type ReconcileScope, removeCondition, setCondition } from "../ReconcileScope.ts"
import {
  currentDynaKube,
  deleteUnwanted,
  liveReplicas,
  rawSecretData,
  readConfirmed,
  recordKubeApiError,
  ensureWorkload
} from "../workload/ComponentPhase.ts"
import { configKey } from "./CollectorConfig.ts"
import * as OtelCollector from "./OtelCollector.ts"
import * as OtelCollectorStatefulSet from "./OtelCollectorStatefulSet.ts"

/** Condition types, as the original names them. @category constants @since 0.1.0 */
export const conditionTypes = {
  service: "OTELCService",
  endpointConfigMap: "OtelpApiEndpointConfigMap",
  configConfigMap: "OTELCConfigurationConfigMap",
  statefulSet: "OtelStatefulSet",
  tokens: "Tokens"
} as const

/** Message of the `Tokens` condition when telemetryIngest has no data-ingest token. @category constants @since 0.1.0 */
export const dataIngestTokenMissingMessage = "data ingest token is missing, but it's required for telemetery ingest"

const fail = (message: string) => new ComponentError({ component: "otel-collector", message })

/** The collector Services of this DynaKube other than `keep` (all of them when `keep` is undefined). */
const removeServices = (scope: ReconcileScope, keep: string | undefined) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    yield* deleteUnwanted(scope, Resources.Service, yield* caches.services.list({ namespace: scope.namespace }), {
      selector: { [LabelKeys.component]: OtelCollector.otelCollectorComponent, [LabelKeys.createdBy]: scope.name },
      keep: keep === undefined ? [] : [keep],
      message: "Removed an unused telemetry Service.",
      logKey: "service"
    })
  })

/**
 * The `data` hash of a Secret in the DynaKube's namespace; fails when it does not exist. A cache miss is confirmed
 * with a GET (the extensions phase may have created the Secret a moment ago).
 */
const secretHash = (scope: ReconcileScope, name: string, what: string) =>
  Effect.gen(function* () {
    const secret = yield* readConfirmed(scope, Resources.Secret, name)
    if (Option.isNone(secret)) return yield* fail(`${what} secret ${scope.namespace}:${name} not found`)
    return OtelCollectorStatefulSet.dataHash(rawSecretData(secret.value))
  })

const cleanupConfiguration = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const read = { read: caches.read }
    const names = OtelCollector.otelcNames(scope.name)
    yield* removeServices(scope, undefined)
    const endpoint = yield* caches.configMaps.get(keyOf(scope.namespace, names.endpointConfigMap))
    if (
      Option.isSome(endpoint) &&
      (endpoint.value.metadata?.ownerReferences ?? []).some((r) => r.uid === scope.owner.uid)
    ) {
      yield* ObjectSync.ensureAbsent(Resources.ConfigMap, scope.namespace, names.endpointConfigMap, read)
    }
    yield* ObjectSync.ensureAbsent(Resources.ConfigMap, scope.namespace, names.configConfigMap, read)
    removeCondition(scope, conditionTypes.service)
    removeCondition(scope, conditionTypes.endpointConfigMap)
    removeCondition(scope, conditionTypes.configConfigMap)
  })

const reconcileConfiguration = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const read = { read: caches.read }
    const dk = currentDynaKube(scope)
    const input = { dynakube: dk, operator: scope.operator }
    const serviceName = OtelCollector.serviceName(dk)
    yield* removeServices(scope, serviceName)
    yield* ObjectSync.ensure(Resources.Service, OtelCollector.buildService(input), read).pipe(
      recordKubeApiError(scope, conditionTypes.service)
    )
    setCondition(scope, {
      type: conditionTypes.service,
      status: "True",
      reason: "ServiceCreated",
      message: `${serviceName} created`
    })

    const endpoint = OtelCollector.buildEndpointConfigMap(input)
    if (!("kind" in endpoint)) return yield* fail(`could not generate the OTLP endpoint: ${endpoint.problem}`)
    yield* ObjectSync.ensure(Resources.ConfigMap, endpoint, read).pipe(
      recordKubeApiError(scope, conditionTypes.endpointConfigMap)
    )
    setCondition(scope, {
      type: conditionTypes.endpointConfigMap,
      status: "True",
      reason: "ConfigMapCreatedOrUpdated",
      message: `${OtelCollector.endpointConfigMapName} created/updated`
    })

    const config = OtelCollector.buildConfigConfigMap({ ...input, flags: readWorkloadFlags(dk) })
    yield* ObjectSync.ensure(Resources.ConfigMap, config, read).pipe(
      recordKubeApiError(scope, conditionTypes.configConfigMap)
    )
    setCondition(scope, {
      type: conditionTypes.configConfigMap,
      status: "True",
      reason: "ConfigMapCreatedOrUpdated",
      message: `${config.metadata.name} created/updated`
    })
    return config.data[configKey]
  })

/**
 * `Tokens` = False (DataIngestTokenMissing). The tokens phase set it True earlier in this reconcile, so the
 * transition time would move on every reconcile; it keeps the one already stored when nothing else changed.
 */
const markDataIngestTokenMissing = (scope: ReconcileScope) => {
  setCondition(scope, {
    type: conditionTypes.tokens,
    status: "False",
    reason: "DataIngestTokenMissing",
    message: dataIngestTokenMissingMessage
  })
  const stored = Conditions.find(scope.oldStatus.conditions, conditionTypes.tokens)
  if (stored?.status !== "False" || stored.reason !== "DataIngestTokenMissing") return
  scope.status = {
    ...scope.status,
    conditions: (scope.status.conditions ?? []).map((c) =>
      c.type === conditionTypes.tokens ? { ...c, lastTransitionTime: stored.lastTransitionTime } : c
    )
  }
}

const reconcileStatefulSet = (scope: ReconcileScope, configText: string | undefined) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const dk = currentDynaKube(scope)
    const name = OtelCollector.otelcNames(scope.name).statefulSet
    const telemetryIngest = OtelCollector.telemetryIngestEnabled(dk)
    const tenant = scope.tenant
    if (telemetryIngest && (tenant === undefined || !tenant.hasDataIngestToken)) {
      markDataIngestTokenMissing(scope)
      yield* Effect.logWarning("The data-ingest token is missing; the OTel collector is not deployed.")
      return
    }
    if ((dk.spec.templates?.otelCollector?.imageRef?.repository ?? "") === "") {
      return yield* fail("spec.templates.otelCollector.imageRef.repository is required for the OTel collector")
    }
    const tlsRef = dk.spec.telemetryIngest?.tlsRefName ?? ""
    const token = tenant?.tokens.dataIngestToken
    const live = yield* caches.statefulSets.get(keyOf(scope.namespace, name))
    const sts = OtelCollectorStatefulSet.buildOtelCollectorStatefulSet({
      dynakube: dk,
      operator: scope.operator,
      flags: readWorkloadFlags(dk),
      currentReplicas: liveReplicas(live),
      configText,
      dataIngestTokenHash:
        telemetryIngest && token !== undefined ? OtelCollectorStatefulSet.secureHash(Redacted.value(token)) : undefined,
      telemetryIngestTlsHash:
        telemetryIngest && tlsRef !== "" ? yield* secretHash(scope, tlsRef, "telemetryIngest TLS") : undefined,
      extensionsTlsHash: OtelCollector.prometheusEnabled(dk)
        ? yield* secretHash(scope, OtelCollectorStatefulSet.extensionsTlsSecretName(dk), "extensions TLS")
        : undefined
    })
    yield* ensureWorkload(scope, {
      type: conditionTypes.statefulSet,
      kind: "StatefulSet",
      object: sts,
      recreate: OtelCollectorStatefulSet.recreateOtelCollectorStatefulSet,
      whenUnchanged: "restamp"
    })
  })

/**
 * The collector phase: Service and ConfigMaps with telemetryIngest, the StatefulSet with telemetryIngest or
 * Prometheus extensions (then it reads its configuration from the Extension Execution Controller).
 * @category phases
 * @since 0.1.0
 */
export const phase: Phase<OperatorCaches | KubeClient | EventRecorder> = {
  name: "otel-collector",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const dk = currentDynaKube(scope)
      const enabled = scope.tenant !== undefined
      if (!enabled || !OtelCollector.telemetryIngestEnabled(dk)) yield* cleanupConfiguration(scope)
      if (!enabled || !OtelCollector.collectorEnabled(dk)) {
        yield* ObjectSync.ensureAbsent(
          Resources.StatefulSet,
          scope.namespace,
          OtelCollector.otelcNames(scope.name).statefulSet,
          { read: caches.read }
        )
        removeCondition(scope, conditionTypes.statefulSet)
        return Controller.done
      }
      const configText = OtelCollector.telemetryIngestEnabled(dk) ? yield* reconcileConfiguration(scope) : undefined
      yield* reconcileStatefulSet(scope, configText)
      return Controller.done
    })
}
