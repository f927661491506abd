/**
 * `dynatrace-operator crd-storage-migration`: Rewrite stored DynaKubes in the CRD's storage version and trim status.storedVersions (Helm upgrade).
 * (Not implemented yet: being written.)
 */
import { Effect } from "effect"
import { Command } from "effect/cli"

export const crdStorageMigrationCommand = Command.make("crd-storage-migration", {}, () =>
  Effect.die(new Error("crd-storage-migration is not implemented yet"))
).pipe(
  Command.withDescription(
    "Rewrite stored DynaKubes in the CRD's storage version and trim status.storedVersions (Helm upgrade)."
  )
)
