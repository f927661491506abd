/**
 * The extensions phase of a DynaKube reconcile (spec §2.2.11), in the original's order: token Secret, Service,
 * TLS Secret, Extension Execution Controller StatefulSet. Objects come from the pure builders of this folder and
 * are written through `ObjectSync` with cache reads (no write when nothing changed). The only tenant call is the
 * public `eec` image lookup when the template names no image; it is served from the response cache within
 * `dynatraceApiRequestThreshold`.
 *
 * Conditions, named as the original names them: `ExtensionsSecret`, `ExtensionsService`, `ExtensionsTLSSecret`
 * (set when the self-signed certificate is created), `ExtensionControllerStatefulSet` (False, reason
 * `StatefulSetOutdated`, while the ActiveGate tenant UUID or the kube-system UID is unknown).
 *
 * The token and self-signed TLS Secrets hold values made here, so they are created once and kept; before creating
 * one, a cache miss is confirmed with a GET, so a lagging cache never replaces live tokens.
 *
 * SQL extension executors: one Deployment per `databases[]` entry (image from the template or the public
 * `sql-extension-executor` image), condition `DatabaseDatasourcesAvailable` (reason `DeploymentsApplied`, listing
 * at most three names); executors whose entry is gone are deleted (found by their labels).
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { KubeClient } from "../../../../services/KubeClient.ts"
import { type KubeObject, keyOf } from "../../../../services/kube/KubeObject.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import { EventRecorder } from "../../EventRecorder.ts"
import { OperatorCaches } from "../../OperatorCaches.ts"
import * as Controller from "../../runtime/Controller.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import { recreateActiveGateStatefulSet } from "../activegate/ActiveGateStatefulSet.ts"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import { ComponentError, type Phase, type ReconcileScope, removeCondition, setCondition } from "../ReconcileScope.ts"
import {
  currentDynaKube,
  deleteUnwanted,
  liveReplicas,
  publicImage,
  rawSecretData,
  readConfirmed,
  recordKubeApiError,
  ensureWorkload
} from "../workload/ComponentPhase.ts"
import { dataHash, imageOf } from "../otelc/OtelCollectorStatefulSet.ts"
import * as ExtensionControllerStatefulSet from "./ExtensionControllerStatefulSet.ts"
import * as Extensions from "./Extensions.ts"
import * as SqlExecutorDeployment from "./SqlExecutorDeployment.ts"

/** Condition types, as the original names them. @category constants @since 0.1.0 */
export const conditionTypes = {
  secret: "ExtensionsSecret",
  service: "ExtensionsService",
  tlsSecret: "ExtensionsTLSSecret",
  statefulSet: "ExtensionControllerStatefulSet",
  /** An older name of the StatefulSet condition, removed when found. */
  legacyStatefulSet: "ExtensionsControllerStatefulSet",
  databases: "DatabaseDatasourcesAvailable"
} as const

const fail = (message: string) => new ComponentError({ component: "extensions", message })

/** Creates `desired` only when no object of its name exists; returns the live or created object. */
const createOnce = (scope: ReconcileScope, desired: Effect.Effect<KubeObject, ComponentError>, name: string) =>
  Effect.gen(function* () {
    const existing = yield* readConfirmed(scope, Resources.Secret, name)
    if (Option.isSome(existing)) return { object: existing.value, created: false }
    const written = yield* ObjectSync.ensure(Resources.Secret, yield* desired)
    return { object: written.object, created: true }
  })

/** Deletes the executor Deployments of this DynaKube whose name is not in `keep`. */
const removeExecutors = (scope: ReconcileScope, keep: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    yield* deleteUnwanted(scope, Resources.Deployment, yield* caches.deployments.list({ namespace: scope.namespace }), {
      selector: SqlExecutorDeployment.sharedLabels(scope.name),
      keep,
      message: "Deleted an SQL extension executor.",
      logKey: "deployment"
    })
  })

