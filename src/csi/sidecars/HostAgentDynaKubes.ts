/**
 * Which DynaKubes of the operator namespace use a read-only host agent (`cloudNativeFullStack` or
 * `hostMonitoring`), and which tenant each belongs to: what `csi-init` needs to migrate legacy host-agent
 * directories, which were named after the tenant UUID rather than the DynaKube.
 *
 * The namespace is `POD_NAMESPACE` when set, else the pod's own service-account namespace, else `dynatrace` (the
 * chart does not pass `POD_NAMESPACE` to the init container).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { serviceAccountDirectory } from "../../services/kube/KubeConfigLoader.ts"
import * as Resources from "../../services/kube/Resources.ts"
import { KubeClient } from "../../services/KubeClient.ts"
import { tenantUuidFromApiUrl } from "../provisioner/GcPlan.ts"
import { needsOf, type ProvisionerDynaKube } from "../provisioner/ProvisionPlan.ts"
import type { HostAgentDynaKube } from "./DataDirInit.ts"

/**
 * The DynaKubes among `objects` with a read-only host agent and a tenant UUID in their API URL.
 *
 * @category decisions
 * @since 0.1.0
 */
export const fromObjects = (objects: ReadonlyArray<ProvisionerDynaKube>): ReadonlyArray<HostAgentDynaKube> =>
  objects.flatMap((dk) => {
    const name = dk.metadata?.name
    const tenantUuid = tenantUuidFromApiUrl(dk.spec?.apiUrl)
    return name !== undefined && tenantUuid !== undefined && needsOf(dk).readOnlyHostAgent ? [{ name, tenantUuid }] : []
  })

/**
 * The namespace to list DynaKubes in.
 *
 * @category config
 * @since 0.1.0
 */
export const namespaceOf = (env: Readonly<Record<string, string | undefined>>): Effect.Effect<string> =>
  env.POD_NAMESPACE !== undefined && env.POD_NAMESPACE.trim() !== ""
    ? Effect.succeed(env.POD_NAMESPACE.trim())
    : Effect.promise(() =>
        fs
          .readFile(path.join(serviceAccountDirectory, "namespace"), "utf8")
          .then((text) => text.trim() || "dynatrace")
          .catch(() => "dynatrace")
      )

/**
 * Lists them in `namespace`.
 *
 * @category queries
 * @since 0.1.0
 */
export const list = Effect.fn("HostAgentDynaKubes.list")(function* (namespace: string) {
  const kube = yield* KubeClient
  const result = yield* kube.listAll<ProvisionerDynaKube>(Resources.DynaKube, { namespace })
  return fromObjects(result.items)
})
