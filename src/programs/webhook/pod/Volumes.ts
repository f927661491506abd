/**
 * The volumes added to an injected pod (spec §3.4):
 *
 * | volume             | source                                                                                |
 * |--------------------|---------------------------------------------------------------------------------------|
 * | `dynatrace-input`  | projected: Secret `dynatrace-bootstrapper-config`, Secret `dynatrace-bootstrapper-certs` (optional) |
 * | `dynatrace-config` | emptyDir (sizeLimit from `volume.dynatrace.com/dynatrace-config`)                    |
 * | `oneagent-bin`     | CSI `csi.oneagent.dynatrace.com` (read-only; `mode: app`, `dynakube`, `retryTimeout`), or emptyDir (sizeLimit from `volume.dynatrace.com/oneagent-bin`) |
 *
 * A volume of the pod with one of these names and the same source type is reused; with another source type it is
 * a conflict (`ConflictingVolumeType`), and the pod is admitted without injection.
 *
 * @since 0.1.0
 */
import { Option } from "effect"
import type { Pod, Volume } from "../../../schemas/Pod.ts"
import { volumeSource } from "../../../schemas/Pod.ts"
import * as Keys from "../Keys.ts"
import type { Delivery } from "./InjectionPolicy.ts"

/** A Kubernetes quantity (`1Gi`, `500M`, `1.5e3`); anything else is not used as a size limit. @category helpers @since 0.1.0 */
export const isQuantity = (text: string): boolean =>
  /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/.test(text)

const emptyDir = (sizeLimit: string | undefined) =>
  sizeLimit !== undefined && isQuantity(sizeLimit.trim()) ? { sizeLimit: sizeLimit.trim() } : {}

/** `dynatrace-input`. @category volumes @since 0.1.0 */
export const inputVolume = (): Volume => ({
  name: Keys.names.inputVolume,
  projected: {
    sources: [
      { secret: { name: Keys.names.bootstrapperConfigSecret, optional: false } },
      { secret: { name: Keys.names.bootstrapperCertsSecret, optional: true } }
    ]
  }
})

/** `dynatrace-config`. @category volumes @since 0.1.0 */
export const configVolume = (pod: Pod): Volume => ({
  name: Keys.names.configVolume,
  emptyDir: emptyDir(pod.metadata.annotations?.[Keys.input.configVolumeSize])
})

/** `oneagent-bin`. @category volumes @since 0.1.0 */
export const binVolume = (pod: Pod, delivery: Delivery, dynakube: string, retryTimeout: string): Volume =>
  delivery === "csi"
    ? {
        name: Keys.names.binVolume,
        csi: {
          driver: Keys.names.csiDriver,
          readOnly: true,
          volumeAttributes: { mode: "app", dynakube, retryTimeout }
        }
      }
    : { name: Keys.names.binVolume, emptyDir: emptyDir(pod.metadata.annotations?.[Keys.input.binVolumeSize]) }

/** A conflict found among the pod's volumes. @category models @since 0.1.0 */
export interface Conflict {
  readonly volume: string
  /** which result annotations record it */
  readonly keys: Keys.ResultKeys
  readonly message: string
}

/** The first volume of ours that the pod already has with another source type. @category conflicts @since 0.1.0 */
export const conflict = (pod: Pod, wanted: ReadonlyArray<Volume>): Option.Option<Conflict> => {
  for (const volume of wanted) {
    const existing = (pod.spec.volumes ?? []).find((v) => v.name === volume.name)
    if (existing === undefined) continue
    const have = volumeSource(existing)
    const want = volumeSource(volume)
    if (have !== want) {
      return Option.some({
        volume: volume.name,
        keys: volume.name === Keys.names.binVolume ? Keys.output.oneAgent : Keys.output.volume,
        message: `The pod already has a volume ${volume.name} of type ${have ?? "none"}; ${want ?? "none"} is needed.`
      })
    }
  }
  return Option.none()
}

/** Adds the volumes the pod does not have yet (by name). @category mutation @since 0.1.0 */
export const add = (
  volumes: ReadonlyArray<Volume> | undefined,
  wanted: ReadonlyArray<Volume>
): ReadonlyArray<Volume> => {
  const current = volumes ?? []
  const missing = wanted.filter((v) => !current.some((c) => c.name === v.name))
  return missing.length === 0 ? current : [...current, ...missing]
}
