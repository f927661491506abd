import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import type { ExplainError } from "../explain/Explain.ts"
import { manifestOf } from "./ExplainCommand.ts"

const success = (text: string): unknown => {
  const result = manifestOf(text)
  if (Result.isFailure(result)) throw new Error(`expected a manifest, got: ${result.failure.message}`)
  return result.success
}

const failure = (text: string): ExplainError => {
  const result = manifestOf(text)
  if (Result.isSuccess(result)) throw new Error(`expected a failure, got ${JSON.stringify(result.success)}`)
  return result.failure
}

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "shop", namespace: "demo" },
  spec: { template: { metadata: { labels: { app: "shop" } }, spec: { containers: [{ name: "shop", image: "s:1" }] } } }
}

const kinds =
  "pod, deployment, statefulset, daemonset, replicaset, job, cronjob, replicationcontroller, deploymentconfig"

describe("ExplainCommand.manifestOf", () => {
  it("reads a single YAML document", () => {
    const text = [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata:",
      "  name: shop",
      "  namespace: demo",
      "spec:",
      "  template:",
      "    metadata:",
      "      labels:",
      "        app: shop",
      "    spec:",
      "      containers:",
      "        - name: shop",
      '          image: "s:1"'
    ].join("\n")
    expect(success(text)).toEqual(deployment)
  })

  it("reads JSON, compact or indented with spaces or tabs", () => {
    expect(success(JSON.stringify(deployment))).toEqual(deployment)
    expect(success(JSON.stringify(deployment, null, 2))).toEqual(deployment)
    expect(success(JSON.stringify(deployment, null, "\t"))).toEqual(deployment)
  })

  it("picks the first pod or workload of several documents, skipping other kinds and empty documents", () => {
    const text = [
      "---",
      "# nothing here",
      "---",
      "apiVersion: v1",
      "kind: Service",
      "metadata: {name: shop}",
      "---",
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata: {name: shop-config}",
      "data: {a: b}",
      "---",
      "---",
      "apiVersion: apps/v1",
      "kind: StatefulSet",
      "metadata: {name: db}",
      "---",
      "apiVersion: v1",
      "kind: Pod",
      "metadata: {name: later}"
    ].join("\n")
    expect(success(text)).toEqual({ apiVersion: "apps/v1", kind: "StatefulSet", metadata: { name: "db" } })
  })

  it("looks inside a List, as kubectl get -o yaml prints several objects", () => {
    const list = { apiVersion: "v1", kind: "List", items: [{ kind: "Service", metadata: { name: "s" } }, deployment] }
    expect(success(JSON.stringify(list))).toEqual(deployment)
  })

  it("takes a bare Pod", () => {
    expect(success("kind: Pod\nmetadata:\n  name: web-0\n")).toEqual({ kind: "Pod", metadata: { name: "web-0" } })
  })

  it("refuses text that is not YAML with a Target error saying so", () => {
    for (const text of ["kind: Pod\nmetadata: [\n", "kind: Pod\nkind: Deployment\n", "a: b\n  c: d\n"]) {
      const error = failure(text)
      expect(error._tag).toBe("ExplainError")
      expect(error.reason).toBe("Target")
      expect(error.message).toMatch(/^the manifest is not YAML: \S/)
    }
  })

  it("refuses an invalid document even after a usable one", () => {
    expect(failure("kind: Pod\n---\nkind: [\n").message).toMatch(/^the manifest is not YAML: /)
  })

  it("refuses a manifest with no pod or workload, naming the kinds it takes", () => {
    for (const text of [
      "",
      "---\n---\n",
      "# only a comment\n",
      "kind: Service\nmetadata: {name: shop}\n",
      "apiVersion: v1\nmetadata: {name: nokind}\n",
      "kind: 7\n",
      "- kind: Pod\n",
      "just a string\n",
      "42\n"
    ]) {
      const error = failure(text)
      expect(error.reason, text).toBe("Target")
      expect(error.message, text).toBe(`the manifest holds no ${kinds}`)
    }
  })
})
