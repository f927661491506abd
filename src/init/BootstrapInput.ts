/**
 * The inputs of `bootstrap` (spec §4.1): the flags the webhook puts on the init container (§3.3), the pod env
 * (`K8S_PODNAME`, `K8S_PODUID`, `K8S_NODE_NAME`) and the operator env (`DT_EXTRACT_CODEMODULES_IMAGE_LINKS`,
 * `DT_CLIENT_CONNECTION_TIMEOUT`).
 *
 * The CLI keeps flags as raw strings (`RawFlags`); this module turns them into a validated `BootstrapInput` or an
 * `InvalidBootstrapInput` naming the flag. Validation happens here, inside the failure policy, rather than in the
 * CLI parser, so a malformed value under policy "silent" still lets the pod start.
 *
 * Kubernetes expands `$(K8S_PODNAME)` in args from the container's env; when it did not (the variable was unset
 * at the time), the reference arrives literally and is expanded here from the same env.
 *
 * @since 0.1.0
 */
import { Duration, Option, Result, Schema } from "effect"
import * as path from "node:path"

/**
 * Why the inputs were refused.
 *
 * @category errors
 * @since 0.1.0
 */
export const InvalidInputReason = Schema.Literals([
  "InvalidInstallPath",
  "InvalidAttribute",
  "InvalidContainerAttribute",
  "MissingTenant",
  "MissingDownloadUrl",
  "InvalidFlag",
  "InvalidInputFile",
  "UnreadableInput"
])

/**
 * Bad input: a flag, env value or mounted input file that cannot be used. The message names the flag or file,
 * never a secret value.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidBootstrapInput extends Schema.TaggedError<InvalidBootstrapInput>()("InvalidBootstrapInput", {
  reason: InvalidInputReason,
  message: Schema.String
}) {}

/**
 * One `--attribute-container` value: the container's name and its image split the way the webhook splits it.
 *
 * @category models
 * @since 0.1.0
 */
export const ContainerAttributes = Schema.Struct({
  "k8s.container.name": Schema.String,
  "container_image.registry": Schema.optional(Schema.String),
  "container_image.repository": Schema.optional(Schema.String),
  "container_image.tags": Schema.optional(Schema.String),
  "container_image.digest": Schema.optional(Schema.String)
})

/**
 * @category models
 * @since 0.1.0
 */
export type ContainerAttributes = typeof ContainerAttributes.Type

/**
 * The flags as the CLI parsed them, before validation.
 *
 * @category models
 * @since 0.1.0
 */
export interface RawFlags {
  readonly inputDirectory: Option.Option<string>
  readonly configDirectory: Option.Option<string>
  readonly target: Option.Option<string>
  readonly source: Option.Option<string>
  readonly installPath: Option.Option<string>
  readonly fullstack: boolean
  readonly tenant: Option.Option<string>
  readonly technology: Option.Option<string>
  readonly version: Option.Option<string>
  readonly flavor: Option.Option<string>
  readonly url: Option.Option<string>
  readonly metadataEnrichment: boolean
  readonly enableAttributesDtKubernetes: Option.Option<string>
  readonly suppressError: boolean
  readonly attributes: ReadonlyArray<string>
  readonly attributeContainers: ReadonlyArray<string>
  readonly work: Option.Option<string>
  readonly debug: boolean
  /** Env `K8S_PODNAME`, `K8S_PODUID`, `K8S_NODE_NAME`. */
  readonly podName: Option.Option<string>
  readonly podUid: Option.Option<string>
  readonly nodeName: Option.Option<string>
  /** Env `DT_EXTRACT_CODEMODULES_IMAGE_LINKS`. */
  readonly extractLinks: Option.Option<string>
  /** Env `DT_CLIENT_CONNECTION_TIMEOUT` (Go-style duration or seconds). */
  readonly connectionTimeout: Option.Option<string>
}

/**
 * No flag set, no env (a base for building `RawFlags`).
 *
 * @category constants
 * @since 0.1.0
 */
export const noFlags: RawFlags = {
  inputDirectory: Option.none(),
  configDirectory: Option.none(),
  target: Option.none(),
  source: Option.none(),
  installPath: Option.none(),
  fullstack: false,
  tenant: Option.none(),
  technology: Option.none(),
  version: Option.none(),
  flavor: Option.none(),
  url: Option.none(),
  metadataEnrichment: false,
  enableAttributesDtKubernetes: Option.none(),
  suppressError: false,
  attributes: [],
  attributeContainers: [],
  work: Option.none(),
  debug: false,
  podName: Option.none(),
  podUid: Option.none(),
  nodeName: Option.none(),
  extractLinks: Option.none(),
  connectionTimeout: Option.none()
}

/**
 * What to download when the agent files are not on the volume (only with `--version`).
 *
 * @category models
 * @since 0.1.0
 */
