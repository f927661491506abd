/**
 * `troubleshoot`: checks a live install the way the original does (spec §7) and returns a report.
 *
 * 1. Cluster facts: namespace, CRDs, operator Deployment, the DynaKubes (`ClusterChecks`).
 * 2. Per DynaKube (all of the namespace, or `--dynakube`): spec, API URL, tokens and their scopes against the
 *    tenant, latest agent version, pull secret, proxy, status, OneAgent and ActiveGate (`DynaKubeChecks`).
 * 3. The webhook: Deployment, Service endpoints, webhook configurations, CRD conversion, certificate validity and
 *    caBundles (`WebhookChecks`).
 *
 * The DynaKubes are checked one after the other (each may call the tenant); nothing is written anywhere.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { NodeFileSystem } from "@effect/platform-node"
import { ResponseCache } from "../../services/dynatrace/ResponseCache.ts"
import * as Check from "./Check.ts"
import * as ClusterChecks from "./ClusterChecks.ts"
import * as DynaKubeChecks from "./DynaKubeChecks.ts"
import * as Gather from "./Gather.ts"
import type { Report } from "./Report.ts"
import * as WebhookChecks from "./WebhookChecks.ts"

export type { GatherOptions as TroubleshootOptions } from "./Gather.ts"

/**
 * Gathers and checks everything; never fails (unreadable things are failed checks).
 * @category running
 * @since 0.1.0
 */
export const run = Effect.fn("Troubleshoot.run")(
  function* (options: Gather.GatherOptions) {
    const cluster = yield* Gather.cluster(options)
    const checks: Array<Check.CheckResult> = [...Check.about(ClusterChecks.subject, ClusterChecks.all(cluster))]
    const namespaceThere = cluster.namespaceExists._tag === "Found"
    if (namespaceThere) {
      for (const name of ClusterChecks.dynakubesToCheck(cluster)) {
        const facts = yield* Gather.dynakube(options, name)
        const subject = Check.dynakubeSubject(options.namespace, name)
        if (facts._tag === "Found") checks.push(...Check.about(subject, DynaKubeChecks.all(facts.value)))
        else {
          const why = facts._tag === "Failed" ? `could not be read: ${facts.reason}` : "was deleted meanwhile"
          checks.push(...Check.about(subject, [Check.fail("dynakube", `DynaKube ${options.namespace}/${name} ${why}`)]))
        }
      }
      const webhook = yield* Gather.webhook(options, cluster.dynakubeCrd)
      checks.push(...Check.about(WebhookChecks.subject, WebhookChecks.all(webhook)))
    }
    const report: Report = { namespace: options.namespace, operatorVersion: options.operatorVersion, checks }
    return report
  },
  Effect.provide(Layer.mergeAll(Layer.fresh(ResponseCache.layer), NodeFileSystem.layer))
)
