import { describe, it } from "@effect/vitest"
import { fileURLToPath } from "node:url"
import { buildOneAgentDaemonSet } from "./OneAgentDaemonSet.ts"
import {
  cloudNativeFullStack,
  dynakube,
  expectGolden,
  operator,
  withActiveGate,
  withFlag,
  withHostGroup,
  withProxy,
  withServiceIPs,
  withSpec
} from "./WorkloadFixtures.ts"

// Regenerate after a deliberate change: UPDATE_GOLDEN=1 npm exec -- vitest run <this file>, then `npm run format`.
const golden = fileURLToPath(new URL("./testdata/oneagent-daemonset.golden.json", import.meta.url))

describe("OneAgent DaemonSet golden file", () => {
  it("a cloudNativeFullStack DaemonSet with most features on matches testdata/oneagent-daemonset.golden.json", () => {
    const dk = dynakube(
      cloudNativeFullStack({
        args: ["--set-host-tag=team=payments", "--set-host-property=cost-center=42", "--set-monitoring-mode=fullstack"],
        env: [{ name: "ONEAGENT_ENABLE_VOLUME_STORAGE", value: "true" }],
        labels: { team: "payments" },
        annotations: { "example.com/owner": "platform" },
        nodeSelector: { "kubernetes.io/os": "linux" },
        tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
        priorityClassName: "dynatrace-high-priority",
        oneAgentResources: { requests: { memory: "512Mi" }, limits: { cpu: "1", memory: "1536Mi" } },
        secCompProfile: "oneagent.json",
        additionalResourceAttributes: { "dt.cost.product": "checkout" }
      }),
      withHostGroup("prod-hosts"),
      withProxy("http://proxy.corp:3128"),
      withFlag("no-proxy", "internal.corp"),
      withActiveGate(["routing", "kubernetes-monitoring"]),
      withServiceIPs("10.96.0.12"),
      withSpec((s) => {
        s.networkZone = "eu-west"
        s.trustedCAs = "corp-cas"
        s.customPullSecret = "corp-registry"
        s.resourceAttributes = { "k8s.cluster.name": "prod" }
        s.logMonitoring = {}
      })
    )
    expectGolden(golden, buildOneAgentDaemonSet({ dynakube: dk, operator, processGroupingConfigHash: "2718281828" }))
  })
})
