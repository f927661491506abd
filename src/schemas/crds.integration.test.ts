/**
 * The generated CRDs against the shared real control plane (process.env.KUBECONFIG from the integration global
 * setup), driven with kubectl: they install and become Established, the samples in manifests/samples are
 * accepted, invalid objects are rejected by the apiserver's own schema validation, unknown fields are pruned
 * where the schema is closed and kept where it is free-form, and `kubectl explain` shows the field docs.
 * DTPrometheus (single version) gets its defaults, required fields and duration format checked the same way.
 *
 * The conversion webhook does not run here, so the CRDs are installed with `conversion.strategy: None` (the
 * apiserver then only rewrites apiVersion between versions). Conversion itself is covered by the pure property
 * tests in Conversion.test.ts; the webhook's own tests cover `/convert` end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parse, stringify } from "yaml"
import { version as operatorVersion } from "../programs/cli/Version.ts"
import { allCrdsYaml } from "./Crds.ts"

const repoRoot = join(import.meta.dirname, "../..")
const kubectlPath = join(process.env["TESTENV_BIN_DIR"] ?? join(repoRoot, ".cache/testenv/bin"), "kubectl")

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

const kubectl = (args: ReadonlyArray<string>, input?: string): Run => {
  const kubeconfig = process.env["KUBECONFIG"]
  if (kubeconfig === undefined) throw new Error("KUBECONFIG is not set: run this through the integration project")
  const result = spawnSync(kubectlPath, ["--kubeconfig", kubeconfig, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    ...(input !== undefined ? { input } : {})
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

const ok = (args: ReadonlyArray<string>, input?: string): string => {
  const run = kubectl(args, input)
  if (run.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${run.stderr}`)
  return run.stdout
}

/** Retries until `f` does not throw, for up to 30 s. */
const eventually = async <A>(f: () => A): Promise<A> => {
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      return f()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

const namespace = `crds-${Math.random().toString(36).slice(2, 7)}`

/** A sample from manifests/samples, moved into the test namespace. */
const sample = (file: string): Record<string, any> => {
  const object = parse(readFileSync(join(repoRoot, "manifests/samples", file), "utf8"))
  object.metadata.namespace = namespace
  return object
}

const create = (object: unknown): Run => kubectl(["create", "-f", "-", "-o", "json"], stringify(object))

const dynakube = (name: string, spec: Record<string, unknown>, apiVersion = "dynatrace.com/v1beta6") => ({
  apiVersion,
  kind: "DynaKube",
  metadata: { name, namespace },
  spec: { apiUrl: "https://abc12345.live.dynatrace.com/api", ...spec }
})

beforeAll(async () => {
  // Server-side apply with our own field manager, forcing ownership: other test files may install the CRDs too.
  ok(
    ["apply", "--server-side", "--force-conflicts", "--field-manager=crds-integration-test", "-f", "-"],
    allCrdsYaml({ conversion: "None" })
  )
  ok(["create", "namespace", namespace])
})

afterAll(() => {
  kubectl(["delete", "namespace", namespace, "--wait=false"])
})

describe("generated CRDs on a real apiserver", () => {
  it("install and become Established with their names accepted", () => {
    ok([
      "wait",
      "--for=condition=Established",
      "--timeout=60s",
      "crd/dynakubes.dynatrace.com",
      "crd/edgeconnects.dynatrace.com",
      "crd/dtprometheuses.dynatrace.com"
    ])
    const crd = JSON.parse(ok(["get", "crd", "dynakubes.dynatrace.com", "-o", "json"]))
    const conditions = Object.fromEntries(crd.status.conditions.map((c: any) => [c.type, c.status]))
    expect(conditions).toMatchObject({ Established: "True", NamesAccepted: "True" })
    expect(crd.status.acceptedNames.shortNames).toEqual(["dk", "dks"])
  })

  it("accept the samples of every version and apply the schema defaults", async () => {
    for (const file of [
      "dynakube-cloudnative.yaml",
      "dynakube-applicationmonitoring.yaml",
      "dynakube-classicfullstack-v1beta5.yaml",
      "edgeconnect.yaml",
      "edgeconnect-v1alpha1.yaml"
    ]) {
      const run = await eventually(() => {
        const attempt = create(sample(file))
        // Right after Established the new kinds may still be missing from discovery.
        if (attempt.status !== 0 && /no matches for kind|the server could not find/.test(attempt.stderr)) {
          throw new Error(attempt.stderr)
        }
        return attempt
      })
      expect(run.stderr, file).not.toMatch(/error|invalid/i)
      expect(run.status, file).toBe(0)
    }
    const cloudNative = JSON.parse(
      ok(["get", "dynakubes.v1beta6.dynatrace.com", "dynakube", "-n", namespace, "-o", "json"])
    )
    expect(cloudNative.spec.dynatraceApiRequestThreshold).toBe(15)
    expect(cloudNative.spec.oneAgent.cloudNativeFullStack.dnsPolicy).toBe("ClusterFirstWithHostNet")
    expect(cloudNative.spec.oneAgent.cloudNativeFullStack.rollingUpdate).toEqual({ maxUnavailable: "10%" })
    expect(cloudNative.spec.activeGate.replicas).toBe(2)
    const edgeConnect = JSON.parse(
      ok(["get", "edgeconnects.v1alpha2.dynatrace.com", "edgeconnect", "-n", namespace, "-o", "json"])
    )
    expect(edgeConnect.spec.autoUpdate).toBe(true)
    expect(edgeConnect.spec.hostRestrictions).toEqual(["internal.example.org", "*.dev.example.org"])
    const old = JSON.parse(
      ok(["get", "edgeconnects.v1alpha1.dynatrace.com", "edgeconnect-old", "-n", namespace, "-o", "json"])
    )
    expect(old.spec.serviceAccountName).toBe("dynatrace-edgeconnect")
  })

  it("reject a wrong enum value, a too-long apiUrl and a wrong type, naming the field", () => {
    const badEnum = create(dynakube("bad-enum", { oneAgent: { hostMonitoring: { imagePullPolicy: "Sometimes" } } }))
    expect(badEnum.status).not.toBe(0)
    expect(badEnum.stderr).toContain("spec.oneAgent.hostMonitoring.imagePullPolicy")
    expect(badEnum.stderr).toContain('Unsupported value: "Sometimes"')

    const longUrl = create(dynakube("long-url", { apiUrl: `https://${"a".repeat(120)}.live.dynatrace.com/api` }))
    expect(longUrl.status).not.toBe(0)
    expect(longUrl.stderr).toMatch(/spec\.apiUrl: Too long: may not be (longer|more) than 128/)

    const wrongType = create(dynakube("wrong-type", { activeGate: { replicas: "two" } }))
    expect(wrongType.status).not.toBe(0)
    expect(wrongType.stderr).toContain("spec.activeGate.replicas")
    expect(wrongType.stderr).toContain("must be of type integer")

    const v5Enum = create(
      dynakube("bad-v5", { oneAgent: { classicFullStack: { dnsPolicy: "Everywhere" } } }, "dynatrace.com/v1beta5")
    )
    expect(v5Enum.status).not.toBe(0)
    expect(v5Enum.stderr).toContain("spec.oneAgent.classicFullStack.dnsPolicy")
  })

  it("reject objects without required fields and with invalid list keys and patterns", () => {
    const noApiUrl = create({
      apiVersion: "dynatrace.com/v1beta6",
      kind: "DynaKube",
      metadata: { name: "no-url", namespace },
      spec: {}
    })
    expect(noApiUrl.status).not.toBe(0)
    expect(noApiUrl.stderr).toContain("spec.apiUrl: Required value")

    const badDatabase = create(dynakube("bad-db", { extensions: { databases: [{ id: "Not_Valid_Id" }] } }))
    expect(badDatabase.status).not.toBe(0)
    expect(badDatabase.stderr).toContain("spec.extensions.databases[0].id")

    const duplicateArgs = create(
      dynakube("dup-args", { oneAgent: { classicFullStack: { args: ["--set-host-tag=a", "--set-host-tag=a"] } } })
    )
    expect(duplicateArgs.status).not.toBe(0)
    expect(duplicateArgs.stderr).toContain("Duplicate value")

    const noOauth = create({
      apiVersion: "dynatrace.com/v1alpha2",
      kind: "EdgeConnect",
      metadata: { name: "no-oauth", namespace },
      spec: { apiServer: "abc12345.apps.dynatrace.com" }
    })
    expect(noOauth.status).not.toBe(0)
    expect(noOauth.stderr).toContain("spec.oauth: Required value")
  })

  it("prune unknown fields where the schema is closed and keep them where it is free-form", () => {
    const object = dynakube("pruning", {
      unknownTopLevel: "dropped",
      activeGate: {
        capabilities: ["routing"],
        unknownInActiveGate: 1,
        volumes: [{ name: "extra", configMap: { name: "cm", items: [{ key: "k", path: "p" }] } }],
        volumeClaimTemplate: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } }
      }
    })
    // kubectl asks for strict field validation by default: unknown fields are refused...
    const strict = kubectl(["create", "-f", "-"], stringify(object))
    expect(strict.status).not.toBe(0)
    expect(strict.stderr).toContain('unknown field "spec.unknownTopLevel"')
    expect(strict.stderr).not.toContain("volumes")
    // ...and without it they are pruned, except inside free-form objects.
    ok(["create", "--validate=false", "-f", "-"], stringify(object))
    const stored = JSON.parse(ok(["get", "dynakube", "pruning", "-n", namespace, "-o", "json"]))
    expect(stored.spec.unknownTopLevel).toBeUndefined()
    expect(stored.spec.activeGate.unknownInActiveGate).toBeUndefined()
    expect(stored.spec.activeGate.volumes).toEqual([
      { name: "extra", configMap: { name: "cm", items: [{ key: "k", path: "p" }] } }
    ])
    expect(stored.spec.activeGate.volumeClaimTemplate.resources).toEqual({ requests: { storage: "1Gi" } })
  })

  it("serve the short names, the dynatrace category and the printer columns", () => {
    const table = ok(["get", "dk", "-n", namespace])
    expect(table.split("\n")[0]).toMatch(/NAME\s+APIURL\s+STATUS\s+AGE/)
    expect(table).toContain("https://abc12345.live.dynatrace.com/api")
    const category = ok(["get", "dynatrace", "-n", namespace, "-o", "name"])
    expect(category).toContain("dynakube.dynatrace.com/dynakube")
    expect(category).toContain("edgeconnect.dynatrace.com/edgeconnect")
    expect(ok(["get", "ec", "-n", namespace]).split("\n")[0]).toMatch(/NAME\s+APISERVER\s+STATUS\s+AGE/)
  })

  it("document the fields for kubectl explain, in every version", async () => {
    const spec = await eventually(() => {
      const text = ok(["explain", "dynakube.spec"])
      if (!text.includes("apiUrl")) throw new Error(text)
      return text
    })
    expect(spec).toContain("Dynatrace API URL including the /api path")
    expect(spec).toContain("oneAgent")
    expect(ok(["explain", "dynakube.spec.oneAgent.cloudNativeFullStack.namespaceSelector"])).toContain(
      "Namespaces whose pods get code modules injected"
    )
    const v5 = ok(["explain", "dynakube.spec.oneAgent.classicFullStack", "--api-version=dynatrace.com/v1beta5"])
    expect(v5).toContain("autoUpdate")
    expect(ok(["explain", "edgeconnect.spec.oauth"])).toContain("Token endpoint of Dynatrace SSO")
  })
})

