/**
 * The input directory (`--input-directory`, `/mnt/input`): the projected Secrets `dynatrace-bootstrapper-config`
 * and (optional) `dynatrace-bootstrapper-certs` the operator replicates into the pod's namespace (spec §2.2.9,
 * §4.1). Every file is optional; which ones exist depends on the DynaKube:
 *
 * | file | content | used for |
 * |---|---|---|
 * | `dtclient.config` | JSON `{apiToken, proxy, noProxy, networkZone, hostGroup, skipCertCheck}` | the download (no CSI) |
 * | `ruxitagentproc.json` | JSON `{properties:[{section,key,value}], revision}` | `ruxitagentproc.conf` |
 * | `initial-connect-retry` | milliseconds as text | `curl_options.conf` |
 * | `declarative.cbor` | binary | copied per container |
 * | `endpoint.properties` | text | copied per container (enrichment) |
 * | `trusted.pem`, `activegate.pem` | PEM | `custom.pem`, `custom_proxy.pem`, download trust |
 *
 * The API token is held as `Redacted` from the moment it is read; errors about `dtclient.config` name the file and
 * never repeat its content.
 *
 * @since 0.1.0
 */
import { Effect, FileSystem, Option, Redacted, Schema } from "effect"
import * as path from "node:path"
import { InvalidBootstrapInput } from "./BootstrapInput.ts"

/**
 * `dtclient.config`.
 *
 * @category models
 * @since 0.1.0
 */
export const DtClientConfig = Schema.Struct({
  apiToken: Schema.String,
  proxy: Schema.optional(Schema.String),
  noProxy: Schema.optional(Schema.String),
  networkZone: Schema.optional(Schema.String),
  hostGroup: Schema.optional(Schema.String),
  skipCertCheck: Schema.optional(Schema.Boolean)
})

/**
 * `dtclient.config` with the token redacted.
 *
 * @category models
 * @since 0.1.0
 */
export interface ClientConfig {
  readonly apiToken: Redacted.Redacted<string>
  readonly proxy: string | undefined
  readonly noProxy: string | undefined
  readonly networkZone: string | undefined
  readonly hostGroup: string | undefined
  readonly skipCertCheck: boolean
}

/**
 * One process-module property.
 *
 * @category models
 * @since 0.1.0
 */
export const ProcessModuleProperty = Schema.Struct({ section: Schema.String, key: Schema.String, value: Schema.String })

/**
 * `ruxitagentproc.json`.
 *
 * @category models
 * @since 0.1.0
 */
export const ProcessModuleConfig = Schema.Struct({
  properties: Schema.Array(ProcessModuleProperty),
  revision: Schema.optional(Schema.Number)
})

/**
 * @category models
 * @since 0.1.0
 */
export type ProcessModuleConfig = typeof ProcessModuleConfig.Type

/**
 * Everything the input directory provided.
 *
 * @category models
 * @since 0.1.0
 */
export interface InputFiles {
  readonly clientConfig: Option.Option<ClientConfig>
  readonly processModuleConfig: Option.Option<ProcessModuleConfig>
  readonly initialConnectRetryMs: Option.Option<number>
  readonly declarativeCbor: Option.Option<Uint8Array>
  readonly endpointProperties: Option.Option<Uint8Array>
  readonly trustedPem: Option.Option<string>
  readonly activeGatePem: Option.Option<string>
}

/**
 * No input directory (or an empty one).
 *
 * @category constants
 * @since 0.1.0
 */
export const empty: InputFiles = {
  clientConfig: Option.none(),
  processModuleConfig: Option.none(),
  initialConnectRetryMs: Option.none(),
  declarativeCbor: Option.none(),
  endpointProperties: Option.none(),
  trustedPem: Option.none(),
  activeGatePem: Option.none()
}

/**
 * The file names, as the operator writes them.
 *
 * @category constants
 * @since 0.1.0
 */
export const fileNames = {
  clientConfig: "dtclient.config",
  processModuleConfig: "ruxitagentproc.json",
  initialConnectRetry: "initial-connect-retry",
  declarativeCbor: "declarative.cbor",
  endpointProperties: "endpoint.properties",
  trustedPem: "trusted.pem",
  activeGatePem: "activegate.pem"
} as const

