/**
 * Process-grouping config (spec §6.2 #10, §2.2.9): `GET /v1/deployment/installer/agent/processgroupingconfig`
 * `?kubernetesClusterId=<MEID>` (API token) with `Accept: application/cbor` and `If-None-Match: <etag>`.
 * 200 → the CBOR body (kept as bytes, the bootstrapper copies it as `declarative.cbor`) and its `ETag`;
 * 304 → unchanged; 404 → the feature is not available on this tenant (a `NotFound` error).
 *
 * @since 0.1.0
 */

/** Endpoint path. */
export const path = "/v1/deployment/installer/agent/processgroupingconfig"

/** The outcome of a conditional fetch. */
export type ProcessGroupingConfig =
  | { readonly _tag: "Modified"; readonly body: Uint8Array; readonly etag: string | undefined }
  | { readonly _tag: "NotModified"; readonly etag: string }
