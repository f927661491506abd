/**
 * The CSI Identity service (spec §5.2): the driver's name and version, no plugin capabilities (no Controller
 * service: volumes are ephemeral and node-local), and a Probe that answers ready while the process serves.
 * The `livenessprobe` sidecar calls Probe for its `/healthz`.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type * as Proto from "./CsiProto.ts"
import * as DataDir from "./DataDir.ts"

/** The Identity service. @category services @since 0.1.0 */
export class IdentityService extends Context.Service<
  IdentityService,
  {
    readonly getPluginInfo: Effect.Effect<Proto.GetPluginInfoResponse>
    readonly getPluginCapabilities: Effect.Effect<Proto.GetPluginCapabilitiesResponse>
    readonly probe: Effect.Effect<Proto.ProbeResponse>
  }
>()("dynatrace-operator/csi/IdentityService") {}

/**
 * The Identity service of a driver with `version` (the operator's version).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (version: string): IdentityService["Service"] =>
  IdentityService.of({
    getPluginInfo: Effect.succeed({ name: DataDir.DriverName, vendor_version: version, manifest: {} }),
    getPluginCapabilities: Effect.succeed({ capabilities: [] }),
    probe: Effect.succeed({ ready: { value: true } })
  })

/** The Identity service as a layer. @category layers @since 0.1.0 */
export const layer = (version: string): Layer.Layer<IdentityService> => Layer.succeed(IdentityService, make(version))
