/**
 * Making the code module available on the code-module volume (`--target`, `/mnt/bin`), spec §4.2 step 1:
 *
 * - **CSI** (no `--version`): the CSI driver has mounted the node's cached module read-only; the files must be
 *   there (`agent/lib64/liboneagentproc.so`). When the driver gave up waiting for the provisioner it mounts an
 *   empty directory, which ends here as `AgentFilesMissing` (the failure policy decides what that means).
 * - **Download** (`--version`, emptyDir): unless the volume already holds this exact module (a completed earlier
 *   run: `StagedInstall`'s marker), the zip is streamed from the tenant into `<target>/download-<random>.zip`,
 *   extracted safely (`ZipExtractor`) into a staging directory, `agent/bin/current` is pointed at the version in
 *   `agent/installer.version`, the tree is moved into place and the marker written. A crash anywhere in between
 *   is repaired by the next run, which clears the volume (orphaned `download*` files included) and starts over.
 *
 * @since 0.1.0
 */
import { Effect, FileSystem, Option, Schema } from "effect"
import * as crypto from "node:crypto"
import * as path from "node:path"
import { type BootstrapInput, type DownloadRequest, InvalidBootstrapInput } from "./BootstrapInput.ts"
import { CodeModuleSource, type TenantConnection } from "./CodeModuleSource.ts"
import type { InputFiles } from "./InputDirectory.ts"
import * as StagedInstall from "./StagedInstall.ts"
import * as ZipExtractor from "./ZipExtractor.ts"

/**
 * The code module is not where it should be.
 *
 * @category errors
 * @since 0.1.0
 */
export class AgentFilesMissing extends Schema.TaggedError<AgentFilesMissing>()("AgentFilesMissing", {
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * How the files came to be there.
 *
 * @category models
 * @since 0.1.0
 */
export type AgentFilesOutcome = "csi" | "downloaded" | "already-downloaded"

/**
 * The file whose presence means "the code module is there" (it is what `LD_PRELOAD` loads).
 *
 * @category constants
 * @since 0.1.0
 */
export const presenceFile = "agent/lib64/liboneagentproc.so"

/**
 * The marker stamp of a download: a re-run with other flags must not take an old module for the wanted one.
 *
 * @category install
 * @since 0.1.0
 */
export const stampOf = (download: DownloadRequest): string =>
  JSON.stringify({ version: download.version, flavor: download.flavor, technologies: download.technologies })

const isSafeVersion = (version: string) => /^[A-Za-z0-9._-]+$/.test(version) && version !== "." && version !== ".."

/**
 * Points `agent/bin/current` at the version named in `agent/installer.version` (a relative link, replaced if
 * the archive brought one). Nothing to do when the module has no `installer.version`.
 *
 * @category install
 * @since 0.1.0
 */
export const linkCurrentVersion = Effect.fn("AgentFiles.linkCurrentVersion")(function* (root: string) {
  const fs = yield* FileSystem.FileSystem
  const versionFile = path.join(root, "agent", "installer.version")
  const version = yield* fs.readFileString(versionFile).pipe(
    Effect.map((text) => Option.some(text.trim())),
    Effect.catch(() => Effect.succeed(Option.none<string>()))
  )
  if (Option.isNone(version)) return Option.none<string>()
  if (!isSafeVersion(version.value)) {
    return yield* new AgentFilesMissing({
      path: versionFile,
      message: `${versionFile} holds no usable version (${JSON.stringify(version.value.slice(0, 64))}).`
    })
  }
  const link = path.join(root, "agent", "bin", "current")
  const fail = (error: { readonly message: string }) =>
    new AgentFilesMissing({ path: link, message: `Cannot link ${link}: ${error.message}` })
  yield* fs.makeDirectory(path.dirname(link), { recursive: true }).pipe(Effect.mapError(fail))
  yield* fs.remove(link, { force: true }).pipe(Effect.mapError(fail))
  yield* fs.symlink(version.value, link).pipe(Effect.mapError(fail))
  return version
})

const connectionOf = (download: DownloadRequest, files: InputFiles) =>
  Option.match(files.clientConfig, {
    onNone: () =>
      Effect.fail(
        new InvalidBootstrapInput({
          reason: "InvalidInputFile",
          message: "The input directory has no dtclient.config, which the download (--version) needs."
        })
      ),
    onSome: (client) =>
      Effect.succeed<TenantConnection>({
        url: download.url,
        apiToken: client.apiToken,
        proxy: client.proxy,
        noProxy: client.noProxy,
        skipCertCheck: client.skipCertCheck,
        trustedCas: Option.getOrUndefined(files.trustedPem),
        timeout: download.timeout
      })
  })

const downloadInto = (target: string, download: DownloadRequest, files: InputFiles, extractLinks: boolean) =>
  Effect.fn("AgentFiles.downloadInto")(function* (staging: string) {
    const fs = yield* FileSystem.FileSystem
    const source = yield* CodeModuleSource
    const connection = yield* connectionOf(download, files)
    const request = { version: download.version, flavor: download.flavor, technologies: download.technologies }
    const zip = path.join(target, `download-${crypto.randomBytes(6).toString("hex")}.zip`)
    const summary = yield* source.download(connection, request, zip).pipe(
      Effect.tapError(() =>
        source.availableVersions(connection, download.flavor).pipe(
          Effect.flatMap((versions) =>
            Effect.logWarning("Listed the code-module versions the tenant offers.").pipe(
              Effect.annotateLogs({ wanted: download.version, available: versions.join(",") })
            )
          ),
          Effect.ignore
        )
      )
    )
    yield* Effect.logInfo("Downloaded the code module.").pipe(
      Effect.annotateLogs({ version: download.version, bytes: summary.bytes, sha256: summary.sha256 })
    )
    const extracted = yield* ZipExtractor.extract(zip, staging, { extractSymlinks: extractLinks })
    yield* fs.remove(zip, { force: true }).pipe(Effect.ignore)
    yield* linkCurrentVersion(staging)
    yield* Effect.logInfo("Extracted the code module.").pipe(
      Effect.annotateLogs({
        files: extracted.files,
        bytes: extracted.bytes,
        skippedSymlinks: extracted.skippedSymlinks
      })
    )
  })

/**
 * Makes sure the code module is on `input.target` (see the module comment).
 *
 * @category install
 * @since 0.1.0
 */
export const ensure = Effect.fn("AgentFiles.ensure")(function* (
  input: BootstrapInput,
  target: string,
  files: InputFiles
) {
  const fs = yield* FileSystem.FileSystem
  const download = input.download
  if (download === undefined) {
    const file = path.join(target, presenceFile)
    const present = yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false))
    if (!present) {
      return yield* new AgentFilesMissing({
        path: file,
        message: `The code module is not on the volume (${file} is missing) and no --version was given to download it.`
      })
    }
    return "csi" as AgentFilesOutcome
  }
  const outcome = yield* StagedInstall.populateDirectory(
    target,
    stampOf(download),
    downloadInto(target, download, files, input.extractLinks)
  )
  return (outcome === "present" ? "already-downloaded" : "downloaded") as AgentFilesOutcome
})
