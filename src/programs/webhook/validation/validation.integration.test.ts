/**
 * The validation and conversion webhooks against a real kube-apiserver.
 *
 * The webhook server (`WebhookServer.layer`, as `webhook-server` runs it) runs in this process on 127.0.0.1 with a
 * certificate from `Certs.generate` (IP SAN 127.0.0.1) and serves the validation routes and `/convert`. The CRDs from manifests/crds are installed
 * with their conversion stanza pointing at it by URL (caBundle = our CA), and a ValidatingWebhookConfiguration by URL
 * covers every served version of both kinds. Everything is then driven with kubectl, as a user would: the apiserver
 * refuses invalid objects with our message, passes our warnings on (kubectl prints `Warning: …`), and converts
 * between versions through `/convert`.
 *
 * This file uses a private control plane (etcd + kube-apiserver only), not the shared one: it must set the
 * cluster-wide conversion strategy of the DynaKube and EdgeConnect CRDs, which other test files on the shared plane
 * install with their own settings at the same time (e.g. `schemas/crds.integration.test.ts` with `None`). kubectl
 * runs asynchronously: a blocking `spawnSync` would stall this process's event loop and with it the webhook the
 * apiserver is waiting for.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parse, stringify } from "yaml"
import { startControlPlane, type ControlPlane } from "../../../../e2e/controlplane/ControlPlane.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import { Readiness } from "../../../services/Probes.ts"
import { conversionRoute } from "../conversion/ConversionRoute.ts"
import * as TestCertificates from "../TestCertificates.ts"
import * as WebhookServer from "../WebhookServer.ts"
import { ValidationCluster } from "./ValidationCluster.ts"
import { ValidationConfig } from "./ValidationConfig.ts"
import { endpoints } from "./ValidationHandler.ts"
import { validationRoutes } from "./ValidationRoutes.ts"

const repoRoot = join(import.meta.dirname, "../../../..")
/** The namespace the webhook certificate is issued for; objects go into one namespace per test (see `fresh`). */
const namespace = "dynatrace"

let cp: ControlPlane
let scope: Scope.Closeable
let baseUrl: string
let caBundle: string
let cacheDir: string
let certsDir: string

interface Run {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

const kubectl = (args: ReadonlyArray<string>, input?: string): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      join(cp.binDir, "kubectl"),
      ["--kubeconfig", cp.kubeconfigPath, "--cache-dir", cacheDir, "--request-timeout=30s", ...args],
      { stdio: ["pipe", "pipe", "pipe"] }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (status) => resolve({ status, stdout, stderr }))
    child.stdin.end(input ?? "")
  })

