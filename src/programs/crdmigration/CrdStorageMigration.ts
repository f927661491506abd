/**
 * CRD storage version migration (spec §1.1, §7 `crd-storage-migration`): after a CRD changed its storage version,
 * objects written earlier stay in etcd in the old version, and `status.storedVersions` keeps listing it. A later
 * chart that stops serving the old version could not be installed (the apiserver refuses to drop a version that
 * is still in `storedVersions`), and objects still stored in it could no longer be read.
 *
 * For each of our CRDs (DynaKube, EdgeConnect) the migration:
 * 1. reads the CRD; absent ⇒ skipped, `status.storedVersions` already just the storage version ⇒ up to date;
 * 2. lists the objects of the operator namespace at the storage version, page by page, and writes each back
 *    unchanged (a PUT with its resourceVersion): the apiserver encodes it in the storage version, so etcd now
 *    holds it in that version. A Conflict means someone else wrote it meanwhile; it is read again and written
 *    again. An object deleted meanwhile is skipped;
 * 3. re-reads the CRD and, if its storage version is still the one migrated to, sets `status.storedVersions` to
 *    just that version (PUT to the `status` subresource, again on Conflict).
 *
 * Only `get`/`list`/`update` are used, so the chart's hook Job (`dynatrace-operator-crd-storage-migration`) and
 * the operator's init container can run it with plain RBAC. Like the original, only the operator namespace is
 * migrated: that is where DynaKubes and EdgeConnects live.
 *
 * `runWithRetry` (the `--retry` flag, the init container after an upgrade) first waits for the
 * `dynatrace-webhook` Deployment to be ready, because listing at the new version converts stored objects through
 * the conversion webhook; no Deployment ⇒ nothing to do (as the original). Every failure is retried with a capped
 * exponential backoff until the migration succeeds.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schedule, Schema } from "effect"
import * as KubeApiError from "../../services/KubeApiError.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resource from "../../services/kube/Resource.ts"
import * as Resources from "../../services/kube/Resources.ts"

/**
 * Why a migration did not complete.
 *
 * - `NoStorageVersion`: the CRD marks no version as `storage: true` (a broken CRD).
 * - `StorageVersionChanged`: the CRD's storage version changed while objects were rewritten; run again.
 * - `WebhookNotReady`: `--retry` only: the `dynatrace-webhook` Deployment is not ready yet.
 * - `KubeApi`: a request failed (the message names verb, resource, object and the apiserver's reason).
 *
 * @category errors
 * @since 0.1.0
 */
export class CrdStorageMigrationError extends Schema.TaggedError<CrdStorageMigrationError>()(
  "CrdStorageMigrationError",
  {
    reason: Schema.Literals(["NoStorageVersion", "StorageVersionChanged", "WebhookNotReady", "KubeApi"]),
    crd: Schema.String,
    message: Schema.String
  }
) {}

/**
 * One CRD to migrate and the descriptor of its objects (its `version` is replaced by the CRD's storage version).
 *
 * @category models
 * @since 0.1.0
 */
export interface MigrationTarget {
  readonly crd: string
  readonly resource: Resource.Resource
}

/**
 * The CRDs the operator owns: DynaKube and EdgeConnect.
 *
 * @category constants
 * @since 0.1.0
 */
export const targets: ReadonlyArray<MigrationTarget> = [
  { crd: "dynakubes.dynatrace.com", resource: Resources.DynaKube },
  { crd: "edgeconnects.dynatrace.com", resource: Resources.EdgeConnect }
]

/** The webhook Deployment whose readiness `--retry` waits for. @category constants @since 0.1.0 */
export const webhookDeploymentName = "dynatrace-webhook"

/**
 * What happened to one CRD.
 *
 * @category models
 * @since 0.1.0
 */