const unreadable = (file: string, message: string) =>
  new InvalidBootstrapInput({ reason: "UnreadableInput", message: `Cannot read ${file}: ${message}` })

const malformed = (file: string, what: string) =>
  new InvalidBootstrapInput({ reason: "InvalidInputFile", message: `${file} is not ${what}.` })

/** The bytes of `file`, or none when it does not exist. */
const readOptional = (fs: FileSystem.FileSystem, file: string) =>
  fs.readFile(file).pipe(
    Effect.map(Option.some),
    Effect.catch((error) =>
      error.reason._tag === "NotFound"
        ? Effect.succeed(Option.none<Uint8Array>())
        : Effect.fail(unreadable(file, error.message))
    )
  )

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8")

const decodeClientConfig = Schema.decodeUnknownOption(Schema.fromJsonString(DtClientConfig))
const decodeProcessModuleConfig = Schema.decodeUnknownOption(Schema.fromJsonString(ProcessModuleConfig))

/**
 * Reads and validates the input directory. A missing directory counts as empty (enrichment-only pods).
 *
 * @category constructors
 * @since 0.1.0
 */
export const read = Effect.fn("InputDirectory.read")(function* (directory: string) {
  const fs = yield* FileSystem.FileSystem
  const file = (name: string) => path.join(directory, name)
  const load = (name: string) => readOptional(fs, file(name))

  const clientConfig = yield* load(fileNames.clientConfig).pipe(
    Effect.flatMap(
      Option.match({
        onNone: () => Effect.succeed(Option.none<ClientConfig>()),
        onSome: (bytes) =>
          Option.match(decodeClientConfig(text(bytes)), {
            onNone: () => Effect.fail(malformed(file(fileNames.clientConfig), "a JSON object with a string apiToken")),
            onSome: (c) =>
              Effect.succeed(
                Option.some<ClientConfig>({
                  apiToken: Redacted.make(c.apiToken),
                  proxy: c.proxy === "" ? undefined : c.proxy,
                  noProxy: c.noProxy === "" ? undefined : c.noProxy,
                  networkZone: c.networkZone === "" ? undefined : c.networkZone,
                  hostGroup: c.hostGroup === "" ? undefined : c.hostGroup,
                  skipCertCheck: c.skipCertCheck === true
                })
              )
          })
      })
    )
  )

  const processModuleConfig = yield* load(fileNames.processModuleConfig).pipe(
    Effect.flatMap(
      Option.match({
        onNone: () => Effect.succeed(Option.none<ProcessModuleConfig>()),
        onSome: (bytes) =>
          Option.match(decodeProcessModuleConfig(text(bytes)), {
            onNone: () =>
              Effect.fail(
                malformed(file(fileNames.processModuleConfig), "a JSON object with properties [{section, key, value}]")
              ),
            onSome: (c) => Effect.succeed(Option.some(c))
          })
      })
    )
  )

  const initialConnectRetryMs = yield* load(fileNames.initialConnectRetry).pipe(
    Effect.flatMap(
      Option.match({
        onNone: () => Effect.succeed(Option.none<number>()),
        onSome: (bytes) => {
          const value = text(bytes).trim()
          return /^\d{1,9}$/.test(value)
            ? Effect.succeed(Option.some(Number(value)))
            : Effect.fail(malformed(file(fileNames.initialConnectRetry), "a number of milliseconds"))
        }
      })
    )
  )

  const trustedPem = (yield* load(fileNames.trustedPem)).pipe(Option.map(text))
  const activeGatePem = (yield* load(fileNames.activeGatePem)).pipe(Option.map(text))
  return {
    clientConfig,
    processModuleConfig,
    initialConnectRetryMs,
    declarativeCbor: yield* load(fileNames.declarativeCbor),
    endpointProperties: yield* load(fileNames.endpointProperties),
    trustedPem,
    activeGatePem
  } satisfies InputFiles
})
