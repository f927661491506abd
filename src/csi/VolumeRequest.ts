/**
 * NodePublishVolume and NodeUnpublishVolume requests, decoded and validated into the values the publishers work
 * with (spec §5.2). Every check that can fail with `InvalidArgument` happens here, in the spec's order: volume
 * ID, target path, volume capability (mount, not block), then the volume context of an ephemeral inline volume:
 *
 * | key                                   | required | rule                                        |
 * |---------------------------------------|----------|---------------------------------------------|
 * | `csi.storage.k8s.io/pod.name`         | yes      | DNS-1123 subdomain (it becomes a path name)  |
 * | `csi.storage.k8s.io/pod.namespace`    | yes      | DNS-1123 label                              |
 * | `csi.storage.k8s.io/pod.uid`          | no       | kept for logs                               |
 * | `csi.storage.k8s.io/ephemeral`        | no       | `"false"` is refused: only inline volumes   |
 * | `mode`                                | yes      | `app` or `host`; any other value is `Internal` at dispatch, as in the original |
 * | `dynakube`                            | yes      | DNS-1035 label                              |
 * | `retryTimeout`                        | no       | Go duration ≥ 0, default `10m`              |
 *
 * Volume IDs become directory names (`appmounts/<volumeID>`) and overlayfs options, so they are limited to
 * `[A-Za-z0-9._-]`, starting with a letter or digit, at most 128 bytes (the CSI limit); the kubelet's IDs for
 * inline volumes (`csi-<sha256>`) fit.
 *
 * Its functions are untraced: they run inside the span of `NodeService.publish`/`unpublish` (see NodeService).
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option } from "effect"
import * as CsiError from "./CsiError.ts"
import type { NodePublishVolumeRequest, NodeUnpublishVolumeRequest } from "./CsiProto.ts"
import * as GoDuration from "../services/certs/GoDuration.ts"
import * as TargetPath from "./TargetPath.ts"

/** Volume context keys the kubelet and the webhook set. @category constants @since 0.1.0 */
export const ContextKeys = {
  podName: "csi.storage.k8s.io/pod.name",
  podNamespace: "csi.storage.k8s.io/pod.namespace",
  podUid: "csi.storage.k8s.io/pod.uid",
  serviceAccount: "csi.storage.k8s.io/serviceAccount.name",
  ephemeral: "csi.storage.k8s.io/ephemeral",
  mode: "mode",
  dynakube: "dynakube",
  retryTimeout: "retryTimeout"
} as const

/** The two volume modes (`mode` attribute). @category constants @since 0.1.0 */
export const AppMode = "app"
export const HostMode = "host"

/** `retryTimeout` when the attribute is absent. @category constants @since 0.1.0 */
export const DefaultRetryTimeout: Duration.Duration = Duration.minutes(10)

/** The pod a volume is published for. @category models @since 0.1.0 */
export interface PodInfo {
  readonly name: string
  readonly namespace: string
  readonly uid: string | undefined
}

/** A validated NodePublishVolume request. @category models @since 0.1.0 */
export interface PublishRequest {
  readonly volumeId: string
  /** Absolute, clean, inside the kubelet pods directory. */
  readonly targetPath: string
  readonly readOnly: boolean
  /** As sent; only `app` and `host` are served (see `AppMode`, `HostMode`). */
  readonly mode: string
  readonly dynakube: string
  readonly retryTimeout: Duration.Duration
  readonly pod: PodInfo
}

/** A validated NodeUnpublishVolume request. @category models @since 0.1.0 */
export interface UnpublishRequest {
  readonly volumeId: string
  readonly targetPath: string
}

const volumeIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

