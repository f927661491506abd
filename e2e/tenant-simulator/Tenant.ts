/**
 * The simulated tenant's data: tokens and their scopes, versions, connection info, hosts, settings objects,
 * enrichment rules, process-module and process-grouping config, and what it has received (events, settings,
 * ActiveGate tokens).
 *
 * Token values look like real ones: classic API tokens `dt0c01.<24>.<64>`, platform tokens `dt0s16.<24>.<64>`,
 * ActiveGate tokens `dt0g02.<8>.<64>` (upper-case base32 alphabet).
 *
 * @since 0.1.0
 */
import { createHash, randomBytes, randomUUID } from "node:crypto"

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

/** Random upper-case base32 text. */
export const randomBase32 = (length: number): string => {
  const bytes = randomBytes(length)
  let out = ""
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length]
  return out
}

/** A fresh token value with the given prefix (`dt0c01` classic, `dt0s16` platform). */
export const makeToken = (prefix = "dt0c01"): string => `${prefix}.${randomBase32(24)}.${randomBase32(64)}`

/** Scopes the operator may ask for. */
export const AllOperatorScopes = [
  "DataExport",
  "InstallerDownload",
  "activeGateTokenManagement.create",
  "settings.read",
  "settings.write"
] as const

/** Scopes of a data-ingest token. */
export const IngestScopes = ["metrics.ingest", "logs.ingest", "openTelemetryTrace.ingest"] as const

/** A token the tenant knows. */
export interface TenantToken {
  readonly value: string
  scopes: Array<string>
  enabled: boolean
  readonly name: string
  readonly created: string
}

/** A stored settings object. */
export interface StoredSettingsObject {
  readonly objectId: string
  readonly schemaId: string
  readonly schemaVersion: string
  readonly scope: string
  readonly value: unknown
}

/** A host entity. */
export interface Host {
  readonly entityId: string
  readonly displayName: string
  readonly networkZoneId: string
  readonly ipAddresses: ReadonlyArray<string>
}

/** The tenant's configurable facts. */
export interface TenantConfig {
  tenantUUID: string
  latestAgentVersion: string
  latestCodeModuleVersion: string
  latestGatewayVersion: string
  availableVersions: Array<string>
  /** Endpoints of the default zone. */
  communicationEndpoints: Array<string>
  /** Endpoints per known network zone. */
  networkZones: Record<string, Array<string>>
  /** Size of the filler inside generated code modules. */
  codeModuleFillerBytes: number
  hosts: Array<Host>
  /** Rules returned for `builtin:kubernetes.generic.metadata.enrichment`. */
  enrichmentRules: Array<{ type: string; source: string; target: string }>
  /** Schema versions of `builtin:cloud.kubernetes` the tenant accepts. */
  kubernetesSchemaVersions: Array<string>
  /** CBOR body of the process-grouping config; `undefined` = feature unavailable (404). */
  processGroupingConfig: Uint8Array | undefined
  processModuleRevision: number
  /** Registry of public images. */
  publicRegistry: string
}

/** `{"rules":[]}` encoded as CBOR (map(1) text(5) "rules" array(0)). */
const EMPTY_RULES_CBOR = Uint8Array.from([0xa1, 0x65, 0x72, 0x75, 0x6c, 0x65, 0x73, 0x80])

/** A tenant with realistic defaults. */
export const defaultConfig = (tenantUUID = randomBase32(8).toLowerCase()): TenantConfig => ({
  tenantUUID,
  latestAgentVersion: "1.311.54.20250317-111439",
  latestCodeModuleVersion: "1.311.54.20250317-111439",
  latestGatewayVersion: "1.311.52.20250318-093142",
  availableVersions: ["1.309.66.20250221-141500", "1.310.52.20250307-092100", "1.311.54.20250317-111439"],
  communicationEndpoints: [
    `https://${tenantUUID}.live.dynatrace.com:443/communication`,
    "https://sg-us-east-1-52-1-2-3-prod01.dynatrace.com:443/communication",
    "https://sg-us-east-1-52-4-5-6-prod01.dynatrace.com:443/communication"
  ],
  networkZones: {
    "eu-west": [`https://eu-west-ag.${tenantUUID}.example:9999/communication`]
  },
  codeModuleFillerBytes: 64 * 1024,
  hosts: [
    { entityId: "HOST-0A1B2C3D4E5F6071", displayName: "node-1", networkZoneId: "default", ipAddresses: ["10.0.0.11"] },
    { entityId: "HOST-0A1B2C3D4E5F6072", displayName: "node-2", networkZoneId: "default", ipAddresses: ["10.0.0.12"] },
    { entityId: "HOST-0A1B2C3D4E5F6073", displayName: "node-3", networkZoneId: "eu-west", ipAddresses: ["10.0.0.13"] }
  ],
  enrichmentRules: [
    { type: "LABEL", source: "app.kubernetes.io/name", target: "dt.security_context" },
    { type: "ANNOTATION", source: "cost-center", target: "dt.cost.costcenter" }
  ],
  kubernetesSchemaVersions: ["3.0.0", "1.0.27"],
  processGroupingConfig: EMPTY_RULES_CBOR,
  processModuleRevision: 7,
  publicRegistry: "public.ecr.aws/dynatrace"
})

/** The tenant: facts plus mutable records. */
export class Tenant {
  readonly config: TenantConfig
  readonly tokens = new Map<string, TenantToken>()
  readonly settings = new Map<string, StoredSettingsObject>()
  readonly events: Array<unknown> = []
  readonly activeGateTokens: Array<{ id: string; name: string; expirationDate: string }> = []
  /** The tenant token agents connect with. */
  readonly tenantToken = randomBase32(16)

  constructor(config: TenantConfig) {
    this.config = config
  }

  /** Registers a token (a fresh value unless given) with scopes; returns the value. */
  addToken(scopes: ReadonlyArray<string>, value: string = makeToken(), name = "simulated token"): string {
    this.tokens.set(value, { value, scopes: [...scopes], enabled: true, name, created: new Date().toISOString() })
    return value
  }

  /** The ETag of the current process-grouping config. */
  processGroupingEtag(): string | undefined {
    const body = this.config.processGroupingConfig
    return body === undefined ? undefined : `"${createHash("sha1").update(body).digest("hex")}"`
  }

  /** A new monitored-entity id for a Kubernetes cluster. */
  static newClusterMeid(): string {
    return `KUBERNETES_CLUSTER-${randomBytes(8).toString("hex").toUpperCase()}`
  }

  /** A new settings object id (base64url-ish, like the tenant's). */
  static newObjectId(): string {
    return `vu9U3hXa3q0AAAAB${Buffer.from(randomUUID()).toString("base64url").slice(0, 40)}`
  }
}
