import { describe, expect, it } from "@effect/vitest"
import { parse } from "yaml"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import * as Collect from "./Collect.ts"
import * as SupportArchive from "./SupportArchive.ts"

describe("Collect", () => {
  it("keeps the newest events first, at most the number asked for", () => {
    const events = [
      { metadata: { name: "old" }, lastTimestamp: "2026-01-01T00:00:00Z" },
      { metadata: { name: "new" }, eventTime: "2026-03-01T00:00:00.000000Z" },
      { metadata: { name: "mid" }, lastTimestamp: "2026-02-01T00:00:00Z" },
      { metadata: { name: "created", creationTimestamp: "2025-12-01T00:00:00Z" } }
    ]
    expect(Collect.newestEvents(events, 2).map((e) => e.metadata.name)).toEqual(["new", "mid"])
    expect(Collect.newestEvents(events, 10).map((e) => e.metadata.name)).toEqual(["new", "mid", "old", "created"])
    expect(Collect.newestEvents(events, -1)).toEqual([])
  })

  it("lists init and app containers, marking the restarted ones", () => {
    const pod = {
      spec: { initContainers: [{ name: "init" }], containers: [{ name: "app" }, { name: "sidecar" }] },
      status: {
        initContainerStatuses: [{ name: "init", restartCount: 0 }],
        containerStatuses: [
          { name: "app", restartCount: 3 },
          { name: "sidecar", restartCount: 0 }
        ]
      }
    }
    expect(Collect.containersOf(pod)).toEqual([
      { name: "init", restarted: false },
      { name: "app", restarted: true },
      { name: "sidecar", restarted: false }
    ])
  })

  it("managed pods are the ones the operator deploys", () => {
    expect(
      Collect.isManagedPod({ metadata: { labels: { "app.kubernetes.io/managed-by": "dynatrace-operator" } } })
    ).toBe(true)
    expect(Collect.isManagedPod({ metadata: { labels: { "app.kubernetes.io/name": "dynatrace-operator" } } })).toBe(
      false
    )
  })

  it("a manifest gets apiVersion and kind first and is redacted", () => {
    const yaml = Collect.manifestYaml(Resources.Secret, {
      metadata: { name: "s", managedFields: [{}] },
      data: { apiToken: "c2VjcmV0" }
    } as KubeObject)
    expect(yaml.startsWith("apiVersion: v1\nkind: Secret\n")).toBe(true)
    expect(parse(yaml)).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      data: { apiToken: "<redacted>" }
    })
  })
})

describe("SupportArchive.assemble", () => {
  it("scrubs every file with the learnt values and appends the collection log", () => {
    const token = "dt0c01.ABCDEFGHIJKLMNOPQRSTUVWX.0123456789abcdef"
    const entries = SupportArchive.assemble(
      {
        entries: [
          { path: "logs/op/operator.log", content: `leaked ${token}\n` },
          { path: "troubleshoot.txt", content: "fine\n" }
        ],
        secretValues: [token],
        notes: [`logs of x: not available: refused ${token}`]
      },
      new Date("2026-11-24T10:00:00Z")
    )
    expect(entries.map((e) => e.path)).toEqual(["logs/op/operator.log", "troubleshoot.txt", "support-archive.log"])
    expect(entries[0]?.content).toBe("leaked <redacted>\n")
    const log = entries[2]?.content ?? ""
    expect(log).toContain("Support archive created 2026-11-24T10:00:00.000Z: 2 files collected")
    expect(log).toContain("- logs of x: not available: refused <redacted>")
    expect(entries.some((e) => e.content.includes(token))).toBe(false)
  })

  it("names the file like the original", () => {
    expect(SupportArchive.fileName(new Date("2026-11-24T07:05:09Z"))).toBe(
      "operator-support-archive-2026_11_24-07_05_09.tgz"
    )
  })
})
