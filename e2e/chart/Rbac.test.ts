/**
 * Least privilege, statically: the RBAC table (`RbacUsage.ts`) against the code (`CodeScan.ts`) and against the
 * chart. Fails when the code starts using a resource or verb the table (and so the chart) lacks, when the chart
 * does not grant a row, and when the chart grants our programs anything no row asks for.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { importClosure, programs, scan, type ServiceAccountName } from "./CodeScan.ts"
import { ensureHelm } from "./Helm.ts"
import { expand, grantsOf, justifiedBy, missing } from "./Rbac.ts"
import { type Need, needs, platformGrants } from "./RbacUsage.ts"
import { releaseNamespace, render, type Rendered } from "./Render.ts"

const accounts = Object.keys(programs) as ReadonlyArray<ServiceAccountName>
let kubernetes: ReadonlyArray<Rendered> = []
let openshift: ReadonlyArray<Rendered> = []

/** The value sets optional rows are granted with (e.g. operator.missedInjection=restart). */
const optionalSets: ReadonlyArray<ReadonlyArray<string>> = [
  ...new Map(
    Object.values(needs)
      .flatMap((rows) => rows.flatMap((need) => need.onlyWith ?? []))
      .map((set) => [JSON.stringify(set), set] as const)
  ).values()
]
/** Renders with each optional value set, on Kubernetes and OpenShift. */
const optional: Array<{ readonly set: ReadonlyArray<string>; readonly objects: ReadonlyArray<Rendered> }> = []

/** The rows a render with `set` (undefined = the defaults) must grant, and may grant. */
const rowsFor = (account: ServiceAccountName, set: ReadonlyArray<string> | undefined): ReadonlyArray<Need> =>
  needs[account].filter(
    (need) =>
      need.onlyWith === undefined ||
      (set !== undefined && need.onlyWith.some((s) => JSON.stringify(s) === JSON.stringify(set)))
  )

beforeAll(async () => {
  const helm = await ensureHelm()
  kubernetes = render(helm)
  openshift = render(helm, ["--set", "platform=openshift"])
  for (const set of optionalSets) {
    optional.push({ set, objects: render(helm, set) })
    optional.push({ set, objects: render(helm, ["--set", "platform=openshift", ...set]) })
  }
})

describe("the code uses only what the RBAC table lists", () => {
  it.each(accounts)("%s: every resource and verb found in its code has a row", (account) => {
    const files = importClosure(programs[account])
    expect(files.length).toBeGreaterThan(3)
    const problems: Array<string> = []
    for (const use of scan(files)) {
      const rows = needs[account].filter((n) => n.group === use.group && n.resource === use.resource)
      const where = `${use.file}:${use.line}`
      if (rows.length === 0) {
        problems.push(`${where} uses ${use.group || "core"}/${use.resource}, which has no row for ${account}`)
        continue
      }
      for (const verb of use.verbs) {
        if (!rows.some((r) => (r.verbs as ReadonlyArray<string>).includes(verb))) {
          problems.push(`${where} ${use.call}() needs ${verb} on ${use.group || "core"}/${use.resource}`)
        }
      }
    }
    expect(problems, "add the rows to e2e/chart/RbacUsage.ts and the rules to the chart").toEqual([])
  })

  it("the scan sees the calls it is meant to see (it would catch a new one)", () => {
    const uses = scan(importClosure(programs["dynatrace-operator"]))
    const verbsOf = (group: string, resource: string) =>
      new Set(uses.filter((u) => u.group === group && u.resource === resource).flatMap((u) => u.verbs))
    expect(verbsOf("coordination.k8s.io", "leases")).toEqual(new Set(["get", "create", "update"]))
    expect(verbsOf("dynatrace.com", "dynakubes/status")).toEqual(new Set(["update"]))
    expect(verbsOf("", "nodes")).toEqual(new Set(["list", "watch"]))
    // The webhook never writes namespaces (it answers with a patch instead).
    const webhook = scan(importClosure(programs["dynatrace-webhook"]))
    expect(
      webhook.some(
        (u) => u.resource === "namespaces" && u.verbs.some((v) => v !== "get" && v !== "list" && v !== "watch")
      )
    ).toBe(false)
  })

  it("every row is used: the code references the resource (or the row says which platform rule needs it)", () => {
    for (const account of accounts) {
      const used = new Set(scan(importClosure(programs[account])).map((u) => `${u.group}/${u.resource}`))
      for (const need of needs[account]) {
        if (need.resource.endsWith("/finalizers")) continue // blockOwnerDeletion: not an API call of ours
        expect(
          used.has(`${need.group}/${need.resource}`),
          `${account}: ${need.group}/${need.resource} is not used`
        ).toBe(true)
      }
    }
  })
})

