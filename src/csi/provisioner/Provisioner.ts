/**
 * The provisioner's reconcile of one DynaKube (spec §5.5), run by a `runtime/Controller` (one reconcile per key,
 * backoff on errors, `requeueAfter`):
 *
 * 1. DynaKube gone ⇒ garbage collection now; no requeue.
 * 2.–7. `ProvisionPlan.plan` decides: clean up only (requeue 30 min), wait for `status.codeModules` (1 min),
 *    refuse what is not implemented (terminal), or install: create `_dynakubes/<dk>` and `codemodules`, make sure
 *    `codemodules/<version>` exists (downloaded and extracted once per node, see `CodeModuleStore`), then point
 *    `latest-codemodule` at it. A tenant answering 429/503 (after the client's own retries) requeues after 1 min
 *    without counting as an error; other failures go to the controller's backoff.
 * 8. Throttled garbage collection; requeue 5 min.
 *
 * Level-based and idempotent: a second reconcile of a provisioned DynaKube touches neither the tenant nor the
 * Kubernetes API (the DynaKube comes from the informer, the token Secret is read only to download) and writes
 * nothing.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as Controller from "../../programs/operator/runtime/Controller.ts"
import { CodeModuleDownloads } from "./CodeModuleDownloads.ts"
import { CodeModuleStore } from "./CodeModuleStore.ts"
import { DynaKubeSource } from "./DynaKubeSource.ts"
import { GarbageCollector } from "./GarbageCollector.ts"
import * as GcPlan from "./GcPlan.ts"
import * as ProvisionPlan from "./ProvisionPlan.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface ProvisionerOptions extends ProvisionPlan.PlanOptions {
  readonly requeues: ProvisionPlan.Requeues
}

/**
 * The controller name (logs and the controller-runtime metrics).
 *
 * @category constants
 * @since 0.1.0
 */
export const controllerName = "provisioner-controller"

/**
 * The services a reconcile needs.
 *
 * @category models
 * @since 0.1.0
 */
export type Services = DynaKubeSource | CodeModuleStore | GarbageCollector | CodeModuleDownloads

/**
 * What garbage collection needs to know about the DynaKubes that exist.
 *
 * @category constructors
 * @since 0.1.0
 */
export const liveDynaKubes = (dynakubes: ReadonlyArray<ProvisionPlan.ProvisionerDynaKube>) =>
  dynakubes
    .filter((dk) => dk.metadata?.name !== undefined)
    .map((dk): GcPlan.LiveDynaKube => {
      const needs = ProvisionPlan.needsOf(dk)
      return {
        name: dk.metadata!.name!,
        appInjection: needs.appInjection,
        readOnlyHostAgent: needs.readOnlyHostAgent,
        tenantUuid: GcPlan.tenantUuidFromApiUrl(dk.spec?.apiUrl)
      }
    })

/**
 * Reconciles the DynaKube with key `namespace/name`.
 *
 * @category reconcile
 * @since 0.1.0
 */
export const reconcile = Effect.fn("Provisioner.reconcile")(
  function* (key: string, options: ProvisionerOptions) {
    const source = yield* DynaKubeSource
    const store = yield* CodeModuleStore
    const gc = yield* GarbageCollector
    const downloads = yield* CodeModuleDownloads
    const live = source.list.pipe(Effect.map(liveDynaKubes))

    const found = yield* source.get(key)
    if (found._tag === "None") {
      const result = yield* gc.runNow(yield* live)
      yield* Effect.logInfo("Cleaned up after the DynaKube was deleted.").pipe(
        Effect.annotateLogs({ removed: result.removed.length })
      )
      return Controller.done
    }
    const dk = found.value
    const name = dk.metadata?.name ?? ""
    const decided = ProvisionPlan.plan(dk, options)

    switch (decided._tag) {
      case "CleanupOnly": {
        if (decided.createDirectories) yield* store.createDirectories(name)
        yield* Effect.logDebug("The DynaKube needs no code module on this node; cleaning up only.").pipe(
          Effect.annotateLogs({ reason: decided.reason })
        )
        yield* gc.runThrottled(yield* live)
        return Controller.requeueAfter(options.requeues.idle)
      }
      case "WaitForStatus": {
        yield* Effect.logInfo("The DynaKube's code-module version is not resolved yet; requeuing.")
        return Controller.requeueAfter(options.requeues.short)
      }
      case "Unsupported":
        return yield* new Controller.TerminalError({ message: decided.message })
      case "Install": {
        yield* store.createDirectories(name)
        const installed = yield* store
          .shared(
            Effect.gen(function* () {
              const outcome = yield* store.ensure(decided.dirName, (zip) =>
                downloads.download(dk, decided.version, zip)
              )
              const switched = yield* store.pointLatest(name, decided.dirName)
              return { outcome, switched }
            })
          )
          .pipe(
            Effect.map((value) => ({ _tag: "Done" as const, ...value })),
            Effect.catchTag("ProvisionError", (error) =>
              error.reason === "TenantUnreachable"
                ? Effect.logWarning("The tenant is unreachable (429/503); requeuing.").pipe(
                    Effect.annotateLogs({ error: error.message }),
                    Effect.as({ _tag: "Unreachable" as const })
                  )
                : Effect.fail(error)
            )
          )
        if (installed._tag === "Unreachable") return Controller.requeueAfter(options.requeues.short)
        if (installed.outcome === "installed" || installed.switched) {
          yield* Effect.logInfo("Provisioned the code module.").pipe(
            Effect.annotateLogs({ version: decided.version, outcome: installed.outcome, switched: installed.switched })
          )
        }
        yield* gc.runThrottled(yield* live)
        return Controller.requeueAfter(options.requeues.installed)
      }
    }
  },
  Effect.annotateLogs({ controller: controllerName })
)