const validateVolumeId = (raw: string | undefined): Effect.Effect<string, CsiError.CsiError> => {
  const id = raw ?? ""
  if (id === "") return Effect.fail(CsiError.invalidArgument("volume_id is required"))
  if (Buffer.byteLength(id) > 128 || !volumeIdPattern.test(id)) {
    return Effect.fail(
      CsiError.invalidArgument(
        `volume_id ${JSON.stringify(id)} must be at most 128 characters of [A-Za-z0-9._-], starting with a letter or digit`
      )
    )
  }
  return Effect.succeed(id)
}

const requireMatch = (
  context: Readonly<Record<string, string>>,
  key: string,
  pattern: RegExp,
  maxLength: number,
  what: string
): Effect.Effect<string, CsiError.CsiError> => {
  const value = context[key] ?? ""
  if (value === "") return Effect.fail(CsiError.invalidArgument(`volume context ${key} is required`))
  if (value.length > maxLength || !pattern.test(value)) {
    return Effect.fail(CsiError.invalidArgument(`volume context ${key}=${JSON.stringify(value)} is not a ${what}`))
  }
  return Effect.succeed(value)
}

/**
 * Validates a NodePublishVolume request; `podsDir` is the kubelet's pods directory targets must lie in.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodePublish = Effect.fnUntraced(function* (request: NodePublishVolumeRequest, podsDir: string) {
  const volumeId = yield* validateVolumeId(request.volume_id)
  const targetPath = yield* TargetPath.validate(request.target_path ?? "", podsDir, "target_path")
  const capability = request.volume_capability
  if (capability === undefined || capability === null) {
    return yield* CsiError.invalidArgument("volume_capability is required")
  }
  if (capability.block !== undefined && capability.block !== null) {
    return yield* CsiError.invalidArgument("block volumes are not supported, only mount volumes")
  }
  if (capability.mount === undefined || capability.mount === null) {
    return yield* CsiError.invalidArgument("volume_capability must be a mount volume")
  }

  const context = request.volume_context ?? {}
  if (context[ContextKeys.ephemeral] === "false") {
    return yield* CsiError.invalidArgument(
      "only ephemeral inline volumes are supported (csi.storage.k8s.io/ephemeral is false)"
    )
  }
  const podName = yield* requireMatch(context, ContextKeys.podName, dns1123Subdomain, 253, "pod name")
  const podNamespace = yield* requireMatch(context, ContextKeys.podNamespace, dns1123Label, 63, "namespace name")
  const mode = context[ContextKeys.mode] ?? ""
  if (mode === "") return yield* CsiError.invalidArgument(`volume context ${ContextKeys.mode} is required`)
  const dynakube = yield* requireMatch(context, ContextKeys.dynakube, dns1035Label, 63, "DynaKube name (DNS-1035)")

  const rawTimeout = context[ContextKeys.retryTimeout] ?? ""
  let retryTimeout = DefaultRetryTimeout
  if (rawTimeout !== "") {
    const parsed = GoDuration.parse(rawTimeout).pipe(Option.filter((d) => Duration.toMillis(d) >= 0))
    if (Option.isNone(parsed)) {
      return yield* CsiError.invalidArgument(
        `volume context ${ContextKeys.retryTimeout}=${JSON.stringify(rawTimeout)} is not a duration such as 10m or 1h30m`
      )
    }
    retryTimeout = parsed.value
  }

  const uid = context[ContextKeys.podUid]
  return {
    volumeId,
    targetPath,
    readOnly: request.readonly === true,
    mode,
    dynakube,
    retryTimeout,
    pod: { name: podName, namespace: podNamespace, uid: uid === undefined || uid === "" ? undefined : uid }
  } satisfies PublishRequest
})

/**
 * Validates a NodeUnpublishVolume request.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeUnpublish = Effect.fnUntraced(function* (request: NodeUnpublishVolumeRequest, podsDir: string) {
  const volumeId = yield* validateVolumeId(request.volume_id)
  const targetPath = yield* TargetPath.validate(request.target_path ?? "", podsDir, "target_path")
  return { volumeId, targetPath } satisfies UnpublishRequest
})
