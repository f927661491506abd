import { describe, expect, it } from "@effect/vitest"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import {
  dynakube,
  type Modifier,
  withActiveGate,
  withFlag,
  withServiceIPs,
  withSpec
} from "../oneagent/WorkloadFixtures.ts"
import {
  activeGateCapabilities,
  activeGateHostEntries,
  dnsEntryPoint,
  hasActiveGateCaCert,
  isActiveGateEnabled,
  needsActiveGateStatefulSet,
  needsAutomaticTlsSecret,
  tlsSecretName
} from "./Capabilities.ts"

const caps = (...modifiers: ReadonlyArray<Modifier>) => activeGateCapabilities(dynakube(...modifiers))

describe("ActiveGate capabilities (DT_CAPABILITIES)", () => {
  it("maps each capability to its ActiveGate name", () => {
    expect(caps(withActiveGate(["routing"]))).toBe("MSGrouter")
    expect(caps(withActiveGate(["kubernetes-monitoring"]))).toBe("kubernetes_monitoring")
    expect(caps(withActiveGate(["metrics-ingest"]))).toBe("metrics_ingest")
    expect(caps(withActiveGate(["dynatrace-api"]))).toBe("restInterface")
    expect(caps(withActiveGate(["debugging"]))).toBe("debugging")
  })

  it("keeps the spec order of combinations and skips unknown values", () => {
    expect(
      caps(
        withActiveGate(["kubernetes-monitoring", "routing", "bogus", "dynatrace-api", "metrics-ingest", "debugging"])
      )
    ).toBe("kubernetes_monitoring,MSGrouter,restInterface,metrics_ingest,debugging")
    expect(caps(withActiveGate(["bogus"]))).toBe("")
  })

  it("extensions add extension_controller and enable the ActiveGate on their own", () => {
    const prometheusOnly = dynakube(withSpec((s) => (s.extensions = { prometheus: {} })))
    expect(isActiveGateEnabled(prometheusOnly)).toBe(true)
    expect(activeGateCapabilities(prometheusOnly)).toBe("extension_controller")
    expect(needsActiveGateStatefulSet(prometheusOnly)).toBe(true)
    const databases = withSpec((s) => (s.extensions = { databases: [{ id: "db1" }] }))
    expect(caps(withActiveGate(["routing"]), databases)).toBe("MSGrouter,extension_controller")
    expect(isActiveGateEnabled(dynakube(withSpec((s) => (s.extensions = {}))))).toBe(false)
  })

  it("telemetry ingest or an OTLP exporter signal add the ingest capabilities, but do not enable the ActiveGate alone", () => {
    const ingest = "log_analytics_collector,generic_ingest,otlp_ingest"
    const telemetry = withSpec((s) => (s.telemetryIngest = {}))
    expect(caps(withActiveGate(["routing"]), telemetry)).toBe(`MSGrouter,${ingest}`)
    const otlp = withSpec((s) => (s.otlpExporterConfiguration = { signals: { traces: {} } }))
    expect(caps(withActiveGate(["metrics-ingest"]), otlp)).toBe(`metrics_ingest,${ingest}`)
    const otlpNoSignal = withSpec((s) => (s.otlpExporterConfiguration = { signals: {} }))
    expect(caps(withActiveGate(["metrics-ingest"]), otlpNoSignal)).toBe("metrics_ingest")
    expect(caps(telemetry)).toBe("")
    expect(needsActiveGateStatefulSet(dynakube(telemetry))).toBe(false)
    const both = withSpec((s) => (s.extensions = { prometheus: {} }))
    expect(caps(withActiveGate(["routing"]), both, telemetry)).toBe(`MSGrouter,extension_controller,${ingest}`)
  })

  it("no ActiveGate section, or an empty capability list, means disabled", () => {
    expect(isActiveGateEnabled(dynakube())).toBe(false)
    expect(isActiveGateEnabled(dynakube(withActiveGate([])))).toBe(false)
    expect(caps()).toBe("")
  })
})

describe("ActiveGate addressing and TLS", () => {
  it("host entries and DNS entry point: IPs (IPv6 bracketed), plus the Service host with routing", () => {
    const routing = dynakube(withActiveGate(["routing"]), withServiceIPs("10.0.0.12", "fd00::12"))
    expect(activeGateHostEntries(routing)).toBe("10.0.0.12,[fd00::12],dk-activegate.dynatrace")
    expect(dnsEntryPoint(routing)).toBe(
      "https://10.0.0.12:443/communication,https://[fd00::12]:443/communication,https://dk-activegate.dynatrace:443/communication"
    )
    const kubemon = dynakube(withActiveGate(["kubernetes-monitoring"]))
    expect(activeGateHostEntries(kubemon)).toBe("")
    expect(dnsEntryPoint(kubemon)).toBe("")
  })

  it("TLS secret: the user's, else the automatic one (flag on by default), else none", () => {
    const auto = dynakube(withActiveGate(["routing"]))
    expect(tlsSecretName(auto, readWorkloadFlags(auto))).toBe("dk-activegate-tls-secret")
    expect(needsAutomaticTlsSecret(auto, readWorkloadFlags(auto))).toBe(true)
    const user = dynakube(withActiveGate(["routing"], (ag) => (ag.tlsSecretName = "mine")))
    expect(tlsSecretName(user, readWorkloadFlags(user))).toBe("mine")
    expect(needsAutomaticTlsSecret(user, readWorkloadFlags(user))).toBe(false)
    const off = dynakube(withActiveGate(["routing"]), withFlag("automatic-tls-certificate", "false"))
    expect(tlsSecretName(off, readWorkloadFlags(off))).toBeUndefined()
    expect(hasActiveGateCaCert(off, readWorkloadFlags(off))).toBe(false)
    const disabled = dynakube()
    expect(hasActiveGateCaCert(disabled, readWorkloadFlags(disabled))).toBe(false)
    expect(needsAutomaticTlsSecret(disabled, readWorkloadFlags(disabled))).toBe(false)
  })
})