/** The executor image: the template's, else the public one (under its current or its former component name). */
const executorImage = (scope: ReconcileScope, dk: DynaKube) =>
  Effect.gen(function* () {
    const fromTemplate = SqlExecutorDeployment.templateImage(dk)
    if (fromTemplate !== undefined) return fromTemplate
    return yield* publicImage(scope, "extensions", ["sql-extension-executor", "dynatrace-sql-extension-executor"])
  })

/** The condition message: the names, at most three, then how many more. */
export const deploymentsMessage = (names: ReadonlyArray<string>): string =>
  names.length > 3 ? [...names.slice(0, 3), `... ${names.length - 3} more omitted`].join(", ") : names.join(", ")

const reconcileDatabases = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const dk = currentDynaKube(scope)
    const databases = dk.spec.extensions?.databases ?? []
    const names = databases.map((db) => SqlExecutorDeployment.deploymentName(scope.name, db.id))
    yield* removeExecutors(scope, names)
    if (databases.length === 0) {
      removeCondition(scope, conditionTypes.databases)
      return
    }
    const image = yield* executorImage(scope, dk)
    for (const database of databases) {
      const live = yield* caches.deployments.get(
        keyOf(scope.namespace, SqlExecutorDeployment.deploymentName(scope.name, database.id))
      )
      const deployment = SqlExecutorDeployment.buildSqlExecutorDeployment({
        dynakube: dk,
        operator: scope.operator,
        database,
        image,
        currentReplicas: liveReplicas(live)
      })
      const written = yield* ObjectSync.ensure(Resources.Deployment, deployment, { read: caches.read }).pipe(
        recordKubeApiError(scope, conditionTypes.databases)
      )
      if (written.action !== "unchanged") {
        yield* Effect.logInfo("Applied an SQL extension executor.").pipe(
          Effect.annotateLogs({ deployment: deployment.metadata.name, action: written.action })
        )
      }
    }
    setCondition(scope, {
      type: conditionTypes.databases,
      status: "True",
      reason: "DeploymentsApplied",
      message: deploymentsMessage(names)
    })
  })

/** Key of the collector token in token Secrets of older operators, which are replaced by a new one. */
export const deprecatedCollectorTokenKey = "otelc.token"

/** A token Secret from an older operator (with `otelc.token`, without `datasource.token`) is deleted, to be made anew. */
const dropOutdatedTokenSecret = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const name = Extensions.extensionNames(scope.name).tokenSecret
    const existing = yield* readConfirmed(scope, Resources.Secret, name)
    if (Option.isNone(existing) || rawSecretData(existing.value)[deprecatedCollectorTokenKey] === undefined)
      return false
    const kube = yield* KubeClient
    yield* kube
      .delete(Resources.Secret, name, { namespace: scope.namespace })
      .pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.void))
    removeCondition(scope, conditionTypes.secret)
    yield* Effect.logInfo("Replaced an extensions token Secret of an older operator.")
    return true
  })

const cleanup = (scope: ReconcileScope) =>
  Effect.gen(function* () {
    const caches = yield* OperatorCaches
    const read = { read: caches.read }
    const names = Extensions.extensionNames(scope.name)
    yield* ObjectSync.ensureAbsent(Resources.StatefulSet, scope.namespace, names.statefulSet, read)
    yield* ObjectSync.ensureAbsent(Resources.Service, scope.namespace, names.service, read)
    yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, names.tokenSecret, read)
    yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, names.selfSignedTlsSecret, read)
    for (const type of [
      conditionTypes.secret,
      conditionTypes.service,
      conditionTypes.tlsSecret,
      conditionTypes.statefulSet
    ]) {
      removeCondition(scope, type)
    }
    yield* removeExecutors(scope, [])
    removeCondition(scope, conditionTypes.databases)
  })

/** The EEC image: the template's `imageRef` when it names one, else the public registry's `eec` image. */
const resolveImage = (scope: ReconcileScope, dk: DynaKube) =>
  Effect.gen(function* () {
    const ref = dk.spec.templates?.extensionExecutionController?.imageRef
    if ((ref?.repository ?? "") !== "" && ((ref?.tag ?? "") !== "" || (ref?.digest ?? "") !== "")) {
      return imageOf(ref ?? {})
    }
    return yield* publicImage(scope, "extensions", ["eec"])
  })

