import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
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

describe("KubeConfigLoader (lean parser)", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64")

  it.effect("base64 data and file paths give the same TLS material; tls-server-name and `as` are applied", () =>
    Effect.gen(function* () {
      const files = {
        ca: write("ca.pem", "CA-PEM"),
        cert: write("cert.pem", "CERT-PEM"),
        key: write("key.pem", "KEY-PEM")
      }
      const viaData = yield* KubeConfigLoader.fromString(`
clusters: [{ name: c, cluster: { server: "https://h:1/", certificate-authority-data: ${b64("CA-PEM")}, tls-server-name: api.local } }]
users: [{ name: u, user: { client-certificate-data: ${b64("CERT-PEM")}, client-key-data: ${b64("KEY-PEM")}, as: jane } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x`)
      const viaFiles = yield* KubeConfigLoader.fromFile(
        write(
          "files.yaml",
          `
clusters: [{ name: c, cluster: { server: "https://h:1", certificate-authority: ${path.basename(files.ca)} } }]
users: [{ name: u, user: { client-certificate: ${files.cert}, client-key: ./${path.basename(files.key)} } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x`
        )
      )
      const a = yield* KubeConfigLoader.connection(viaData)
      const b = yield* KubeConfigLoader.connection(viaFiles)
      for (const c of [a, b]) {
        assert.strictEqual(c.server, "https://h:1")
        assert.strictEqual(String(c.agentOptions.ca), "CA-PEM")
        assert.strictEqual(String(c.agentOptions.cert), "CERT-PEM")
        assert.strictEqual(String(c.agentOptions.key), "KEY-PEM")
        assert.strictEqual(c.agentOptions.rejectUnauthorized, undefined)
      }
      assert.strictEqual(a.agentOptions.servername, "api.local")
      assert.deepStrictEqual(yield* a.authHeaders, { "Impersonate-User": "jane" })
      assert.deepStrictEqual(yield* b.authHeaders, {})
    })
  )

  it.effect("a tokenFile is read per request and wins over a token; a missing one fails at connect", () =>
    Effect.gen(function* () {
      const tokenFile = write("user-token", "first\n")
      const kc = yield* KubeConfigLoader.fromString(
        kubeconfig({ user: `    token: static\n    tokenFile: ${tokenFile}` })
      )
      const c = yield* KubeConfigLoader.connection(kc)
      assert.deepStrictEqual(yield* c.authHeaders, { Authorization: "Bearer first" })
      fs.writeFileSync(tokenFile, "second-longer")
      assert.deepStrictEqual(yield* c.authHeaders, { Authorization: "Bearer second-longer" })
      fs.rmSync(tokenFile)
      assert.deepStrictEqual(yield* c.authHeaders, { Authorization: "Bearer second-longer" }, "last good token kept")
      const message = yield* failure(KubeConfigLoader.fromString(kubeconfig({ user: `    tokenFile: ${tokenFile}` })))
      assert.match(message, /^cannot set up credentials from the kubeconfig: ENOENT.*user-token/)
    })
  )

  it.effect("proxy-url is refused with a clear error", () =>
    Effect.gen(function* () {
      const text = kubeconfig().replace("insecure-skip-tls-verify: true", "proxy-url: http://proxy:3128")
      assert.strictEqual(yield* failure(KubeConfigLoader.fromString(text)), `cluster "c1": proxy-url is not supported`)
    })
  )

  it.effect("an invalid field is one error naming it, without the secret", () =>
    Effect.gen(function* () {
      const message = yield* failure(
        KubeConfigLoader.fromString(kubeconfig({ user: "    client-key-data: 's3cr3t!!'" }))
      )
      assert.strictEqual(message, `the kubeconfig is not a valid kubeconfig: user "u1": client-key-data is not base64`)
    })
  )

  it.effect("KUBECONFIG: the first file wins for duplicate names and current-context", () =>
    withEnv(
      {
        KUBECONFIG: [
          write("first.yaml", kubeconfig({ server: "https://first:1" })),
          write(
            "second.yaml",
            kubeconfig({ server: "https://second:2", current: "ctx2" }).replace("name: ctx", "name: ctx2")
          )
        ].join(path.delimiter)
      },
      Effect.gen(function* () {
        const kc = yield* KubeConfigLoader.fromDefault()
        assert.deepStrictEqual(
          kc.contexts.map((c) => c.name),
          ["ctx", "ctx2"]
        )
        const c = yield* KubeConfigLoader.connection(kc)
        assert.strictEqual(c.description, 'https://first:1 (context "ctx")')
      })
    )
  )

  it.effect("an exec plugin user falls back to client-node (loaded on demand) and runs the plugin", () =>
    Effect.gen(function* () {
      const plugin = write(
        "cred.sh",
        `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}'\n`
      )
      fs.chmodSync(plugin, 0o755)
      const file = write(
        "exec.yaml",
        kubeconfig({
          user: `    exec: { apiVersion: client.authentication.k8s.io/v1, command: ./${path.basename(plugin)}, interactiveMode: Never }`
        })
      )
      const c = yield* KubeConfigLoader.connection(yield* KubeConfigLoader.fromFile(file))
      assert.strictEqual(c.agentOptions.rejectUnauthorized, false)
      assert.deepStrictEqual(yield* c.authHeaders, { Authorization: "Bearer from-exec" })
    })
  )

  describe("in-cluster", () => {
    const saDir = (files: Record<string, string>) => {
      const d = fs.mkdtempSync(path.join(dir, "sa-"))
      for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(d, name), text)
      return d
    }

    it.effect("server from the env, the CA file, the namespace, and the rotating token", () =>
      withEnv(
        { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" },
        Effect.gen(function* () {
          const sa = saDir({ token: "tok-1\n", "ca.crt": "CLUSTER-CA", namespace: "dynatrace\n" })
          const kc = yield* KubeConfigLoader.fromCluster({ serviceAccountDirectory: sa })
          assert.strictEqual(kc.contexts[0]?.namespace, "dynatrace")
          const c = yield* KubeConfigLoader.connection(kc)
          assert.strictEqual(c.server, "https://10.96.0.1:443")
          assert.strictEqual(String(c.agentOptions.ca), "CLUSTER-CA")
          assert.deepStrictEqual(yield* c.authHeaders, { Authorization: "Bearer tok-1" })
          // kubelet swaps in a new file on rotation
          fs.writeFileSync(path.join(sa, "token.new"), "tok-2")
          fs.renameSync(path.join(sa, "token.new"), path.join(sa, "token"))
          assert.deepStrictEqual(yield* c.authHeaders, { Authorization: "Bearer tok-2" })
        })
      )
    )

    it.effect("IPv6 hosts are bracketed; the default chain finds the service account", () =>
      withEnv(
        {
          KUBECONFIG: undefined,
          HOME: fs.mkdtempSync(path.join(dir, "nohome-")),
          KUBERNETES_SERVICE_HOST: "fd00::1",
          KUBERNETES_SERVICE_PORT: "6443"
        },
        Effect.gen(function* () {
          const sa = saDir({ token: "t", "ca.crt": "CA" })
          const kc = yield* KubeConfigLoader.fromDefault({ serviceAccountDirectory: sa })
          assert.strictEqual((yield* KubeConfigLoader.connection(kc)).server, "https://[fd00::1]:6443")
        })
      )
    )

    it.effect("clear errors: no env, no token file, no CA file", () =>
      Effect.gen(function* () {
        const empty = saDir({})
        assert.strictEqual(
          yield* withEnv(
            { KUBERNETES_SERVICE_HOST: undefined, KUBERNETES_SERVICE_PORT: undefined },
            failure(KubeConfigLoader.fromCluster({ serviceAccountDirectory: empty }))
          ),
          "cannot load the in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set"
        )
        const env = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" }
        assert.match(
          yield* withEnv(env, failure(KubeConfigLoader.fromCluster({ serviceAccountDirectory: empty }))),
          /^cannot load the in-cluster configuration: ENOENT.*token/
        )
        const noCa = saDir({ token: "secret-token-value" })
        const message = yield* withEnv(env, failure(KubeConfigLoader.fromCluster({ serviceAccountDirectory: noCa })))
        assert.match(message, /^cannot set up credentials from the kubeconfig: ENOENT.*ca\.crt/)
        assert.notInclude(message, "secret-token-value")
      })
    )
  })
})

