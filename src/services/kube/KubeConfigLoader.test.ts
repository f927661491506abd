import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as KubeConfigLoader from "./KubeConfigLoader.ts"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-test-"))
const write = (name: string, text: string) => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text)
  return file
}

const kubeconfig = (opts: { server?: string; current?: string; cluster?: string; user?: string } = {}) => `
apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: ${opts.server ?? "https://127.0.0.1:6443"}
    insecure-skip-tls-verify: true
contexts:
- name: ctx
  context: { cluster: ${opts.cluster ?? "c1"}, user: u1 }
current-context: ${opts.current ?? "ctx"}
users:
- name: u1
  user:
${opts.user ?? "    token: s3cr3t-token"}
`

/** The error message of loading and connecting. */
const failure = (load: Effect.Effect<unknown, KubeConfigLoader.KubeConfigError>) =>
  load.pipe(
    Effect.flatMap((kc) => KubeConfigLoader.connection(kc as never)),
    Effect.flip,
    Effect.map((e) => {
      assert.strictEqual(e._tag, "KubeConfigError")
      return e.message
    })
  )

const withEnv = <A, E>(vars: Record<string, string | undefined>, effect: Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
      for (const [k, v] of Object.entries(vars)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
      return saved
    }),
    () => effect,
    (saved) =>
      Effect.sync(() => {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
      })
  )

describe("KubeConfigLoader", () => {
  it.effect("a valid kubeconfig gives the server, TLS options and the bearer token header", () =>
    Effect.gen(function* () {
      const kc = yield* KubeConfigLoader.fromFile(write("ok.yaml", kubeconfig()))
      const connection = yield* KubeConfigLoader.connection(kc)
      assert.strictEqual(connection.server, "https://127.0.0.1:6443")
      assert.strictEqual(connection.description, 'https://127.0.0.1:6443 (context "ctx")')
      assert.strictEqual(connection.agentOptions.rejectUnauthorized, false)
      assert.strictEqual(connection.agentOptions.keepAlive, true)
      assert.deepStrictEqual(yield* connection.authHeaders, { Authorization: "Bearer s3cr3t-token" })
    })
  )

  it.effect("basic auth users get a Basic header", () =>
    Effect.gen(function* () {
      const kc = yield* KubeConfigLoader.fromString(kubeconfig({ user: "    username: admin\n    password: pw" }))
      const headers = yield* (yield* KubeConfigLoader.connection(kc)).authHeaders
      assert.strictEqual(headers["Authorization"], `Basic ${Buffer.from("admin:pw").toString("base64")}`)
    })
  )

  it.effect("a missing file", () =>
    Effect.gen(function* () {
      const message = yield* failure(KubeConfigLoader.fromFile(path.join(dir, "nope.yaml")))
      assert.match(message, /^cannot read kubeconfig .*nope\.yaml: ENOENT: no such file or directory/)
    })
  )

  it.effect("an empty file", () =>
    Effect.gen(function* () {
      const file = write("empty.yaml", "  \n")
      assert.strictEqual(yield* failure(KubeConfigLoader.fromFile(file)), `kubeconfig ${file} is empty`)
    })
  )

  it.effect("text that is not YAML", () =>
    Effect.gen(function* () {
      const file = write("bad.yaml", "clusters: [\n  - name: x\n")
      const message = yield* failure(KubeConfigLoader.fromFile(file))
      assert.match(message, new RegExp(`^kubeconfig ${file} is not a valid kubeconfig: `))
      assert.notInclude(message, "\n")
    })
  )

  it.effect("YAML that is no kubeconfig", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        yield* failure(KubeConfigLoader.fromString("hello: world")),
        "the kubeconfig has no current context"
      )
    })
  )

  it.effect("a current context that does not exist", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        yield* failure(KubeConfigLoader.fromString(kubeconfig({ current: "other" }))),
        `the kubeconfig's current context "other" is not defined`
      )
    })
  )

  it.effect("a context whose cluster does not exist", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        yield* failure(KubeConfigLoader.fromString(kubeconfig({ cluster: "c9" }))),
        `the cluster of context "ctx" is not defined in the kubeconfig`
      )
    })
  )

  it.effect("a server that is not a URL", () =>
    Effect.gen(function* () {
      assert.strictEqual(
        yield* failure(KubeConfigLoader.fromString(kubeconfig({ server: "not a url" }))),
        `cluster "c1" has no valid server URL (got "not a url")`
      )
    })
  )

  it.effect("a client certificate file that does not exist", () =>
    Effect.gen(function* () {
      const message = yield* failure(
        KubeConfigLoader.fromString(
          kubeconfig({ user: "    client-certificate: /nonexistent/cert.pem\n    client-key: /nonexistent/key.pem" })
        )
      )
      assert.match(message, /^cannot set up credentials from the kubeconfig: ENOENT.*\/nonexistent\/cert\.pem/)
    })
  )

  it.effect("no error message contains the token", () =>
    Effect.gen(function* () {
      const message = yield* failure(KubeConfigLoader.fromString(kubeconfig({ server: "ftp://x" })))
      assert.notInclude(message, "s3cr3t")
    })
  )

  it.effect("the default chain: KUBECONFIG wins and names the file it could not read", () =>
    withEnv(
      { KUBECONFIG: path.join(dir, "missing-kubeconfig") },
      Effect.gen(function* () {
        const message = yield* failure(KubeConfigLoader.fromDefault())
        assert.match(message, /^cannot read kubeconfig .*missing-kubeconfig: ENOENT/)
      })
    )
  )

  it.effect("the default chain: KUBECONFIG with several files merges them", () =>
    withEnv(
      {
        KUBECONFIG: [
          write("a.yaml", kubeconfig()),
          write("b.yaml", kubeconfig().replaceAll("c1", "c2").replaceAll("u1", "u2").replace("name: ctx", "name: ctx2"))
        ].join(path.delimiter)
      },
      Effect.gen(function* () {
        const kc = yield* KubeConfigLoader.fromDefault()
        assert.deepStrictEqual(
          kc.contexts.map((c) => c.name),
          ["ctx", "ctx2"]
        )
        assert.strictEqual((yield* KubeConfigLoader.connection(kc)).server, "https://127.0.0.1:6443")
      })
    )
  )

  it.effect("the default chain: ~/.kube/config, then nothing (no silent localhost:8080)", () =>
    Effect.gen(function* () {
      const home = path.join(dir, "home")
      fs.mkdirSync(path.join(home, ".kube"), { recursive: true })
      const env = { KUBECONFIG: undefined, HOME: home, KUBERNETES_SERVICE_HOST: undefined }
      assert.strictEqual(
        yield* withEnv(env, failure(KubeConfigLoader.fromDefault())),
        "no kubeconfig found: set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account"
      )
      fs.writeFileSync(path.join(home, ".kube", "config"), kubeconfig({ server: "https://10.0.0.1:443" }))
      const kc = yield* withEnv(env, KubeConfigLoader.fromDefault())
      assert.strictEqual((yield* KubeConfigLoader.connection(kc)).server, "https://10.0.0.1:443")
    })
  )
})
