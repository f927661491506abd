import "reflect-metadata"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"
import { x509 } from "../../../../services/certs/X509.ts"
import { recreateActiveGateStatefulSet } from "../activegate/ActiveGateStatefulSet.ts"
import {
  dynakube,
  expectGolden,
  operator,
  withActiveGate,
  withAnnotation,
  withSpec
} from "../oneagent/WorkloadFixtures.ts"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import {
  buildExtensionControllerStatefulSet,
  legacyMountsFlag,
  useLegacyMounts
} from "./ExtensionControllerStatefulSet.ts"
import {
  buildSelfSignedTlsSecret,
  buildService,
  buildTokenSecret,
  extensionsEnabled,
  needsSelfSignedTls,
  newToken,
  tlsSecretName
} from "./Extensions.ts"

// Regenerate after a deliberate change: UPDATE_GOLDEN=1 npm exec -- vitest run --project unit <this file>.
const golden = fileURLToPath(new URL("./testdata/extension-controller-statefulset.golden.json", import.meta.url))

const prometheus = withSpec((s) => (s.extensions = { prometheus: {} }))
const decode = (text: string | undefined) => Buffer.from(text ?? "", "base64").toString("utf8")

const build = (dk: DynaKube) =>
  buildExtensionControllerStatefulSet({
    dynakube: dk,
    operator,
    flags: readWorkloadFlags(dk),
    image: "registry.example.com/eec:1.311.0",
    tlsSecretHash: "1234"
  })

describe("Extensions objects", () => {
  it("enabled by prometheus (even empty) or a non-empty databases list", () => {
    assert.isFalse(extensionsEnabled(dynakube()))
    assert.isTrue(extensionsEnabled(dynakube(prometheus)))
    assert.isTrue(extensionsEnabled(dynakube(withSpec((s) => (s.extensions = { databases: [{ id: "db1" }] })))))
    assert.isFalse(extensionsEnabled(dynakube(withSpec((s) => (s.extensions = {})))))
  })

  it("tokens look like the original's and differ every time", () => {
    assert.match(newToken("dt0x01"), /^dt0x01\.[A-Z2-7]{24}\.[A-Z2-7]{64}$/)
    assert.notStrictEqual(newToken("x"), newToken("x"))
    const secret = buildTokenSecret({ dynakube: dynakube(prometheus), operator })
    assert.strictEqual(secret.metadata.name, "dk-extensions-token")
    assert.match(decode(secret.data["eec.token"]), /^EEC dt0x01\./)
    assert.match(decode(secret.data["datasource.token"]), /^dt0x01\./)
    assert.strictEqual(secret.metadata.labels?.["app.kubernetes.io/component"], "dynatrace-extension-controller")
  })

  it("the Service exposes 14599 as collector-com and selects the EEC pods", () => {
    const svc = buildService({ dynakube: dynakube(prometheus), operator })
    assert.strictEqual(svc.metadata.name, "dk-extension-controller")
    assert.deepStrictEqual(svc.spec.ports, [
      {
        name: "dynatrace-extension-controller-collector-com",
        protocol: "TCP",
        port: 14599,
        targetPort: "collector-com"
      }
    ])
    assert.deepStrictEqual(svc.spec.selector, {
      "app.kubernetes.io/name": "dynatrace-extension-controller",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/managed-by": "dynatrace-operator"
    })
  })

  it("TLS: self-signed unless tlsRefName names the user's Secret", () => {
    assert.isTrue(needsSelfSignedTls(dynakube(prometheus)))
    assert.strictEqual(tlsSecretName(dynakube(prometheus)), "dk-extension-controller-tls")
    const user = dynakube(
      prometheus,
      withSpec((s) => (s.templates = { extensionExecutionController: { tlsRefName: "mine" } }))
    )
    assert.isFalse(needsSelfSignedTls(user))
    assert.strictEqual(tlsSecretName(user), "mine")
  })

  it.effect("the self-signed certificate names the Service and is for server auth", () =>
    Effect.gen(function* () {
      const secret = yield* buildSelfSignedTlsSecret({ dynakube: dynakube(prometheus), operator, modulusLength: 2048 })
      assert.strictEqual(secret.type, "kubernetes.io/tls")
      const cert = new x509.X509Certificate(decode(secret.data["tls.crt"]))
      assert.include(cert.subject, "CN=dk-extension-controller.dynatrace")
      assert.deepStrictEqual(
        cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value),
        [
          "dk-extension-controller.dynatrace",
          "dk-extension-controller.dynatrace.svc",
          "dk-extension-controller.dynatrace.svc.cluster.local"
        ]
      )
      assert.deepStrictEqual(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages, [
        x509.ExtendedKeyUsage.serverAuth
      ])
      assert.include(decode(secret.data["tls.key"]), "BEGIN PRIVATE KEY")
    })
  )
})