export interface DownloadRequest {
  readonly url: string
  readonly version: string
  readonly flavor: string
  /** Empty = everything (`all`). */
  readonly technologies: ReadonlyArray<string>
  readonly timeout: Duration.Duration
}

/**
 * Validated inputs.
 *
 * @category models
 * @since 0.1.0
 */
export interface BootstrapInput {
  readonly inputDirectory: string | undefined
  readonly configDirectory: string | undefined
  /** The code-module volume (`/mnt/bin`). */
  readonly target: string | undefined
  /** Where the code module is mounted in application containers. */
  readonly installPath: string
  /** `--fullstack --tenant=<uuid>` (cloudNativeFullStack). */
  readonly tenant: string | undefined
  readonly download: DownloadRequest | undefined
  readonly metadataEnrichment: boolean
  readonly enableAttributesDtKubernetes: boolean
  readonly suppressError: boolean
  /** Pod-level attributes in the order given (`$(VAR)` references expanded). */
  readonly attributes: ReadonlyArray<readonly [string, string]>
  readonly containers: ReadonlyArray<ContainerAttributes>
  readonly extractLinks: boolean
  readonly debug: boolean
  /** The pod env (`K8S_PODNAME`, `K8S_PODUID`, `K8S_NODE_NAME`): fallbacks for the matching attributes. */
  readonly podEnv: {
    readonly name: string | undefined
    readonly uid: string | undefined
    readonly nodeName: string | undefined
  }
}

/**
 * The value of a pod attribute: the last `--attribute` with that key, else the pod env for the pod name, pod
 * uid and node name.
 *
 * @category queries
 * @since 0.1.0
 */
export const attribute = (input: BootstrapInput, key: string): string | undefined => {
  for (let i = input.attributes.length - 1; i >= 0; i--) {
    const [k, v] = input.attributes[i]!
    if (k === key) return v
  }
  switch (key) {
    case "k8s.pod.name":
      return input.podEnv.name
    case "k8s.pod.uid":
      return input.podEnv.uid
    case "k8s.node.name":
      return input.podEnv.nodeName
    default:
      return undefined
  }
}

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultInstallPath = "/opt/dynatrace/oneagent"

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultFlavor = "multidistro"

const invalid = (reason: typeof InvalidInputReason.Type, message: string) =>
  new InvalidBootstrapInput({ reason, message })

/**
 * The install-path rule shared with the webhook: absolute, clean, not `/`, no whitespace, no NUL, comma or colon
 * (it ends up in `LD_PRELOAD` and `ld.so.preload`, which split on those).
 *
 * @category validation
 * @since 0.1.0
 */
export const validateInstallPath = (value: string): Result.Result<string, InvalidBootstrapInput> => {
  const refuse = (why: string) =>
    Result.fail(invalid("InvalidInstallPath", `--install-path ${JSON.stringify(value)} is invalid: ${why}.`))
  if (!path.posix.isAbsolute(value)) return refuse("it must be absolute")
  if (value === "/") return refuse("it must not be the root directory")
  if (/[\s\0,:]/.test(value)) return refuse("it must not contain whitespace, NUL, commas or colons")
  if (path.posix.normalize(value) !== value || value.endsWith("/")) return refuse("it must be a clean path")
  return Result.succeed(value)
}

/** Kubernetes container names are DNS-1123 labels; they also become directory names under the config volume. */
const containerNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

const decodeContainer = Schema.decodeUnknownResult(Schema.fromJsonString(ContainerAttributes))

/**
 * Parses one `--attribute-container` JSON value.
 *
 * @category validation
 * @since 0.1.0
 */
export const parseContainer = (json: string): Result.Result<ContainerAttributes, InvalidBootstrapInput> => {
  const decoded = decodeContainer(json)
  if (Result.isFailure(decoded)) {
    return Result.fail(
      invalid(
        "InvalidContainerAttribute",
        `--attribute-container ${JSON.stringify(json)} is not a JSON object with a string "k8s.container.name".`
      )
    )
  }
  const name = decoded.success["k8s.container.name"]
  if (name.length > 63 || !containerNamePattern.test(name)) {
    return Result.fail(
      invalid("InvalidContainerAttribute", `--attribute-container names an invalid container ${JSON.stringify(name)}.`)
    )
  }
  return Result.succeed(decoded.success)
}

const expand = (value: string, env: Readonly<Record<string, string | undefined>>) =>
  value.replace(/\$\((K8S_PODNAME|K8S_PODUID|K8S_NODE_NAME)\)/g, (whole, name: string) => env[name] ?? whole)

/**
 * Parses one `--attribute=<key>=<value>` value (split at the first `=`; the value may be empty).
 *
 * @category validation
 * @since 0.1.0
 */
export const parseAttribute = (
  raw: string,
  env: Readonly<Record<string, string | undefined>> = {}
): Result.Result<readonly [string, string], InvalidBootstrapInput> => {
  const at = raw.indexOf("=")
  const key = at < 0 ? "" : raw.slice(0, at).trim()
  if (key === "" || /[\s=]/.test(key) || /[\r\n\0]/.test(raw)) {
    return Result.fail(invalid("InvalidAttribute", `--attribute ${JSON.stringify(raw)} is not of the form key=value.`))
  }
  return Result.succeed([key, expand(raw.slice(at + 1), env)] as const)
}

