/**
 * Host entities (spec §6.2 #13, §2.5): `GET /v1/entity/infrastructure/hosts?relativeTime=30mins&includeDetails=false`
 * `&pageSize=4000` (API token, scope `DataExport`) → `[{entityId, networkZoneId, ipAddresses[]}]`. The nodes
 * controller maps a node IP to the host entity in the DynaKube's network zone.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** Endpoint path. */
export const path = "/v1/entity/infrastructure/hosts"

/** Fixed query of the nodes controller. */
export const query = { relativeTime: "30mins", includeDetails: "false", pageSize: "4000" } as const

/** One host. */
export const HostEntity = Schema.Struct({
  entityId: Schema.String,
  networkZoneId: Schema.optional(Schema.NullOr(Schema.String)),
  ipAddresses: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
})

/** @category models */
export type HostEntity = typeof HostEntity.Type

/** The answer. */
export const HostEntitiesResponse = Schema.Array(HostEntity)

/**
 * The entity id of the host with `ip` in `networkZone` (hosts without a zone count as zone `default`), if any.
 */
export const entityIdForIp = (
  hosts: ReadonlyArray<HostEntity>,
  ip: string,
  networkZone: string | undefined
): string | undefined => {
  const zone = networkZone === undefined || networkZone === "" ? "default" : networkZone
  return hosts.find(
    (host) =>
      (host.networkZoneId === undefined || host.networkZoneId === null || host.networkZoneId === ""
        ? "default"
        : host.networkZoneId) === zone && (host.ipAddresses ?? []).includes(ip)
  )?.entityId
}
