/**
 * The code module's configuration in the shared config volume (spec §4.2 step 2; only with `--target`,
 * `--config-directory` and `--input-directory`). Per container `C` (from `--attribute-container`), under
 * `<config>/C/oneagent/agent/` (the application sees it at `/var/lib/dynatrace/oneagent/agent/`, `DT_STORAGE`):
 *
 * | file | content | when |
 * |---|---|---|
 * | `config/ruxitagentproc.conf` | see `RuxitAgentProc` | `ruxitagentproc.json` in the input |
 * | `config/container.conf` | see `ContainerConf` | always |
 * | `customkeys/curl_options.conf` | `initialConnectRetryMs <n>` | `initial-connect-retry` in the input |
 * | `customkeys/custom.pem` | activegate.pem + "\n" + trusted.pem | either is in the input |
 * | `customkeys/custom_proxy.pem` | trusted.pem | `trusted.pem` in the input |
 * | `config/declarative.cbor` | copied | `declarative.cbor` in the input |
 *
 * and once per pod `<config>/oneagent/ld.so.preload` = `<install-path>/agent/lib64/liboneagentproc.so`, mounted
 * as the application's `/etc/ld.so.preload` (`writePreload`). The program writes that file last of all: if
 * anything before it fails and the failure policy lets the pod start, no process is told to preload a library
 * that is not set up.
 *
 * All files 0644 (directories 0755), each written atomically.
 *
 * @since 0.1.0
 */
import { Effect, FileSystem, Option } from "effect"
import * as path from "node:path"
import { attribute, type BootstrapInput } from "./BootstrapInput.ts"
import * as ConfigFiles from "./ConfigFiles.ts"
import * as ContainerConf from "./ContainerConf.ts"
import type { InputFiles } from "./InputDirectory.ts"
import * as RuxitAgentProc from "./RuxitAgentProc.ts"
import { AgentFilesMissing } from "./AgentFiles.ts"

/**
 * The library every process preloads, relative to the install path.
 *
 * @category constants
 * @since 0.1.0
 */
export const preloadLibrary = "agent/lib64/liboneagentproc.so"

/**
 * The code module's own process-agent config, relative to the target.
 *
 * @category constants
 * @since 0.1.0
 */
export const sourceConf = "agent/conf/ruxitagentproc.conf"

/**
 * `ld.so.preload`'s content.
 *
 * @category rendering
 * @since 0.1.0
 */
export const ldSoPreload = (installPath: string): string => `${installPath}/${preloadLibrary}`

/**
 * `curl_options.conf`'s content.
 *
 * @category rendering
 * @since 0.1.0
 */
export const curlOptions = (initialConnectRetryMs: number): string => `initialConnectRetryMs ${initialConnectRetryMs}`

/**
 * `custom.pem`'s content, or none when neither certificate is in the input.
 *
 * @category rendering
 * @since 0.1.0
 */
export const customPem = (files: InputFiles): Option.Option<string> =>
  Option.isNone(files.activeGatePem) && Option.isNone(files.trustedPem)
    ? Option.none()
    : Option.some(`${Option.getOrElse(files.activeGatePem, () => "")}\n${Option.getOrElse(files.trustedPem, () => "")}`)

/**
 * Writes every container's files (not `ld.so.preload`).
 *
 * @category writers
 * @since 0.1.0
 */
export const writeContainers = Effect.fn("OneAgentConfig.writeContainers")(function* (
  input: BootstrapInput,
  files: InputFiles,
  target: string,
  configDirectory: string
) {
  const fs = yield* FileSystem.FileSystem
  let procConf: string | undefined
  if (Option.isSome(files.processModuleConfig)) {
    const source = path.join(target, sourceConf)
    const text = yield* fs.readFileString(source).pipe(
      Effect.mapError(
        (error) =>
          new AgentFilesMissing({
            path: source,
            message: `Cannot read the code module's ${source}: ${error.message}`
          })
      )
    )
    procConf = RuxitAgentProc.make(text, files.processModuleConfig.value, input.installPath)
  }
  const custom = customPem(files)

  for (const container of input.containers) {
    const agent = path.join(configDirectory, container["k8s.container.name"], "oneagent", "agent")
    if (procConf !== undefined) yield* ConfigFiles.write(path.join(agent, "config", "ruxitagentproc.conf"), procConf)
    yield* ConfigFiles.write(
      path.join(agent, "config", "container.conf"),
      ContainerConf.render({
        podName: attribute(input, "k8s.pod.name"),
        podUid: attribute(input, "k8s.pod.uid"),
        namespace: attribute(input, "k8s.namespace.name"),
        clusterId: attribute(input, "k8s.cluster.uid"),
        nodeName: attribute(input, "k8s.node.name"),
        container,
        tenant: input.tenant
      })
    )
    if (Option.isSome(files.initialConnectRetryMs)) {
      yield* ConfigFiles.write(
        path.join(agent, "customkeys", "curl_options.conf"),
        curlOptions(files.initialConnectRetryMs.value)
      )
    }
    if (Option.isSome(custom)) yield* ConfigFiles.write(path.join(agent, "customkeys", "custom.pem"), custom.value)
    if (Option.isSome(files.trustedPem)) {
      yield* ConfigFiles.write(path.join(agent, "customkeys", "custom_proxy.pem"), files.trustedPem.value)
    }
    if (Option.isSome(files.declarativeCbor)) {
      yield* ConfigFiles.write(path.join(agent, "config", "declarative.cbor"), files.declarativeCbor.value)
    }
  }
})

/**
 * Writes `<config>/oneagent/ld.so.preload`.
 *
 * @category writers
 * @since 0.1.0
 */
export const writePreload = (installPath: string, configDirectory: string) =>
  ConfigFiles.write(path.join(configDirectory, "oneagent", "ld.so.preload"), ldSoPreload(installPath))