const parseBoolean = (flag: string, raw: string): Result.Result<boolean, InvalidBootstrapInput> => {
  const value = raw.trim().toLowerCase()
  if (["true", "1", "yes", "on", "t"].includes(value)) return Result.succeed(true)
  if (["false", "0", "no", "off", "f", ""].includes(value)) return Result.succeed(false)
  return Result.fail(invalid("InvalidFlag", `${flag} ${JSON.stringify(raw)} is not a boolean.`))
}

/** `15m`, `1h30m`, `90s`, `900` (seconds). */
const parseTimeout = (raw: string): Result.Result<Duration.Duration, InvalidBootstrapInput> => {
  const text = raw.trim()
  if (/^\d+$/.test(text)) return Result.succeed(Duration.seconds(Number(text)))
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)]
  if (parts.length > 0 && parts.map((p) => p[0]).join("") === text) {
    const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const
    const millis = parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0)
    if (millis > 0) return Result.succeed(Duration.millis(millis))
  }
  return Result.fail(invalid("InvalidFlag", `DT_CLIENT_CONNECTION_TIMEOUT ${JSON.stringify(raw)} is not a duration.`))
}

const nonEmpty = (o: Option.Option<string>): string | undefined => {
  const value = Option.getOrUndefined(o)?.trim()
  return value === undefined || value === "" ? undefined : value
}

/**
 * Validates the raw flags and env. Fails with the first problem found.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromFlags = (raw: RawFlags): Result.Result<BootstrapInput, InvalidBootstrapInput> =>
  Result.gen(function* () {
    const installPath = yield* validateInstallPath(nonEmpty(raw.installPath) ?? defaultInstallPath)
    const env = {
      K8S_PODNAME: nonEmpty(raw.podName),
      K8S_PODUID: nonEmpty(raw.podUid),
      K8S_NODE_NAME: nonEmpty(raw.nodeName)
    }
    const attributes: Array<readonly [string, string]> = []
    for (const value of raw.attributes) attributes.push(yield* parseAttribute(value, env))

    const containers: Array<ContainerAttributes> = []
    for (const value of raw.attributeContainers) {
      const container = yield* parseContainer(value)
      if (containers.some((c) => c["k8s.container.name"] === container["k8s.container.name"])) {
        return yield* Result.fail(
          invalid("InvalidContainerAttribute", `Container ${container["k8s.container.name"]} is listed twice.`)
        )
      }
      containers.push(container)
    }

    const tenant = nonEmpty(raw.tenant)
    if (raw.fullstack && tenant === undefined) {
      return yield* Result.fail(invalid("MissingTenant", "--fullstack needs --tenant (the tenant UUID)."))
    }

    const technologies = (nonEmpty(raw.technology) ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== "")
    const version = nonEmpty(raw.version)
    let download: DownloadRequest | undefined
    if (version !== undefined) {
      const url = nonEmpty(raw.url)
      if (url === undefined) {
        return yield* Result.fail(invalid("MissingDownloadUrl", "--version needs --url (the tenant API URL)."))
      }
      if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) {
        return yield* Result.fail(invalid("InvalidFlag", `--url ${JSON.stringify(url)} is not an http(s) URL.`))
      }
      const timeoutRaw = nonEmpty(raw.connectionTimeout)
      download = {
        url: url.replace(/\/+$/, ""),
        version,
        flavor: nonEmpty(raw.flavor) ?? defaultFlavor,
        technologies: technologies.includes("all") ? [] : technologies,
        timeout: timeoutRaw === undefined ? Duration.minutes(15) : yield* parseTimeout(timeoutRaw)
      }
    }

    const enableRaw = nonEmpty(raw.enableAttributesDtKubernetes)
    const extractRaw = nonEmpty(raw.extractLinks)
    return {
      inputDirectory: nonEmpty(raw.inputDirectory),
      configDirectory: nonEmpty(raw.configDirectory),
      target: nonEmpty(raw.target),
      installPath,
      tenant: raw.fullstack ? tenant : undefined,
      download,
      metadataEnrichment: raw.metadataEnrichment,
      enableAttributesDtKubernetes:
        enableRaw === undefined ? true : yield* parseBoolean("--enable-attributes-dt-kubernetes", enableRaw),
      suppressError: raw.suppressError,
      attributes,
      containers,
      extractLinks:
        extractRaw === undefined ? false : yield* parseBoolean("DT_EXTRACT_CODEMODULES_IMAGE_LINKS", extractRaw),
      debug: raw.debug,
      podEnv: { name: env.K8S_PODNAME, uid: env.K8S_PODUID, nodeName: env.K8S_NODE_NAME }
    }
  })
