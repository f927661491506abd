/**
 * Installer versions and downloads of OneAgents, code modules and ActiveGates (spec §6.2 #4–#8, §2.2.8).
 *
 * - latest OneAgent / code module: `GET /v1/deployment/installer/agent/{os}/{type}/latest/metainfo` →
 *   `latestAgentVersion`; `type=default` (host agent) sends `bitness=64&flavor=default`, `type=paas` (code modules)
 *   sends `bitness=64&flavor=multidistro&arch=x86`.
 * - latest ActiveGate: `GET /v1/deployment/installer/gateway/{os}/latest/metainfo` → `latestGatewayVersion`.
 * - available versions: `GET /v1/deployment/installer/agent/versions/{os}/{type}` → `availableVersions[]`.
 * - zip: `GET /v1/deployment/installer/agent/{os}/{type}/version/{version}` or `…/latest`, with `flavor`, `arch`,
 *   `bitness`, `skipMetadata`, repeated `include=<technology>`.
 *
 * All with the PaaS token.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { Query } from "./ApiUrl.ts"

/** `default` = full host agent, `paas` = code modules for application injection. */
export type InstallerType = "default" | "paas"

/** The installer selection; everything but `type` has the operator's defaults. */
export interface Installer {
  readonly os?: string | undefined
  readonly type: InstallerType
  /** Default `default` for host agents, `multidistro` for code modules. */
  readonly flavor?: string | undefined
  /** Default `x86` (sent only for `paas`). */
  readonly arch?: string | undefined
}

const os = (installer: Installer) => encodeURIComponent(installer.os ?? "unix")
const flavor = (installer: Installer) => installer.flavor ?? (installer.type === "default" ? "default" : "multidistro")

/** Path of the latest-version metainfo. */
export const latestMetainfoPath = (installer: Installer): string =>
  `/v1/deployment/installer/agent/${os(installer)}/${installer.type}/latest/metainfo`

/** Query of the latest-version metainfo. */
export const latestMetainfoQuery = (installer: Installer): Query =>
  installer.type === "default"
    ? { bitness: "64", flavor: flavor(installer) }
    : { bitness: "64", flavor: flavor(installer), arch: installer.arch ?? "x86" }

/** Path of the latest ActiveGate metainfo. */
export const latestGatewayMetainfoPath = (gatewayOs = "unix"): string =>
  `/v1/deployment/installer/gateway/${encodeURIComponent(gatewayOs)}/latest/metainfo`

/** Path of the available versions. */
export const versionsPath = (installer: Installer): string =>
  `/v1/deployment/installer/agent/versions/${os(installer)}/${installer.type}`

/** Query of the available versions. */
export const versionsQuery = (installer: Installer): Query =>
  installer.type === "default"
    ? { flavor: flavor(installer) }
    : { flavor: flavor(installer), arch: installer.arch ?? "x86" }

/** What to download. */
export interface DownloadSelection extends Installer {
  /** A version like `1.311.54.20250317-111439`; absent = latest. */
  readonly version?: string | undefined
  /** Technologies to include (`include=` repeated); absent or empty = `all`. */
  readonly technologies?: ReadonlyArray<string> | undefined
  /** Default true (the CSI provisioner's choice); the bootstrapper sends false. */
  readonly skipMetadata?: boolean | undefined
}

/** Path of a zip download. */
export const downloadPath = (selection: DownloadSelection): string =>
  selection.version === undefined
    ? `/v1/deployment/installer/agent/${os(selection)}/${selection.type}/latest`
    : `/v1/deployment/installer/agent/${os(selection)}/${selection.type}/version/${encodeURIComponent(selection.version)}`

/** Query of a zip download. */
export const downloadQuery = (selection: DownloadSelection): Query => ({
  flavor: flavor(selection),
  arch: selection.arch ?? "x86",
  bitness: "64",
  skipMetadata: String(selection.skipMetadata ?? true),
  include: selection.technologies !== undefined && selection.technologies.length > 0 ? selection.technologies : ["all"]
})

/** `latestAgentVersion` answer. */
export const LatestAgentVersionResponse = Schema.Struct({ latestAgentVersion: Schema.String })

/** `latestGatewayVersion` answer. */
export const LatestGatewayVersionResponse = Schema.Struct({ latestGatewayVersion: Schema.String })

/** `availableVersions` answer. */
export const AvailableVersionsResponse = Schema.Struct({ availableVersions: Schema.Array(Schema.String) })