describe("EEC StatefulSet", () => {
  it("Prometheus with an ActiveGate, custom config, certificates and pod settings matches the golden file", () => {
    const dk = dynakube(
      prometheus,
      withActiveGate(["routing"]),
      withSpec((s) => {
        s.customPullSecret = "my-registry"
        s.templates = {
          extensionExecutionController: {
            imageRef: { repository: "registry.example.com/eec", tag: "1.311.0", pullPolicy: "Always" },
            labels: { team: "ext" },
            annotations: { "example.com/a": "b" },
            customConfig: "eec-runtime",
            customExtensionCertificates: "eec-signing",
            resources: { requests: { cpu: "100m" } },
            tolerations: [{ key: "ext", operator: "Exists" }]
          }
        }
      })
    )
    expectGolden(golden, build(dk))
  })

  it("env with the legacy mounts off: tenant, ActiveGate Service, token and certificate paths, cluster identity", () => {
    const sts = build(dynakube(prometheus, withAnnotation(legacyMountsFlag, "false")))
    const env = Object.fromEntries((sts.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]))
    assert.deepStrictEqual(env, {
      TenantId: "abc12345",
      ServerUrl: "dk-activegate.dynatrace:443",
      EecTokenPath: "/secrets/tokens/eec.token",
      EecIngestPort: "14599",
      ExtensionsModuleExecPath: "/opt/dynatrace/remotepluginmodule/agent/lib64/extensionsmodule",
      DsInstallDir: "/opt/dynatrace/remotepluginmodule/agent/datasources",
      K8sClusterUID: "0d3a7a2c-kube-system-uid",
      K8sClusterName: "prod-cluster",
      K8sExtServiceUrl: "https://dk-extension-controller.dynatrace",
      DSTokenPath: "/secrets/tokens/datasource.token",
      DsHttpsCertPathPem: "/secrets/https/tls.crt",
      DsHttpsPrivKeyPathPem: "/secrets/https/tls.key",
      // The automatic ActiveGate certificate is on by default (extensions enable the ActiveGate).
      ActiveGateTrustedCert: "/secrets/ag/server.crt"
    })
    assert.strictEqual(
      sts.spec.template.metadata.annotations?.["internal.operator.dynatrace.com/extensions-secret-hash"],
      "1234"
    )
  })

  it("legacy mounts (the default): everything under the runtime directory, log and configuration emptyDirs", () => {
    assert.isTrue(useLegacyMounts(dynakube(prometheus)))
    assert.isTrue(useLegacyMounts(dynakube(prometheus, withAnnotation(legacyMountsFlag, "yes"))))
    assert.isFalse(useLegacyMounts(dynakube(prometheus, withAnnotation(legacyMountsFlag, "false"))))
    const sts = build(dynakube(prometheus))
    const c = sts.spec.template.spec.containers[0]
    const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]))
    assert.strictEqual(env["EecTokenPath"], "/var/lib/dynatrace/remotepluginmodule/secrets/tokens/eec.token")
    assert.strictEqual(env["DsHttpsCertPathPem"], "/var/lib/dynatrace/remotepluginmodule/secrets/https/tls.crt")
    assert.strictEqual(env["ActiveGateTrustedCert"], "/var/lib/dynatrace/remotepluginmodule/secrets/ag/server.crt")
    assert.deepStrictEqual(
      c?.volumeMounts?.map((m) => `${m.name}:${m.mountPath}`),
      [
        "tokens:/var/lib/dynatrace/remotepluginmodule/secrets/tokens",
        "log:/var/lib/dynatrace/remotepluginmodule/log",
        "agent-runtime:/var/lib/dynatrace/remotepluginmodule/agent/runtime",
        "runtime-configuration:/var/lib/dynatrace/remotepluginmodule/agent/conf",
        "https-certs:/var/lib/dynatrace/remotepluginmodule/secrets/https",
        "server-certs:/var/lib/dynatrace/remotepluginmodule/secrets/ag"
      ]
    )
    assert.deepStrictEqual(
      sts.spec.template.spec.volumes?.map((v) => v.name),
      ["tokens", "log", "runtime-configuration", "https-certs", "server-certs"]
    )
    assert.deepStrictEqual(sts.spec.volumeClaimTemplates?.[0]?.spec, {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } }
    })
  })

  it("storage without legacy mounts: a 2Gi claim template, the user's claim, or an emptyDir when ephemeral", () => {
    const modern = withAnnotation(legacyMountsFlag, "false")
    const byDefault = build(dynakube(prometheus, modern))
    assert.deepStrictEqual(byDefault.spec.volumeClaimTemplates, [
      {
        metadata: { name: "agent-runtime" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } } }
      }
    ])
    assert.deepStrictEqual(byDefault.spec.persistentVolumeClaimRetentionPolicy, {
      whenDeleted: "Delete",
      whenScaled: "Delete"
    })
    const claim = build(
      dynakube(
        prometheus,
        modern,
        withSpec(
          (s) =>
            (s.templates = {
              extensionExecutionController: {
                persistentVolumeClaim: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } }
              }
            })
        )
      )
    )
    assert.deepStrictEqual(claim.spec.volumeClaimTemplates?.[0]?.spec, {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "5Gi" } }
    })
    // Claim templates are immutable: a different claim means a new StatefulSet.
    assert.isTrue(recreateActiveGateStatefulSet(byDefault, claim))
    assert.isFalse(recreateActiveGateStatefulSet(byDefault, build(dynakube(prometheus, modern))))
    const ephemeral = build(
      dynakube(
        prometheus,
        withSpec((s) => (s.templates = { extensionExecutionController: { useEphemeralVolume: true } }))
      )
    )
    assert.strictEqual(ephemeral.spec.volumeClaimTemplates, undefined)
    assert.deepStrictEqual(
      ephemeral.spec.template.spec.volumes?.find((v) => v.name === "agent-runtime"),
      { name: "agent-runtime", emptyDir: {} }
    )
  })
})
