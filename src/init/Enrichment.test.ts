import { NodeFileSystem } from "@effect/platform-node"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect, Option, Result } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as BootstrapInput from "./BootstrapInput.ts"
import * as Enrichment from "./Enrichment.ts"
import * as InputDirectory from "./InputDirectory.ts"

const dirs: Array<string> = []
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

const input = (overrides: Partial<BootstrapInput.RawFlags>) =>
  Result.getOrThrow(BootstrapInput.fromFlags({ ...BootstrapInput.noFlags, metadataEnrichment: true, ...overrides }))

const webhookAttributes = [
  "k8s.pod.name=$(K8S_PODNAME)",
  "k8s.pod.uid=$(K8S_PODUID)",
  "k8s.node.name=$(K8S_NODE_NAME)",
  "k8s.namespace.name=shop",
  "k8s.workload.kind=deployment",
  "k8s.workload.name=web",
  "k8s.cluster.uid=c-uid",
  "k8s.cluster.name=prod",
  "dt.entity.kubernetes_cluster=KUBERNETES_CLUSTER-1",
  "team=checkout"
]
const env = { podName: Option.some("web-1"), podUid: Option.some("p-uid"), nodeName: Option.some("node-1") }
const app = { "k8s.container.name": "app" }

describe("Enrichment", () => {
  it("lists the pod attributes, the container name and the deprecated dt.kubernetes.* keys, sorted", () => {
    const pairs = Enrichment.metadata(input({ attributes: webhookAttributes, ...env }), app)
    expect(pairs).toEqual([
      ["dt.entity.kubernetes_cluster", "KUBERNETES_CLUSTER-1"],
      ["dt.kubernetes.cluster.id", "c-uid"],
      ["dt.kubernetes.workload.kind", "deployment"],
      ["dt.kubernetes.workload.name", "web"],
      ["k8s.cluster.name", "prod"],
      ["k8s.cluster.uid", "c-uid"],
      ["k8s.container.name", "app"],
      ["k8s.namespace.name", "shop"],
      ["k8s.node.name", "node-1"],
      ["k8s.pod.name", "web-1"],
      ["k8s.pod.uid", "p-uid"],
      ["k8s.workload.kind", "deployment"],
      ["k8s.workload.name", "web"],
      ["team", "checkout"]
    ])
  })

  it("leaves the deprecated keys out with --enable-attributes-dt-kubernetes=false", () => {
    const pairs = Enrichment.metadata(
      input({ attributes: webhookAttributes, enableAttributesDtKubernetes: Option.some("false"), ...env }),
      app
    )
    expect(pairs.map(([k]) => k).filter((k) => k.startsWith("dt.kubernetes"))).toEqual([])
  })

  it.effect("writes dt_metadata.json, dt_metadata.properties and endpoint.properties per container", () =>
    Effect.gen(function* () {
      const config = fs.mkdtempSync(path.join(os.tmpdir(), "enrichment-"))
      dirs.push(config)
      const files: InputDirectory.InputFiles = {
        ...InputDirectory.empty,
        endpointProperties: Option.some(
          Buffer.from("DT_METRICS_INGEST_URL=http://ag/e/t/api/v2/metrics/ingest\nDT_METRICS_INGEST_API_TOKEN=tok\n")
        )
      }
      const bootstrap = input({
        attributes: ["k8s.namespace.name=shop", "k8s.cluster.uid=c-uid"],
        attributeContainers: ['{"k8s.container.name":"app"}', '{"k8s.container.name":"sidecar"}'],
        podName: Option.some("web-1")
      })
      yield* Enrichment.write(bootstrap, files, config)

      const read = (rel: string) => fs.readFileSync(path.join(config, rel), "utf8")
      expect(read("app/enrichment/dt_metadata.json")).toBe(
        '{"dt.kubernetes.cluster.id":"c-uid","k8s.cluster.uid":"c-uid","k8s.container.name":"app","k8s.namespace.name":"shop","k8s.pod.name":"web-1"}'
      )
      expect(read("sidecar/enrichment/dt_metadata.properties")).toBe(
        "dt.kubernetes.cluster.id=c-uid\nk8s.cluster.uid=c-uid\nk8s.container.name=sidecar\nk8s.namespace.name=shop\nk8s.pod.name=web-1\n"
      )
      expect(read("app/enrichment/endpoint/endpoint.properties")).toBe(
        "DT_METRICS_INGEST_URL=http://ag/e/t/api/v2/metrics/ingest\nDT_METRICS_INGEST_API_TOKEN=tok\n"
      )
      expect(fs.statSync(path.join(config, "app/enrichment/dt_metadata.json")).mode & 0o777).toBe(0o644)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})