describe("KubeConfigLoader memory", () => {
  /**
   * Loads KubeClient and connects with `config` in a fresh node process, recording every resolution of
   * @kubernetes/client-node (importing it costs ~90 MB, so common configs must not).
   */
  const clientNodeImports = (config: string) => {
    const code = `
      import { registerHooks } from "node:module"
      const seen = []
      registerHooks({ resolve(s, c, next) { if (s.startsWith("@kubernetes/client-node")) seen.push(s); return next(s, c) } })
      const { Effect } = await import("effect")
      const L = await import("./src/services/kube/KubeConfigLoader.ts")
      await import("./src/services/KubeClient.ts")
      await Effect.runPromiseExit(Effect.flatMap(L.fromString(process.env.PROBE_KUBECONFIG), L.connection))
      console.log(JSON.stringify(seen))`
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], {
      cwd: path.resolve(import.meta.dirname, "../../.."),
      env: { ...process.env, PROBE_KUBECONFIG: config },
      encoding: "utf8"
    })
    return JSON.parse(out.trim().split("\n").at(-1)!) as Array<string>
  }

  it("a token + certificate-authority kubeconfig (the control plane's) never loads client-node; an exec user does", () => {
    const ca = write("probe-ca.pem", "CA")
    const lean = kubeconfig().replace("insecure-skip-tls-verify: true", `certificate-authority: ${ca}`)
    assert.deepStrictEqual(clientNodeImports(lean), [])
    const exec = kubeconfig({ user: "    exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/true }" })
    assert.deepStrictEqual(clientNodeImports(exec), ["@kubernetes/client-node"])
  })
})
