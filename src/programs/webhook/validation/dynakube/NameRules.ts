/**
 * The DynaKube's name: a DNS-1035 label, and short enough that the names of the objects derived from it still
 * fit Kubernetes' 63-character label values. The limit is 40, lower with features whose StatefulSet or DaemonSet
 * names add long suffixes (pod names and `controller-revision-hash` labels must stay within 63 characters).
 *
 * @since 0.1.0
 */
import * as Finding from "../Finding.ts"
import { isDns1035Label } from "../support/KubeNames.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as View from "./View.ts"

const maxPodNameLength = 63
/** A StatefulSet pod gets `-<10-char hash>` in its revision label. */
const maxStatefulSetNameLength = maxPodNameLength - 10 - 1
/** A DaemonSet pod gets `-<5 chars>`. */
const maxDaemonSetNameLength = maxPodNameLength - 5 - 1

/** @category constants @since 0.1.0 */
export const maxNameLength = 40
/** `<dk>-extension-controller` StatefulSet. @category constants @since 0.1.0 */
export const maxNameLengthWithExtensions = maxStatefulSetNameLength - "-extension-controller".length
/** `<dk>-otel-collector` StatefulSet. @category constants @since 0.1.0 */
export const maxNameLengthWithTelemetryIngest = maxStatefulSetNameLength - "-otel-collector".length
/** `<dk>-node-config-collector` DaemonSet. @category constants @since 0.1.0 */
export const maxNameLengthWithKspm = maxDaemonSetNameLength - "-node-config-collector".length

/** @category messages @since 0.1.0 */
export const messages = {
  notDns1035:
    "The DynaKube's name is not a DNS-1035 label: it must consist of lower-case alphanumeric characters or '-', start with a letter and end with an alphanumeric character (e.g. 'my-name' or 'abc-123').",
  tooLong: (limit: number, reason: string | undefined) =>
    `The DynaKube's name may be at most ${limit} characters long, because the names of the objects created for it (e.g. <name>-activegate-<hash>) are used as label values, which Kubernetes limits to 63 characters.${reason === undefined ? "" : ` ${reason}`}`
} as const

/** @category rules @since 0.1.0 */
export const invalidName = Finding.error("invalidName", (ctx: DynaKubeContext) => {
  const name = ctx.name
  // generateName creates have no name yet; the apiserver checks the generated one.
  if (name === "") return undefined
  let limit = maxNameLength
  let reason: string | undefined
  if (View.isExtensionsEnabled(ctx.spec)) {
    limit = Math.min(limit, maxNameLengthWithExtensions)
    reason = "With extensions, some objects need a shorter name."
  }
  if (View.isTelemetryIngestEnabled(ctx.spec)) {
    limit = Math.min(limit, maxNameLengthWithTelemetryIngest)
    reason = "With OpenTelemetry collectors, some objects need a shorter name."
  }
  if (View.isKspmEnabled(ctx.spec)) {
    limit = Math.min(limit, maxNameLengthWithKspm)
    reason = "With KSPM, some objects need a shorter name."
  }
  if (name.length > limit) return messages.tooLong(limit, reason)
  return isDns1035Label(name) ? undefined : messages.notDns1035
})
