/**
 * Test support for the troubleshoot and support-archive integration tests (not shipped code): the CRDs from
 * `manifests/crds` (conversion strategy `None`, applied server-side with our own field manager), namespaces,
 * DynaKubes, token and pull Secrets.
 *
 * On the shared control plane other test files also own the CRDs (some switch them to a conversion webhook for a
 * while), so an installed CRD that already serves the hub version is left as it is: reading and writing at the
 * storage version never calls conversion.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schedule } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseAllDocuments } from "yaml"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"
import { crdFacts } from "./Gather.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, "../../..")

/** Our field manager on the control plane. */
export const fieldManager = "troubleshoot-tests"

/** A unique, DNS-safe name. */
export const uniqueName = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 50)

/** The CRDs of `manifests/crds`, with conversion strategy None. */
export const crdsFromManifests = (): ReadonlyArray<KubeObject> =>
  fs
    .readdirSync(path.join(repoRoot, "manifests/crds"))
    .filter((file) => file.endsWith(".yaml"))
    .flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(repoRoot, "manifests/crds", file), "utf8")))
    .map((doc) => doc.toJS() as KubeObject & { spec: Record<string, unknown> })
    .filter((crd) => crd?.kind === "CustomResourceDefinition")
    .map((crd) => ({ ...crd, spec: { ...crd.spec, conversion: { strategy: "None" } } }) as KubeObject)

/** Installs the CRDs unless they already serve their storage version, then waits until DynaKubes can be listed. */
export const ensureCrds = Effect.gen(function* () {
  const kube = yield* KubeClient
  for (const crd of crdsFromManifests()) {
    const name = crd.metadata?.name ?? ""
    const current = yield* kube.get(Resources.CustomResourceDefinition, name).pipe(
      Effect.map((c) => crdFacts(c as never)),
      Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(undefined))
    )
    const serving = current !== undefined && current.established && current.storageVersion !== undefined
    if (!serving) yield* kube.apply(Resources.CustomResourceDefinition, crd, { fieldManager, force: true })
  }
  // Discovery of a new CRD takes a moment after Established.
  yield* kube
    .list(Resources.DynaKube, { namespace: "default", limit: 1 })
    .pipe(Effect.retry(Schedule.spaced(Duration.millis(250)).pipe(Schedule.upTo({ times: 240 }))))
  yield* kube
    .list(Resources.EdgeConnect, { namespace: "default", limit: 1 })
    .pipe(Effect.retry(Schedule.spaced(Duration.millis(250)).pipe(Schedule.upTo({ times: 240 }))))
})

/** A namespace that is deleted (not awaited) when the scope closes. */
export const scopedNamespace = (prefix: string) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const name = uniqueName(prefix)
      yield* (yield* KubeClient).create(Resources.Namespace, { metadata: { name } })
      return name
    }),
    (name) =>
      Effect.gen(function* () {
        yield* (yield* KubeClient).delete(Resources.Namespace, name).pipe(Effect.ignore)
      })
  )

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

/** An Opaque Secret with these string values. */
export const secret = (namespace: string, name: string, values: Readonly<Record<string, string>>, type = "Opaque") =>
  Effect.gen(function* () {
    return yield* (yield* KubeClient).apply(
      Resources.Secret,
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace },
        type,
        data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, b64(v)]))
      } as KubeObject,
      { fieldManager, force: true }
    )
  })

/** `<dk>-pull-secret` as the operator writes it: a docker config for `registry`. */
export const pullSecret = (namespace: string, name: string, registry: string, username: string, password: string) =>
  secret(
    namespace,
    name,
    {
      ".dockerconfigjson": JSON.stringify({
        auths: { [registry]: { username, password, auth: b64(`${username}:${password}`) } }
      })
    },
    "kubernetes.io/dockerconfigjson"
  )

/** A DynaKube at v1beta6. */
export const dynakube = (
  namespace: string,
  name: string,
  spec: Readonly<Record<string, unknown>>,
  annotations: Readonly<Record<string, string>> = {}
) =>
  Effect.gen(function* () {
    return yield* (yield* KubeClient).apply(
      Resources.DynaKube,
      {
        apiVersion: "dynatrace.com/v1beta6",
        kind: "DynaKube",
        metadata: { name, namespace, annotations },
        spec
      } as KubeObject,
      { fieldManager, force: true }
    )
  })
