/**
 * Why provisioning a code module failed, mapped once from the errors of the pieces it uses (tenant client, zip
 * extraction, staged install, file system, Kubernetes reads). The reconcile decides from `reason` alone:
 * `TenantUnreachable` (429/503) requeues after a minute without counting as an error, `Unsupported` is terminal,
 * everything else is retried with backoff. Messages never carry a token (the tenant client scrubs its texts; the
 * token secret is named, never its values).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { PlatformError } from "effect/PlatformError"
import { type DynatraceApiError, isUnreachable } from "../../services/DynatraceApiError.ts"
import type { InstallError } from "../../init/StagedInstall.ts"
import type { ExtractionError } from "../../init/ZipExtractor.ts"

/**
 * @category errors
 * @since 0.1.0
 */
export const ProvisionFailure = Schema.Literals([
  "TenantUnreachable",
  "Tenant",
  "TenantConfig",
  "Extraction",
  "FileSystem",
  "Unsupported"
])

/**
 * @category errors
 * @since 0.1.0
 */
export type ProvisionFailure = typeof ProvisionFailure.Type

/**
 * @category errors
 * @since 0.1.0
 */
export class ProvisionError extends Schema.TaggedError<ProvisionError>()("ProvisionError", {
  reason: ProvisionFailure,
  message: Schema.String
}) {}

/**
 * @category constructors
 * @since 0.1.0
 */
export const fromTenant = (error: DynatraceApiError): ProvisionError =>
  new ProvisionError({ reason: isUnreachable(error) ? "TenantUnreachable" : "Tenant", message: error.message })

/**
 * @category constructors
 * @since 0.1.0
 */
export const fromExtraction = (error: ExtractionError): ProvisionError =>
  new ProvisionError({ reason: "Extraction", message: error.message })

/**
 * @category constructors
 * @since 0.1.0
 */
export const fromFileSystem = (error: PlatformError | InstallError): ProvisionError =>
  new ProvisionError({ reason: "FileSystem", message: error.message })

/**
 * @category constructors
 * @since 0.1.0
 */
export const fileSystem = (message: string): ProvisionError => new ProvisionError({ reason: "FileSystem", message })
