import { describe, it } from "@effect/vitest"
import { fileURLToPath } from "node:url"
import {
  dynakube,
  expectGolden,
  operator,
  withActiveGate,
  withProxy,
  withServiceIPs,
  withSpec,
  withStatus
} from "../oneagent/WorkloadFixtures.ts"
import { buildActiveGateStatefulSet } from "./ActiveGateStatefulSet.ts"

// Regenerate after a deliberate change: UPDATE_GOLDEN=1 npm exec -- vitest run <this file>, then `npm run format`.
const golden = fileURLToPath(new URL("./testdata/activegate-statefulset.golden.json", import.meta.url))

describe("ActiveGate StatefulSet golden file", () => {
  it("an ActiveGate with most features on matches testdata/activegate-statefulset.golden.json", () => {
    const dk = dynakube(
      withActiveGate(["routing", "kubernetes-monitoring", "metrics-ingest", "dynatrace-api"], (ag) => {
        ag.replicas = 2
        ag.group = "k8s-prod"
        ag.customProperties = { valueFrom: "ag-custom-properties" }
        ag.resources = { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } }
        ag.env = [{ name: "DT_LOGLEVEL", value: "info" }]
        ag.labels = { team: "platform" }
        ag.annotations = { "example.com/owner": "platform" }
        ag.tolerations = [{ key: "dedicated", operator: "Equal", value: "ag", effect: "NoSchedule" }]
        ag.priorityClassName = "dynatrace-high-priority"
        ag.terminationGracePeriodSeconds = 60
      }),
      withServiceIPs("10.96.0.12"),
      withProxy("http://proxy.corp:3128"),
      withSpec((s) => {
        s.networkZone = "eu-west"
        s.trustedCAs = "corp-cas"
        s.resourceAttributes = { "k8s.cluster.name": "prod" }
        s.extensions = { prometheus: {} }
        s.telemetryIngest = { protocols: ["otlp"] }
        s.kspm = {}
      }),
      withStatus((s) => (s.kspm = { tokenSecretHash: "kspm-hash-1" }))
    )
    expectGolden(golden, buildActiveGateStatefulSet({ dynakube: dk, operator, configurationHash: "3735928559" }))
  })
})