export type CrdOutcome =
  | { readonly _tag: "CrdNotFound"; readonly crd: string }
  | { readonly _tag: "NoStoredVersions"; readonly crd: string }
  | { readonly _tag: "UpToDate"; readonly crd: string; readonly storageVersion: string }
  | {
      readonly _tag: "Migrated"
      readonly crd: string
      readonly storageVersion: string
      /** `status.storedVersions` before. */
      readonly previousStoredVersions: ReadonlyArray<string>
      /** Objects written back. */
      readonly rewritten: number
    }

/**
 * What `runWithRetry` did: skipped for want of a webhook Deployment, or the outcome per CRD.
 *
 * @category models
 * @since 0.1.0
 */
export type RetryOutcome =
  | { readonly _tag: "WebhookDeploymentMissing" }
  | { readonly _tag: "Done"; readonly crds: ReadonlyArray<CrdOutcome> }

/**
 * Options of one run.
 *
 * @category models
 * @since 0.1.0
 */
export interface MigrationOptions {
  /** The operator namespace (`POD_NAMESPACE`): whose objects are rewritten. */
  readonly namespace: string
  /** Objects per list request (default 100). */
  readonly pageSize?: number | undefined
  /** Default `targets`. */
  readonly targets?: ReadonlyArray<MigrationTarget> | undefined
}

/**
 * Options of `runWithRetry`.
 *
 * @category models
 * @since 0.1.0
 */
export interface RetryOptions extends MigrationOptions {
  /** First delay between attempts (default 1 s); doubles up to `maxDelay`. */
  readonly baseDelay?: Duration.Input | undefined
  /** Longest delay between attempts (default 10 s, the original's poll interval). */
  readonly maxDelay?: Duration.Input | undefined
}

interface CrdVersion {
  readonly name: string
  readonly storage?: boolean | undefined
}

/** The parts of a CRD the migration reads. @category models @since 0.1.0 */
export interface Crd extends KubeObject {
  readonly spec?: { readonly versions?: ReadonlyArray<CrdVersion> | undefined } | undefined
  readonly status?: { readonly storedVersions?: ReadonlyArray<string> | undefined; readonly [key: string]: unknown }
}

interface Deployment extends KubeObject {
  readonly spec?: { readonly replicas?: number | undefined } | undefined
  readonly status?: { readonly observedGeneration?: number | undefined; readonly readyReplicas?: number | undefined }
}

/**
 * The version the CRD stores objects in (`storage: true`), if any.
 *
 * @category policies
 * @since 0.1.0
 */
export const storageVersionOf = (crd: Crd): string | undefined => crd.spec?.versions?.find((v) => v.storage)?.name

/**
 * True when nothing needs migrating: `status.storedVersions` is exactly `[storageVersion]`.
 *
 * @category policies
 * @since 0.1.0
 */
export const isUpToDate = (storedVersions: ReadonlyArray<string>, storageVersion: string): boolean =>
  storedVersions.length === 1 && storedVersions[0] === storageVersion

/**
 * A Deployment is ready when its controller has seen the current generation and every wanted replica (at least
 * one) is ready.
 *
 * @category policies
 * @since 0.1.0
 */
export const isDeploymentReady = (deployment: Deployment): boolean => {
  const replicas = deployment.spec?.replicas ?? 1
  return (
    deployment.metadata?.generation !== undefined &&
    deployment.metadata.generation === deployment.status?.observedGeneration &&
    replicas > 0 &&
    replicas === (deployment.status.readyReplicas ?? 0)
  )
}

const kubeError = (crd: string) => (error: KubeApiError.KubeApiError) =>
  new CrdStorageMigrationError({ reason: "KubeApi", crd, message: error.message })

/** Attempts of one object write or the status write before a Conflict is given up on. */
const conflictAttempts = 5