const reconcileStatefulSet = (scope: ReconcileScope, tlsSecretHash: string) =>
  Effect.gen(function* () {
    const dk = currentDynaKube(scope)
    const name = Extensions.extensionNames(scope.name).statefulSet
    const outdated = (why: string) =>
      Effect.gen(function* () {
        setCondition(scope, {
          type: conditionTypes.statefulSet,
          status: "False",
          reason: "StatefulSetOutdated",
          message: `${name} outdated`
        })
        return yield* fail(why)
      })
    if ((dk.status?.activeGate?.connectionInfoStatus?.tenantUUID ?? "") === "")
      return yield* outdated("tenantUUID unknown")
    if ((dk.status?.kubeSystemUUID ?? "") === "") return yield* outdated("kubeSystemUUID unknown")
    const image = yield* resolveImage(scope, dk)
    const sts = ExtensionControllerStatefulSet.buildExtensionControllerStatefulSet({
      dynakube: dk,
      operator: scope.operator,
      flags: readWorkloadFlags(dk),
      image,
      tlsSecretHash
    })
    yield* ensureWorkload(scope, {
      type: conditionTypes.statefulSet,
      kind: "StatefulSet",
      object: sts,
      recreate: recreateActiveGateStatefulSet,
      whenUnchanged: "restamp"
    })
  })

/**
 * The extensions phase.
 * @category phases
 * @since 0.1.0
 */
export const phase: Phase<OperatorCaches | KubeClient | EventRecorder> = {
  name: "extensions",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const read = { read: caches.read }
      const dk = currentDynaKube(scope)
      const names = Extensions.extensionNames(scope.name)
      const input = { dynakube: dk, operator: scope.operator }
      removeCondition(scope, conditionTypes.legacyStatefulSet)
      if (!Extensions.extensionsEnabled(dk) || scope.tenant === undefined) {
        yield* cleanup(scope)
        return Controller.done
      }

      // Made anew right after the old one is deleted (a GET, not the lagging cache, tells it is gone).
      if (yield* dropOutdatedTokenSecret(scope)) {
        yield* ObjectSync.ensure(Resources.Secret, Extensions.buildTokenSecret(input))
      }
      yield* createOnce(
        scope,
        Effect.sync(() => Extensions.buildTokenSecret(input)),
        names.tokenSecret
      ).pipe(recordKubeApiError(scope, conditionTypes.secret))
      setCondition(scope, {
        type: conditionTypes.secret,
        status: "True",
        reason: "SecretCreated",
        message: `${names.tokenSecret} created`
      })

      yield* ObjectSync.ensure(Resources.Service, Extensions.buildService(input), read).pipe(
        recordKubeApiError(scope, conditionTypes.service)
      )
      setCondition(scope, {
        type: conditionTypes.service,
        status: "True",
        reason: "ServiceCreated",
        message: `${names.service} created`
      })

      let tls: KubeObject
      if (Extensions.needsSelfSignedTls(dk)) {
        const made = yield* createOnce(
          scope,
          Extensions.buildSelfSignedTlsSecret(input).pipe(Effect.mapError((e) => fail(e.message))),
          names.selfSignedTlsSecret
        )
        if (made.created) {
          setCondition(scope, {
            type: conditionTypes.tlsSecret,
            status: "True",
            reason: "SecretCreated",
            message: `${names.selfSignedTlsSecret} created`
          })
        }
        tls = made.object
      } else {
        yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, names.selfSignedTlsSecret, read)
        removeCondition(scope, conditionTypes.tlsSecret)
        const user = yield* readConfirmed(scope, Resources.Secret, Extensions.tlsSecretName(dk))
        if (Option.isNone(user)) {
          return yield* fail(`extensions TLS secret ${scope.namespace}:${Extensions.tlsSecretName(dk)} not found`)
        }
        tls = user.value
      }

      yield* reconcileStatefulSet(scope, dataHash(rawSecretData(tls)))
      yield* reconcileDatabases(scope)
      return Controller.done
    })
}
