/**
 * `dynatrace-operator crd-storage-migration`: rewrites the stored DynaKubes and EdgeConnects of the operator
 * namespace in their CRD's current storage version and trims `status.storedVersions` to it (spec §1.1, §7;
 * `src/programs/crdmigration/CrdStorageMigration.ts`). The chart runs it twice on `helm upgrade`:
 *
 * - the pre-upgrade hook Job, without flags: one attempt, a failure fails the Job;
 * - the operator's `crd-storage-migrator` init container, with `--retry`: waits for the `dynatrace-webhook`
 *   Deployment to be ready and tries again (backoff up to 10 s) until the migration succeeds.
 *
 * | flag / env      | default     |
 * |-----------------|-------------|
 * | `--retry`       | `false`     |
 * | `POD_NAMESPACE` | `dynatrace` |
 *
 * @since 0.1.0
 */
import { Config, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { KubeClient } from "../../services/KubeClient.ts"
import * as CrdStorageMigration from "../crdmigration/CrdStorageMigration.ts"

const retry = Flag.Boolean("retry").pipe(
  Flag.withDescription("Wait for the webhook Deployment and retry until the migration completes."),
  Flag.withDefault(false)
)

/** @category commands @since 0.1.0 */
export const crdStorageMigrationCommand = Command.make(
  "crd-storage-migration",
  { retry },
  Effect.fn("crd-storage-migration-command")(function* (flags) {
    const namespace = yield* Config.String("POD_NAMESPACE").pipe(Config.withDefault("dynatrace"))
    const program: Effect.Effect<unknown, CrdStorageMigration.CrdStorageMigrationError, KubeClient> = flags.retry
      ? CrdStorageMigration.runWithRetry({ namespace })
      : CrdStorageMigration.run({ namespace })
    yield* program.pipe(Effect.provide(KubeClient.layer))
  })
).pipe(
  Command.withDescription(
    "Rewrite the stored DynaKubes and EdgeConnects in their CRD's storage version and trim status.storedVersions (Helm upgrade)."
  )
)