/** Writes one object back unchanged; re-reads it on Conflict. Returns false when it no longer exists. */
const rewrite = (resource: Resource.Resource, object: KubeObject) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const name = object.metadata?.name ?? ""
    const namespace = object.metadata?.namespace
    let current = object
    for (let attempt = 1; ; attempt++) {
      const written = yield* kube.update(resource, current).pipe(
        Effect.as(true),
        Effect.catchIf(
          (e) => KubeApiError.isConflict(e) && attempt < conflictAttempts,
          () => Effect.succeed(false)
        )
      )
      if (written) return true
      // Someone wrote it after our list: take their version and write that back (it may predate the switch).
      current = yield* kube.get(resource, name, { namespace })
    }
  }).pipe(Effect.catchIf(KubeApiError.isNotFound, () => Effect.succeed(false)))

/** Rewrites every object of `resource` in `namespace`, page by page; returns how many were written. */
const rewriteAll = (resource: Resource.Resource, namespace: string, pageSize: number) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    let token: string | undefined = undefined
    let rewritten = 0
    do {
      const page: {
        readonly items: ReadonlyArray<KubeObject>
        readonly metadata: { readonly continue?: string | undefined }
      } = yield* kube.list(resource, { namespace, limit: pageSize, continue: token })
      for (const object of page.items) {
        if (yield* rewrite(resource, object)) rewritten++
      }
      token = page.metadata.continue || undefined
    } while (token !== undefined)
    return rewritten
  })

/**
 * Migrates one CRD (steps 1–3 above).
 *
 * @category migration
 * @since 0.1.0
 */
export const migrateCrd = Effect.fn("CrdStorageMigration.migrateCrd")(function* (
  target: MigrationTarget,
  options: MigrationOptions
) {
  const kube = yield* KubeClient
  const fail = kubeError(target.crd)
  const crd = yield* kube.get<Crd>(Resources.CustomResourceDefinition, target.crd).pipe(
    Effect.map((c): Crd | undefined => c),
    Effect.catchIf(KubeApiError.isNotFound, () => Effect.succeed(undefined)),
    Effect.mapError(fail)
  )
  if (crd === undefined) {
    yield* Effect.logInfo("CRD not found, skipped storage migration.").pipe(Effect.annotateLogs({ crd: target.crd }))
    return { _tag: "CrdNotFound", crd: target.crd } satisfies CrdOutcome as CrdOutcome
  }
  const storedVersions = crd.status?.storedVersions ?? []
  if (storedVersions.length === 0) {
    yield* Effect.logInfo("CRD has no stored versions, skipped storage migration.").pipe(
      Effect.annotateLogs({ crd: target.crd })
    )
    return { _tag: "NoStoredVersions", crd: target.crd } satisfies CrdOutcome as CrdOutcome
  }
  const storageVersion = storageVersionOf(crd)
  if (storageVersion === undefined) {
    return yield* new CrdStorageMigrationError({
      reason: "NoStorageVersion",
      crd: target.crd,
      message: `the CRD ${target.crd} has no storage version`
    })
  }
  if (isUpToDate(storedVersions, storageVersion)) {
    yield* Effect.logInfo("CRD stores a single, current version; no storage migration needed.").pipe(
      Effect.annotateLogs({ crd: target.crd, storageVersion })
    )
    return { _tag: "UpToDate", crd: target.crd, storageVersion } satisfies CrdOutcome as CrdOutcome
  }
  yield* Effect.logInfo("Started CRD storage migration.").pipe(
    Effect.annotateLogs({ crd: target.crd, storedVersions: storedVersions.join(","), storageVersion })
  )
  const resource = { ...target.resource, version: storageVersion }
  const rewritten = yield* rewriteAll(resource, options.namespace, options.pageSize ?? 100).pipe(
    // An expired continue token (410): start over with a fresh list; rewriting an object twice is harmless.
    Effect.retry({ times: 2, while: KubeApiError.isGone }),
    Effect.mapError(fail)
  )
  yield* trimStoredVersions(target.crd, storageVersion)
  yield* Effect.logInfo("Finished CRD storage migration.").pipe(
    Effect.annotateLogs({ crd: target.crd, storageVersion, rewritten })
  )
  return {
    _tag: "Migrated",
    crd: target.crd,
    storageVersion,
    previousStoredVersions: storedVersions,
    rewritten
  } satisfies CrdOutcome as CrdOutcome
})