const ok = async (args: ReadonlyArray<string>, input?: string): Promise<string> => {
  const run = await kubectl(args, input)
  if (run.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${run.stderr}`)
  return run.stdout
}

/** Retries `f` for up to 30 s (discovery and webhook configuration take a moment to be picked up). */
const eventually = async <A>(f: () => Promise<A>): Promise<A> => {
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      return await f()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
  }
}

const create = (object: unknown) => kubectl(["create", "-f", "-", "-o", "json"], stringify(object))

/**
 * The namespace of the current test. Rules compare DynaKubes of one namespace (node selectors, Service names), so
 * every test gets its own to stay independent of the others.
 */
let ns = namespace
let counter = 0
const fresh = async (): Promise<string> => {
  ns = `t${++counter}`
  await ok(["create", "namespace", ns])
  return ns
}

const get = async (resource: string, name: string) =>
  JSON.parse(await ok(["get", resource, name, "-n", ns, "-o", "json"]))

const dynakube = (
  name: string,
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  apiVersion = "dynatrace.com/v1beta6"
) => ({
  apiVersion,
  kind: "DynaKube",
  metadata: { name, namespace: ns, ...extra },
  spec: { apiUrl: "https://abc12345.live.dynatrace.com/api", ...spec }
})

/** What the user wrote, without the fields the apiserver adds. */
const userView = (object: any) => {
  const {
    uid: _u,
    resourceVersion: _r,
    creationTimestamp: _c,
    managedFields: _m,
    generation: _g,
    ...metadata
  } = object.metadata
  return { apiVersion: object.apiVersion, kind: object.kind, metadata, spec: object.spec }
}

/**
 * The webhook server of `webhook-server` (WebhookServer.layer: node https, TLS 1.3) with only the validation routes
 * and /convert, on https://127.0.0.1:<ephemeral>, certificate issued by `Certs` for IP 127.0.0.1.
 */
const startWebhook = Effect.gen(function* () {
  const certificates = yield* TestCertificates.issue(namespace)
  const services = Layer.mergeAll(
    ValidationCluster.layer().pipe(Layer.provide(KubeClient.layerFromFile(cp.kubeconfigPath))),
    ValidationConfig.layerWith({}),
    Readiness.layer
  )
  const certificate = TestCertificates.writeTemporary(certificates)
  certsDir = certificate.dir
  const server = WebhookServer.layer({
    host: "127.0.0.1",
    port: 0,
    certificate,
    routes: [...validationRoutes, conversionRoute]
  }).pipe(Layer.provide(services))
  const context = yield* Layer.buildWithScope(server, scope)
  return {
    port: Context.get(context, WebhookServer.WebhookServer).port,
    caBundle: Buffer.from(certificates.caCert).toString("base64")
  }
})

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), "kubectl-cache-"))
  cp = await startControlPlane({ controllerManager: false, scheduler: false, kwok: false })
  scope = Effect.runSync(Scope.make())
  const webhook = await Effect.runPromise(startWebhook)
  baseUrl = `https://127.0.0.1:${webhook.port}`
  caBundle = webhook.caBundle

  // The generated CRDs, with the conversion webhook reached by URL instead of the in-cluster Service.
  for (const file of ["dynatrace.com_dynakubes.yaml", "dynatrace.com_edgeconnects.yaml"]) {
    const crd = parse(readFileSync(join(repoRoot, "manifests/crds", file), "utf8"))
    expect(crd.spec.conversion.strategy).toBe("Webhook")
    crd.spec.conversion.webhook.clientConfig = { url: `${baseUrl}/convert`, caBundle }
    await ok(["apply", "--server-side", "-f", "-"], stringify(crd))
  }
  // Polled rather than `kubectl wait`: right after creation the CRD has no status.conditions yet, and kubectl wait
  // fails on a nil list instead of waiting.
  for (const crd of ["dynakubes.dynatrace.com", "edgeconnects.dynatrace.com"]) {
    const deadline = Date.now() + 60_000
    const established = () =>
      ok(["get", "crd", crd, "-o", `jsonpath={.status.conditions[?(@.type=="Established")].status}`])
    while ((await established()) !== "True") {
      if (Date.now() > deadline) throw new Error(`CRD ${crd} not Established within 60 s`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }

  // One webhook per served version, as the Helm chart's ValidatingWebhookConfiguration has them.
  await ok(
    ["apply", "-f", "-"],
    stringify({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "dynatrace-webhook" },
      webhooks: endpoints.map((e) => {
        const version = e.apiVersion.split("/")[1]!
        return {
          name: `${version}.${e.kind.toLowerCase()}.webhook.dynatrace.com`,
          admissionReviewVersions: ["v1"],
          sideEffects: "None",
          matchPolicy: "Exact",
          timeoutSeconds: 10,
          clientConfig: { url: `${baseUrl}${e.path}`, caBundle },
          rules: [
            {
              apiGroups: ["dynatrace.com"],
              apiVersions: [version],
              operations: ["CREATE", "UPDATE"],
              resources: [`${e.kind.toLowerCase()}s`],
              scope: "Namespaced"
            }
          ]
        }
      })
    })
  )
  await ok(["create", "namespace", namespace])
  // The webhook configuration is picked up asynchronously: wait until an invalid object is refused.
  await eventually(async () => {
    const run = await create(dynakube("probe", { apiUrl: "" }))
    if (run.status === 0) {
      await kubectl(["delete", "dynakube", "probe", "-n", namespace])
      throw new Error("validation webhook not active yet")
    }
    if (!run.stderr.includes("denied the request")) throw new Error(run.stderr)
  })
}, 180_000)

afterAll(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  if (cp !== undefined) await cp.stop()
  for (const dir of [cacheDir, certsDir]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

describe("validation webhook on a real apiserver", () => {
  it("refuses an invalid DynaKube with our numbered message", async () => {
    await fresh()
    const run = await create(
      dynakube("invalid", {
        apiUrl: "https://ENVIRONMENTID.live.dynatrace.com/api",
        activeGate: { capabilities: ["beaming"] }
      })
    )
    expect(run.status).not.toBe(0)
    expect(run.stderr).toContain('admission webhook "v1beta6.dynakube.webhook.dynatrace.com" denied the request')
    expect(run.stderr).toContain("2 error(s) found in the DynaKube")
    expect(run.stderr).toContain("1. The DynaKube has no API URL, or still has the example value.")
    expect(run.stderr).toContain("2. The DynaKube's ActiveGate section uses an unknown capability: beaming.")
    expect((await kubectl(["get", "dynakube", "invalid", "-n", ns])).status).not.toBe(0)
  })

  it("admits a DynaKube with warnings, which kubectl prints", async () => {
    await fresh()
    const run = await create(
      dynakube(
        "warned",
        { oneAgent: { hostMonitoring: {} } },
        { annotations: { "feature.dynatrace.com/made-up": "true" } }
      )
    )
    expect(run.status, run.stderr).toBe(0)
    expect(run.stderr).toContain(
      "Warning: Unknown feature flags in use: feature.dynatrace.com/made-up. Remove them from the DynaKube."
    )
  })

  it("refuses an update that changes the tenant", async () => {
    await fresh()
    await ok(["create", "-f", "-"], stringify(dynakube("tenant", {})))
    const run = await kubectl([
      "patch",
      "dynakube",
      "tenant",
      "-n",
      ns,
      "--type=merge",
      "-p",
      JSON.stringify({ spec: { apiUrl: "https://xyz98765.live.dynatrace.com/api" } })
    ])
    expect(run.status).not.toBe(0)
    expect(run.stderr).toContain("now points to a different tenant")
  })

  it("reads the cluster: the token Secret decides about the platform token", async () => {
    await fresh()
    await ok(["create", "secret", "generic", "platform", "-n", ns, "--from-literal=apiToken=dt0s16.SAMPLE.TOKEN"])
    const run = await create(dynakube("classic", { tokens: "platform", oneAgent: { classicFullStack: {} } }))
    expect(run.status).not.toBe(0)
    expect(run.stderr).toContain("classicFullStack cannot be used with the public registry or a platform token")
  })

  it("reads the cluster: two DynaKubes may not inject into the same namespace", async () => {
    await fresh()
    await ok(["create", "namespace", "apps"])
    await ok(["label", "namespace", "apps", "monitor=enabled"])
    const selector = { namespaceSelector: { matchLabels: { monitor: "enabled" } } }
    const first = await create(dynakube("first", { oneAgent: { applicationMonitoring: selector } }))
    expect(first.status, first.stderr).toBe(0)
    const run = await create(dynakube("second", { metadataEnrichment: { enabled: true, ...selector } }))
    expect(run.status).not.toBe(0)
    expect(run.stderr).toContain("would inject into namespaces another DynaKube already injects into")
  })

  it("refuses an invalid EdgeConnect of either version", async () => {
    await fresh()
    const ec = (apiVersion: string) => ({
      apiVersion,
      kind: "EdgeConnect",
      metadata: { name: "bad-ec", namespace: ns },
      spec: {
        apiServer: "https://abc12345.apps.dynatrace.com",
        oauth: { clientSecret: "s", endpoint: "https://sso.dynatrace.com/sso/oauth2/token", resource: "urn:x" }
      }
    })
    for (const [apiVersion, webhook] of [
      ["dynatrace.com/v1alpha2", "v1alpha2.edgeconnect.webhook.dynatrace.com"],
      ["dynatrace.com/v1alpha1", "v1alpha1.edgeconnect.webhook.dynatrace.com"]
    ] as const) {
      const run = await create(ec(apiVersion))
      expect(run.status).not.toBe(0)
      expect(run.stderr).toContain(`admission webhook "${webhook}" denied the request`)
      expect(run.stderr).toContain("The EdgeConnect's apiServer must not include a protocol")
    }
  })
})

describe("conversion webhook on a real apiserver", () => {
  it("a DynaKube written as v1beta5 reads back as v1beta6 and back as v1beta5 with nothing lost", async () => {
    await fresh()
    const written = dynakube(
      "legacy",
      {
        oneAgent: {
          classicFullStack: { autoUpdate: false, args: ["--set-host-tag=team=a"], nodeSelector: { pool: "agents" } }
        },
        extensions: {},
        templates: {
          extensionExecutionController: { imageRef: { repository: "registry.example.com/eec", tag: "1.0" } }
        }
      },
      { labels: { team: "a" }, annotations: { "example.com/note": "kept" } },
      "dynatrace.com/v1beta5"
    )
    const run = await create(written)
    expect(run.status, run.stderr).toBe(0)
    // v1beta5 is deprecated (CRD) and autoUpdate is deprecated (our warning).
    expect(run.stderr).toContain("Warning: The autoUpdate field is deprecated.")

    const hub = await get("dynakubes.v1beta6.dynatrace.com", "legacy")
    expect(hub.apiVersion).toBe("dynatrace.com/v1beta6")
    expect(hub.spec.oneAgent.classicFullStack.autoUpdate).toBeUndefined()
    expect(hub.metadata.annotations["conversion.internal.dynatrace.com/auto-update"]).toBe("false")
    expect(hub.spec.extensions).toEqual({ prometheus: {} })

    // Read back in the version it was written in: what the apiserver stored (the write plus CRD defaults), exactly.
    const created = JSON.parse(run.stdout)
    expect(userView(created)).toMatchObject(written)
    const spoke = await get("dynakubes.v1beta5.dynatrace.com", "legacy")
    expect(userView(spoke)).toEqual(userView(created))
  })

  it("a DynaKube written as v1beta6 reads back as v1beta5 and back as v1beta6 with nothing lost", async () => {
    await fresh()
    const written = dynakube("modern", {
      resourceAttributes: { "team.io/owner": "a" },
      oneAgent: {
        cloudNativeFullStack: { imagePullPolicy: "Always", namespaceSelector: { matchLabels: { tier: "x" } } }
      },
      activeGate: { capabilities: ["routing"], resources: { limits: { memory: "1Gi" } } }
    })
    const run = await create(written)
    expect(run.status, run.stderr).toBe(0)
    const spoke = await get("dynakubes.v1beta5.dynatrace.com", "modern")
    expect(spoke.apiVersion).toBe("dynatrace.com/v1beta5")
    expect(spoke.spec.resourceAttributes).toBeUndefined()
    const hub = await get("dynakubes.v1beta6.dynatrace.com", "modern")
    expect(userView(hub)).toEqual(userView(JSON.parse(run.stdout)))
    expect(userView(hub)).toMatchObject(written)
  })

  it("an EdgeConnect written as v1alpha1 reads back as v1alpha2 and back as v1alpha1 with nothing lost", async () => {
    await fresh()
    const written = {
      apiVersion: "dynatrace.com/v1alpha1",
      kind: "EdgeConnect",
      metadata: { name: "edge", namespace: ns },
      spec: {
        apiServer: "abc12345.apps.dynatrace.com",
        oauth: {
          clientSecret: "s",
          endpoint: "https://sso.dynatrace.com/sso/oauth2/token",
          resource: "urn:dtenvironment:abc12345"
        },
        hostRestrictions: "internal.example.org,*.dev.example.org",
        imageRef: { repository: "registry.example.com/edgeconnect", tag: "1.2" }
      }
    }
    const run = await create(written)
    expect(run.status, run.stderr).toBe(0)
    const hub = await get("edgeconnects.v1alpha2.dynatrace.com", "edge")
    expect(hub.apiVersion).toBe("dynatrace.com/v1alpha2")
    expect(hub.spec.hostRestrictions).toEqual(["internal.example.org", "*.dev.example.org"])
    const spoke = await get("edgeconnects.v1alpha1.dynatrace.com", "edge")
    // What was stored (the write plus the CRD's defaults) comes back exactly.
    expect(userView(spoke)).toEqual(userView(JSON.parse(run.stdout)))
    expect(userView(spoke)).toMatchObject(written)
  })

  it("lists objects of every namespace converted through the webhook", async () => {
    const list = JSON.parse(await ok(["get", "dynakubes.v1beta5.dynatrace.com", "--all-namespaces", "-o", "json"]))
    expect(list.items.length).toBeGreaterThanOrEqual(3)
    expect(new Set(list.items.map((i: any) => i.apiVersion))).toEqual(new Set(["dynatrace.com/v1beta5"]))
  })
})
