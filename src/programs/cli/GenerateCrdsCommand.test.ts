import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { parseAllDocuments } from "yaml"
import { allCrdsYaml, dynaKubeCrd } from "../../schemas/Crds.ts"

const runCli = (...args: Array<string>) =>
  spawnSync(process.execPath, ["src/main.ts", ...args], { encoding: "utf8", timeout: 30_000 })

describe("dynatrace-operator generate-crds", () => {
  it("prints the generated CRDs", () => {
    const result = runCli("generate-crds")
    expect(result.status).toBe(0)
    expect(result.stdout).toBe(allCrdsYaml())
  })

  it("points the conversion webhook at the namespace given with --namespace", () => {
    const result = runCli("generate-crds", "--namespace", "monitoring")
    expect(result.status).toBe(0)
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS())
    expect(docs).toHaveLength(3)
    expect(docs[0]).toEqual(dynaKubeCrd({ namespace: "monitoring" }))
    expect(docs[1].spec.conversion.webhook.clientConfig.service.namespace).toBe("monitoring")
    // DTPrometheus has a single version and therefore no conversion webhook.
    expect(docs[2].metadata.name).toBe("dtprometheuses.dynatrace.com")
    expect(docs[2].spec.conversion).toBeUndefined()
  })

  it("refuses a namespace that is not a valid name", () => {
    const result = runCli("generate-crds", "--namespace", "Not_A_Namespace")
    expect(result.status).not.toBe(0)
    expect(result.stdout + result.stderr).toContain("Expected a namespace name")
  })
})