describe("the chart grants exactly the table", () => {
  /** The default renders, then each optional value set's, with the rows each must grant. */
  const renders = () => [...[kubernetes, openshift].map((objects) => ({ set: undefined, objects })), ...optional]

  it.each(accounts)("%s: every row is granted, in its scope (Kubernetes and OpenShift, each value set)", (account) => {
    for (const { set, objects } of renders()) {
      const grants = grantsOf(objects, account, releaseNamespace)
      expect(
        rowsFor(account, set).flatMap((need) => missing(grants, need)),
        set?.join(" ") ?? "defaults"
      ).toEqual([])
    }
  })

  it.each(accounts)("%s: nothing is granted that no row asks for (optional rows only with their values)", (account) => {
    for (const { set, objects } of renders()) {
      const extra = expand(grantsOf(objects, account, releaseNamespace)).filter(
        (item) => ![...rowsFor(account, set), ...platformGrants[account]].some((need) => justifiedBy(item, need))
      )
      expect(
        extra.map((e) => `${e.from}: ${e.verb} ${e.group || "core"}/${e.resource} [${e.names.join(",")}] (${e.scope})`),
        set?.join(" ") ?? "defaults"
      ).toEqual([])
    }
  })

  it("optional rows exist and are not granted by default (operator.missedInjection is off)", () => {
    expect(optionalSets.length).toBeGreaterThan(0)
    const grants = grantsOf(kubernetes, "dynatrace-operator", releaseNamespace)
    expect(grants.some((g) => g.from.includes("missed-injection"))).toBe(false)
    const podsWatch = needs["dynatrace-operator"].find((n) => n.resource === "pods" && n.verbs.includes("watch"))!
    expect(missing(grants, podsWatch)).not.toEqual([])
  })

  it("the operator cannot read or write secrets outside its namespace except the four replicated names", () => {
    const clusterSecretRules = grantsOf(kubernetes, "dynatrace-operator", releaseNamespace).filter(
      (g) => g.scope === "cluster" && (g.rule.resources ?? []).includes("secrets")
    )
    expect(clusterSecretRules.length).toBeGreaterThan(0)
    for (const g of clusterSecretRules) expect(g.rule.resourceNames?.length, g.from).toBe(4)
  })

  it("no service account of ours may escalate: no RBAC writes, no wildcards, no pods/exec outside supportability", () => {
    for (const account of accounts) {
      for (const item of expand(grantsOf(openshift, account, releaseNamespace))) {
        expect(item.group, `${account} ${item.from}`).not.toBe("rbac.authorization.k8s.io")
        expect([item.group, item.resource, item.verb]).not.toContain("*")
        expect(["bind", "escalate", "impersonate"]).not.toContain(item.verb)
      }
    }
  })
})

describe("docs/helm.md", () => {
  it("documents every row of the RBAC table (resource and service account)", () => {
    const doc = fs.readFileSync(path.join(import.meta.dirname, "../../docs/helm.md"), "utf8")
    for (const account of accounts) {
      expect(doc).toContain(`\`${account}\``)
      for (const need of needs[account]) {
        const leaf = need.resource.split("/").pop()!
        expect(doc, `${account}: ${need.group}/${need.resource}`).toContain(leaf)
      }
    }
  })
})