const dtPrometheus = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: "dynatrace.com/v1alpha1",
  kind: "DTPrometheus",
  metadata: { name, namespace },
  spec
})

describe("the DTPrometheus CRD on a real apiserver", () => {
  it("is Established with the original's names and carries the operator's version label", () => {
    ok(["wait", "--for=condition=Established", "--timeout=60s", "crd/dtprometheuses.dynatrace.com"])
    const crd = JSON.parse(ok(["get", "crd", "dtprometheuses.dynatrace.com", "-o", "json"]))
    expect(crd.status.acceptedNames).toMatchObject({ kind: "DTPrometheus", shortNames: ["dtp", "dtps"] })
    expect(crd.spec.conversion).toEqual({ strategy: "None" })
    expect(crd.metadata.labels["app.kubernetes.io/version"]).toBe(operatorVersion)
  })

  it("applies the defaults: Target Allocator and scraper sections, intervals, the scrape CR selector", async () => {
    const run = await eventually(() => {
      const attempt = create(dtPrometheus("defaults", { dynaKubeName: "dynakube", gateway: { replicas: 2 } }))
      if (attempt.status !== 0 && /no matches for kind|the server could not find/.test(attempt.stderr)) {
        throw new Error(attempt.stderr)
      }
      return attempt
    })
    expect(run.status, run.stderr).toBe(0)
    const stored = JSON.parse(run.stdout)
    expect(stored.spec.targetAllocator).toEqual({
      scrapeInterval: "60s",
      scrapeCRSelector: { matchLabels: { "prometheus.dynatrace.com": "true" } }
    })
    expect(stored.spec.scraper).toEqual({ targetsPollInterval: "60s" })
    expect(stored.spec.gateway).toEqual({ replicas: 2 })
    expect(stored.spec).not.toHaveProperty("dynatracePreset")
    // An explicit empty selector (match everything) is kept, not replaced by the default.
    const all = create(
      dtPrometheus("all-crs", {
        dynaKubeName: "dynakube",
        targetAllocator: { scrapeCRSelector: {} },
        dynatracePreset: {}
      })
    )
    expect(all.status, all.stderr).toBe(0)
    expect(JSON.parse(all.stdout).spec.targetAllocator.scrapeCRSelector).toEqual({})
    expect(JSON.parse(all.stdout).spec.dynatracePreset).toEqual({})
  })

  it("rejects a missing or empty dynaKubeName, a malformed duration and a wrong pull policy", () => {
    const missing = create(dtPrometheus("missing", {}))
    expect(missing.status).not.toBe(0)
    expect(missing.stderr).toContain("spec.dynaKubeName: Required value")

    const empty = create(dtPrometheus("empty", { dynaKubeName: "" }))
    expect(empty.status).not.toBe(0)
    expect(empty.stderr).toContain("spec.dynaKubeName")

    const duration = create(dtPrometheus("duration", { dynaKubeName: "dk", scraper: { targetsPollInterval: "soon" } }))
    expect(duration.status).not.toBe(0)
    expect(duration.stderr).toContain("spec.scraper.targetsPollInterval")

    const policy = create(dtPrometheus("policy", { dynaKubeName: "dk", gateway: { imagePullPolicy: "Sometimes" } }))
    expect(policy.status).not.toBe(0)
    expect(policy.stderr).toContain('Unsupported value: "Sometimes"')
  })

  it("serves the short name and the DynaKube printer column", () => {
    const table = ok(["get", "dtp", "-n", namespace])
    expect(table.split("\n")[0]).toMatch(/NAME\s+DYNAKUBE\s+STATUS\s+AGE/)
    expect(table).toMatch(/defaults\s+dynakube/)
    expect(ok(["get", "dynatrace", "-n", namespace, "-o", "name"])).toContain("dtprometheus.dynatrace.com/defaults")
  })
})