/** Sets `status.storedVersions` to `[storageVersion]`, if the CRD still stores that version. */
const trimStoredVersions = (crdName: string, storageVersion: string) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    for (let attempt = 1; ; attempt++) {
      const crd = yield* kube
        .get<Crd>(Resources.CustomResourceDefinition, crdName)
        .pipe(Effect.mapError(kubeError(crdName)))
      const current = storageVersionOf(crd)
      if (current !== storageVersion) {
        return yield* new CrdStorageMigrationError({
          reason: "StorageVersionChanged",
          crd: crdName,
          message: `the storage version of ${crdName} changed from ${storageVersion} to ${current ?? "none"} during the migration`
        })
      }
      const updated = yield* kube
        .updateStatus(Resources.CustomResourceDefinition, {
          ...crd,
          status: { ...crd.status, storedVersions: [storageVersion] }
        })
        .pipe(
          Effect.as(true),
          Effect.catchIf(
            (e) => KubeApiError.isConflict(e) && attempt < conflictAttempts,
            () => Effect.succeed(false)
          ),
          Effect.mapError(kubeError(crdName))
        )
      if (updated) return
    }
  })

/**
 * One migration of every target CRD, in order; the first failure stops it.
 *
 * @category migration
 * @since 0.1.0
 */
export const run = Effect.fn("CrdStorageMigration.run")(function* (options: MigrationOptions) {
  const outcomes: Array<CrdOutcome> = []
  for (const target of options.targets ?? targets) outcomes.push(yield* migrateCrd(target, options))
  return outcomes as ReadonlyArray<CrdOutcome>
})

/** Fails with WebhookNotReady unless the webhook Deployment is ready; `false` when it does not exist. */
const webhookReady = (namespace: string) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const deployment = yield* kube.get<Deployment>(Resources.Deployment, webhookDeploymentName, { namespace }).pipe(
      Effect.map((d): Deployment | undefined => d),
      Effect.catchIf(KubeApiError.isNotFound, () => Effect.succeed(undefined)),
      Effect.mapError(kubeError("-"))
    )
    if (deployment === undefined) return false
    if (!isDeploymentReady(deployment)) {
      return yield* new CrdStorageMigrationError({
        reason: "WebhookNotReady",
        crd: "-",
        message: `the Deployment ${namespace}/${webhookDeploymentName} is not ready yet`
      })
    }
    return true
  })

/**
 * `--retry`: waits for the webhook Deployment to be ready, then migrates; tries again after every failure with
 * a capped exponential backoff, until it succeeds (or the webhook Deployment does not exist: nothing to do).
 *
 * @category migration
 * @since 0.1.0
 */
export const runWithRetry = Effect.fn("CrdStorageMigration.runWithRetry")(function* (options: RetryOptions) {
  const maxDelay = Duration.fromInputUnsafe(options.maxDelay ?? "10 seconds")
  const attempt = Effect.gen(function* () {
    if (!(yield* webhookReady(options.namespace))) {
      yield* Effect.logInfo("No webhook Deployment found, skipped CRD storage migration.").pipe(
        Effect.annotateLogs({ namespace: options.namespace })
      )
      return { _tag: "WebhookDeploymentMissing" } satisfies RetryOutcome as RetryOutcome
    }
    return { _tag: "Done", crds: yield* run(options) } satisfies RetryOutcome as RetryOutcome
  })
  return yield* attempt.pipe(
    Effect.tapError((error) =>
      Effect.logInfo("CRD storage migration not done yet; trying again.").pipe(
        Effect.annotateLogs({ reason: error.message })
      )
    ),
    Effect.retry(
      Schedule.exponential(options.baseDelay ?? "1 second", 2).pipe(
        Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, maxDelay)))
      )
    )
  )
})
