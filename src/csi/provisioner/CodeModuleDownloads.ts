/**
 * Downloading one code-module zip for a DynaKube from its tenant (spec §5.5 step 7, §6.2 #7):
 * `GET /v1/deployment/installer/agent/unix/paas/version/<v>?flavor=multidistro&arch=x86&bitness=64&skipMetadata=true&include=all`
 * with the PaaS token, `User-Agent: dynatrace-operator/<version> provisioner`, a 15 min deadline per attempt
 * (`DT_CLIENT_CONNECTION_TIMEOUT`) and the client's retries with backoff (429 honours Retry-After).
 *
 * The client is built for the download and closed after it: downloads are rare (once per version per node), and a
 * steady-state reconcile never gets here, so the provisioner reads the token Secret only when it needs it. The
 * client configuration (apiUrl, token Secret, proxy, trusted CAs, skipCertCheck, no-proxy flag) is read the same
 * way the operator's nodes controller reads it (`NodeTenant.tenantConfig`).
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, type FileSystem, Layer } from "effect"
import * as NodeTenant from "../../programs/operator/nodes/NodeTenant.ts"
import * as DynatraceApi from "../../services/DynatraceApi.ts"
import { ResponseCache } from "../../services/dynatrace/ResponseCache.ts"
import type { KubeClient } from "../../services/KubeClient.ts"
import * as ProvisionError from "./ProvisionError.ts"
import type { ProvisionerDynaKube } from "./ProvisionPlan.ts"

/**
 * @category services
 * @since 0.1.0
 */
export class CodeModuleDownloads extends Context.Service<
  CodeModuleDownloads,
  {
    /** Streams the zip of `version` from the DynaKube's tenant to `destination` (checked; nothing left on failure). */
    readonly download: (
      dynakube: ProvisionerDynaKube,
      version: string,
      destination: string
    ) => Effect.Effect<void, ProvisionError.ProvisionError>
  }
>()("dynatrace-operator/csi/provisioner/CodeModuleDownloads") {}

/**
 * The client configuration of a DynaKube's tenant.
 *
 * @category models
 * @since 0.1.0
 */
export type ConfigOf<R> = (
  dynakube: ProvisionerDynaKube
) => Effect.Effect<DynatraceApi.DynatraceApiConfig, ProvisionError.ProvisionError, R>

/**
 * Downloads with the client configuration `configOf` gives for a DynaKube.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <R>(configOf: ConfigOf<R>) =>
  Effect.gen(function* () {
    const context = yield* Effect.context<R | ResponseCache | FileSystem.FileSystem>()
    const download = (dynakube: ProvisionerDynaKube, version: string, destination: string) =>
      Effect.gen(function* () {
        const config = yield* configOf(dynakube)
        const api = yield* DynatraceApi.make(config).pipe(Effect.mapError(ProvisionError.fromTenant))
        const result = yield* api
          .downloadAgent({ type: "paas", version, skipMetadata: true }, destination)
          .pipe(
            Effect.mapError((e) =>
              e._tag === "DynatraceApiError" ? ProvisionError.fromTenant(e) : ProvisionError.fromFileSystem(e)
            )
          )
        yield* Effect.logInfo("Downloaded the code module.").pipe(
          Effect.annotateLogs({ version, bytes: result.size, sha256: result.sha256 })
        )
      }).pipe(
        Effect.scoped,
        Effect.provideContext(context),
        Effect.annotateLogs({ dynakube: dynakube.metadata?.name ?? "" }),
        Effect.withSpan("CodeModuleDownloads.download")
      )
    return CodeModuleDownloads.of({ download })
  })

/**
 * @category models
 * @since 0.1.0
 */
export interface DownloadOptions {
  /** Per-attempt download deadline (`DT_CLIENT_CONNECTION_TIMEOUT`, default 15 min). */
  readonly timeout: Duration.Duration
  /** `dynatrace-operator/<version> provisioner`. */
  readonly userAgent: string
}

/**
 * The configuration of a DynaKube's tenant as the cluster has it: token Secret, proxy, trusted CAs.
 *
 * @category constructors
 * @since 0.1.0
 */
export const clusterConfig =
  (options: DownloadOptions): ConfigOf<KubeClient> =>
  (dynakube) =>
    NodeTenant.tenantConfig(
      { metadata: dynakube.metadata, spec: dynakube.spec },
      { timeout: "30 seconds", userAgent: options.userAgent }
    ).pipe(
      Effect.map((config) => ({ ...config, downloadTimeout: options.timeout })),
      Effect.mapError((e) => new ProvisionError.ProvisionError({ reason: "TenantConfig", message: e.message }))
    )

/**
 * Downloads configured from the cluster (needs a `KubeClient`); one process-wide response cache.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options: DownloadOptions
): Layer.Layer<CodeModuleDownloads, never, KubeClient | FileSystem.FileSystem> =>
  Layer.effect(CodeModuleDownloads, make(clusterConfig(options))).pipe(Layer.provide(ResponseCache.layer))

/**
 * Downloads configured by `configOf` (tests: a tenant simulator).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWith = <R>(
  configOf: ConfigOf<R>
): Layer.Layer<CodeModuleDownloads, never, R | FileSystem.FileSystem | ResponseCache> =>
  Layer.effect(CodeModuleDownloads, make(configOf))
