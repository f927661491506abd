/**
 * Test support: DynaKube builders with modifier functions (`dynakube(cloudNative(), withProxy("http://p:3128"))`)
 * and the operator context the workload tests share. The base DynaKube carries the status a reconcile would have
 * computed before building workloads (versions, images, connection info, cluster identity).
 *
 * @since 0.1.0
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import type { DynaKube, HostInjectSpec } from "../../../../schemas/DynaKubeV1beta6.ts"
import { oneAgentHealthcheck } from "./Healthcheck.ts"
import type { OperatorContext } from "./WorkloadParts.ts"

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> }

/** A DynaKube under construction. */
export type DynaKubeDraft = Mutable<DynaKube>

/** Changes a draft in place. */
export type Modifier = (dk: DynaKubeDraft) => void

export const agentVersion = "1.301.0.20241112-102030"
export const agentImage = "abc12345.live.dynatrace.com/linux/oneagent:1.301.0-raw"
export const activeGateVersion = "1.301.0.20241113-090000"
export const activeGateImage = "abc12345.live.dynatrace.com/linux/activegate:1.301.0-raw"

export const operator: OperatorContext = {
  operatorVersion: "1.7.0",
  operatorImage: "public.ecr.aws/dynatrace/dynatrace-operator:v1.7.0",
  csiDriver: true,
  kubernetesMinorVersion: 33
}

/** `{ healthcheck }` as the version reconcile stores it for `version`, or nothing for an unreadable version. */
const healthcheck = (version: string) => {
  const config = oneAgentHealthcheck(version)
  return config === undefined ? {} : { healthcheck: config }
}

/** A DynaKube `dk` in `dynatrace` with a computed status and no OneAgent or ActiveGate yet. */
export const dynakube = (...modifiers: ReadonlyArray<Modifier>): DynaKube => {
  const dk: DynaKubeDraft = {
    apiVersion: "dynatrace.com/v1beta6",
    kind: "DynaKube",
    metadata: { name: "dk", namespace: "dynatrace", uid: "6f0c1e4e-1111-4222-8333-944455556666" },
    spec: { apiUrl: "https://abc12345.live.dynatrace.com/api" },
    status: {
      kubeSystemUUID: "0d3a7a2c-kube-system-uid",
      kubernetesClusterName: "prod-cluster",
      kubernetesClusterMEID: "KUBERNETES_CLUSTER-0123456789ABCDEF",
      oneAgent: {
        source: "tenant-registry",
        imageID: agentImage,
        version: agentVersion,
        ...healthcheck(agentVersion),
        connectionInfoStatus: { tenantUUID: "abc12345", tenantTokenHash: "tenant-token-hash-1" }
      },
      activeGate: {
        source: "tenant-registry",
        imageID: activeGateImage,
        version: activeGateVersion,
        connectionInfoStatus: { tenantUUID: "abc12345", tenantTokenHash: "ag-token-hash-1" }
      }
    }
  }
  for (const modify of modifiers) modify(dk)
  return dk as DynaKube
}

const hostSpec = (dk: DynaKubeDraft): Mutable<HostInjectSpec> => {
  const oa = dk.spec.oneAgent
  const spec = oa?.classicFullStack ?? oa?.hostMonitoring ?? oa?.cloudNativeFullStack
  if (spec === undefined || spec === null) throw new Error("fixture: set a host agent mode first")
  return spec
}

export const classicFullStack =
  (spec: Mutable<HostInjectSpec> = {}): Modifier =>
  (dk) => {
    dk.spec.oneAgent = { ...dk.spec.oneAgent, classicFullStack: spec }
  }
export const hostMonitoring =
  (spec: Mutable<HostInjectSpec> = {}): Modifier =>
  (dk) => {
    dk.spec.oneAgent = { ...dk.spec.oneAgent, hostMonitoring: spec }
  }
export const cloudNativeFullStack =
  (spec: Mutable<HostInjectSpec> = {}): Modifier =>
  (dk) => {
    dk.spec.oneAgent = { ...dk.spec.oneAgent, cloudNativeFullStack: spec }
  }
export const applicationMonitoring = (): Modifier => (dk) => {
  dk.spec.oneAgent = { ...dk.spec.oneAgent, applicationMonitoring: {} }
}
/** Changes the host agent spec of the mode already set. */
export const withHostSpec =
  (change: (spec: Mutable<HostInjectSpec>) => void): Modifier =>
  (dk) =>
    change(hostSpec(dk))
export const withHostGroup =
  (hostGroup: string): Modifier =>
  (dk) => {
    dk.spec.oneAgent = { ...dk.spec.oneAgent, hostGroup }
  }
export const withAnnotation =
  (key: string, value: string): Modifier =>
  (dk) => {
    dk.metadata = { ...dk.metadata, annotations: { ...dk.metadata?.annotations, [key]: value } }
  }
export const withFlag = (flag: string, value: string): Modifier =>
  withAnnotation(`feature.dynatrace.com/${flag}`, value)
export const withProxy =
  (value: string): Modifier =>
  (dk) => {
    dk.spec.proxy = { value }
  }
export const withProxySecret =
  (secret: string): Modifier =>
  (dk) => {
    dk.spec.proxy = { valueFrom: secret }
  }
export const withSpec =
  (change: (spec: DynaKubeDraft["spec"]) => void): Modifier =>
  (dk) =>
    change(dk.spec)
export const withStatus =
  (change: (status: NonNullable<DynaKubeDraft["status"]>) => void): Modifier =>
  (dk) => {
    dk.status ??= {}
    change(dk.status)
  }
export const withAgentVersion = (version: string): Modifier =>
  withStatus((s) => {
    const { healthcheck: _previous, ...oneAgent } = s.oneAgent ?? {}
    s.oneAgent = { ...oneAgent, version, ...healthcheck(version) }
  })
export const withActiveGate =
  (
    capabilities: Array<string>,
    change: (ag: NonNullable<DynaKubeDraft["spec"]["activeGate"]>) => void = () => {}
  ): Modifier =>
  (dk) => {
    dk.spec.activeGate = { ...dk.spec.activeGate, capabilities }
    change(dk.spec.activeGate)
  }
export const withServiceIPs = (...ips: Array<string>): Modifier =>
  withStatus((s) => {
    s.activeGate = { ...s.activeGate, serviceIPs: ips }
  })

/**
 * Compares `value` with the golden JSON file at `path` (pretty-printed, trailing newline). With `UPDATE_GOLDEN=1`
 * the file is written instead, so a deliberate output change is one command plus a reviewed diff.
 */
export const expectGolden = (path: string, value: unknown): void => {
  const text = `${JSON.stringify(value, null, 2)}\n`
  if (process.env["UPDATE_GOLDEN"] === "1") {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text)
    console.info(`golden file written: ${path}`)
    return
  }
  if (!existsSync(path))
    throw new Error(`golden file ${path} is missing; run the test with UPDATE_GOLDEN=1 to create it`)
  // Compared as normalised JSON text: the formatter may re-wrap the file, but key order still counts.
  const golden = `${JSON.stringify(JSON.parse(readFileSync(path, "utf8")), null, 2)}\n`
  if (golden !== text) {
    // The structural comparison gives the readable diff; the text comparison also catches key order changes.
    deepStrictEqual(JSON.parse(text), JSON.parse(golden), `output differs from ${path}`)
    strictEqual(text, golden, `output differs from ${path} (key order)`)
  }
}
