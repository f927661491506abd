import { assert, describe, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import { fileURLToPath } from "node:url"
import {
  dynakube,
  expectGolden,
  operator,
  withActiveGate,
  withProxySecret,
  withSpec
} from "../oneagent/WorkloadFixtures.ts"
import { readWorkloadFlags } from "../oneagent/WorkloadFlags.ts"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import {
  annotations,
  buildOtelCollectorStatefulSet,
  dataHash,
  imageOf,
  recreateOtelCollectorStatefulSet,
  secureHash
} from "./OtelCollectorStatefulSet.ts"

// Regenerate after a deliberate change: UPDATE_GOLDEN=1 npm exec -- vitest run --project unit <this file>.
const golden = fileURLToPath(new URL("./testdata/otel-collector-statefulset.golden.json", import.meta.url))

const image = { repository: "public.ecr.aws/dynatrace/dynatrace-otel-collector", tag: "0.30.0" }

const telemetry = (ti: { protocols?: Array<string>; tlsRefName?: string } = {}) =>
  withSpec((s) => {
    s.telemetryIngest = ti
    s.templates = { ...s.templates, otelCollector: { ...s.templates?.otelCollector, imageRef: image } }
  })

const build = (dk: DynaKube, extra: Partial<Parameters<typeof buildOtelCollectorStatefulSet>[0]> = {}) =>
  buildOtelCollectorStatefulSet({ dynakube: dk, operator, flags: readWorkloadFlags(dk), ...extra })

const env = (sts: ReturnType<typeof build>) =>
  Object.fromEntries((sts.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]))

describe("OTel collector StatefulSet", () => {
  it("telemetryIngest with TLS, an ActiveGate, a proxy and template settings matches the golden file", () => {
    const dk = dynakube(
      telemetry({ tlsRefName: "ingest-tls" }),
      withActiveGate(["routing"]),
      withProxySecret("proxy-secret"),
      withSpec((s) => {
        s.customPullSecret = "my-registry"
        s.trustedCAs = "corp-cas"
        s.templates = {
          otelCollector: {
            imageRef: { ...image, pullPolicy: "IfNotPresent" },
            replicas: 2,
            labels: { team: "obs" },
            annotations: { "example.com/a": "b" },
            resources: { limits: { memory: "512Mi" } },
            nodeSelector: { pool: "obs" },
            tolerations: [{ key: "obs", operator: "Exists", effect: "NoSchedule" }]
          }
        }
      })
    )
    expectGolden(
      golden,
      build(dk, {
        configText: "receivers: {}\n",
        dataIngestTokenHash: "0123456789abcdef",
        telemetryIngestTlsHash: "42"
      })
    )
  })

  it("names, labels, selector and the pod basics follow the original", () => {
    const sts = build(dynakube(telemetry()))
    assert.strictEqual(sts.metadata.name, "dk-otel-collector")
    assert.deepStrictEqual(sts.spec.selector.matchLabels, {
      "app.kubernetes.io/name": "dynatrace-otel-collector",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/managed-by": "dynatrace-operator"
    })
    assert.strictEqual(sts.spec.template.metadata.labels["app.kubernetes.io/component"], "dynatrace-otel-collector")
    assert.strictEqual(sts.spec.template.spec.serviceAccountName, "dynatrace-otel-collector")
    assert.strictEqual(sts.spec.podManagementPolicy, "Parallel")
    const c = sts.spec.template.spec.containers[0]
    assert.strictEqual(c?.name, "collector")
    assert.strictEqual(c?.image, "public.ecr.aws/dynatrace/dynatrace-otel-collector:0.30.0")
    assert.deepStrictEqual(c?.args, ["--config=file:///config/telemetry.yaml"])
    assert.strictEqual(c?.readinessProbe?.httpGet?.port, 13133)
    assert.strictEqual(c?.securityContext?.runAsUser, 10001)
    assert.strictEqual(c?.securityContext?.readOnlyRootFilesystem, true)
    assert.deepStrictEqual(sts.spec.template.spec.securityContext, {
      fsGroup: 10001,
      seccompProfile: { type: "RuntimeDefault" }
    })
  })

  it("env: shards, ports, cluster identity, the endpoint ConfigMap, the pod IP and the token Secret", () => {
    const e = env(
      build(
        dynakube(
          telemetry(),
          withSpec((s) => (s.tokens = "my-tokens"))
        ),
        { currentReplicas: 3 }
      )
    )
    assert.strictEqual(e["SHARDS"], "3")
    assert.strictEqual(e["POD_NAME_PREFIX"], "dk-otel-collector")
    assert.strictEqual(e["OTLP_GRPC_PORT"], "10001")
    assert.strictEqual(e["K8S_CLUSTER_UID"], "0d3a7a2c-kube-system-uid")
    assert.strictEqual(e["DT_ENTITY_KUBERNETES_CLUSTER"], "KUBERNETES_CLUSTER-0123456789ABCDEF")
    assert.deepStrictEqual(e["DT_ENDPOINT"], {
      configMapKeyRef: { name: "dynatrace-otlp-api-endpoint", key: "DT_ENDPOINT" }
    })
    assert.deepStrictEqual(e["MY_POD_IP"], { fieldRef: { fieldPath: "status.podIP" } })
    assert.deepStrictEqual(e["DT_DATA_INGEST_TOKEN"], { secretKeyRef: { name: "my-tokens", key: "dataIngestToken" } })
    assert.strictEqual(e["HTTPS_PROXY"], undefined)
  })

  it("a proxy adds HTTP(S)_PROXY and NO_PROXY with the apiserver, the ActiveGate and the no-proxy flag", () => {
    const dk = dynakube(
      telemetry(),
      withActiveGate(["routing"]),
      withSpec((s) => (s.proxy = { value: "http://proxy:3128" })),
      (d) => {
        d.metadata = { ...d.metadata, annotations: { "feature.dynatrace.com/no-proxy": "a.example, b.example" } }
      }
    )
    const e = env(build(dk))
    assert.strictEqual(e["HTTPS_PROXY"], "http://proxy:3128")
    assert.strictEqual(e["HTTP_PROXY"], "http://proxy:3128")
    assert.strictEqual(
      e["NO_PROXY"],
      "$(KUBERNETES_SERVICE_HOST),kubernetes.default,dk-activegate.dynatrace,a.example,b.example"
    )
  })

  it("replicas: the template's, else the live StatefulSet's, else 1", () => {
    assert.strictEqual(build(dynakube(telemetry())).spec.replicas, 1)
    assert.strictEqual(build(dynakube(telemetry()), { currentReplicas: 4 }).spec.replicas, 4)
    const fixed = dynakube(
      telemetry(),
      withSpec((s) => (s.templates = { otelCollector: { imageRef: image, replicas: 2 } }))
    )
    assert.strictEqual(build(fixed, { currentReplicas: 4 }).spec.replicas, 2)
  })

  it("restart annotations: config, token and TLS hashes; the TLS one only with tlsRefName", () => {
    const plain = build(dynakube(telemetry()), {
      configText: "a",
      dataIngestTokenHash: "t",
      telemetryIngestTlsHash: "x"
    })
    assert.deepStrictEqual(plain.spec.template.metadata.annotations, {
      [annotations.configHash]: dataHash({ "telemetry.yaml": "a" }),
      [annotations.dataIngestTokenHash]: "t"
    })
    const changed = build(dynakube(telemetry()), { configText: "b", dataIngestTokenHash: "t" })
    assert.notStrictEqual(
      changed.spec.template.metadata.annotations?.[annotations.configHash],
      plain.spec.template.metadata.annotations?.[annotations.configHash]
    )
    const tls = build(dynakube(telemetry({ tlsRefName: "t" })), { telemetryIngestTlsHash: "x" })
    assert.strictEqual(tls.spec.template.metadata.annotations?.[annotations.telemetryIngestSecretHash], "x")
  })

  it("Prometheus alone: EEC config source and token, no probes, no telemetry config volume", () => {
    const dk = dynakube(
      withSpec((s) => {
        s.extensions = { prometheus: {} }
        s.templates = { otelCollector: { imageRef: image } }
      })
    )
    const sts = build(dk, { extensionsTlsHash: "7" })
    const c = sts.spec.template.spec.containers[0]
    assert.deepStrictEqual(c?.args, [
      "--config=eec://dk-extension-controller.dynatrace:14599/otcconfig/prometheusMetrics#refresh-interval=5s&auth-file=/secrets/tokens/datasource.token"
    ])
    assert.strictEqual(c?.readinessProbe, undefined)
    assert.deepStrictEqual(
      sts.spec.template.spec.volumes?.map((v) => v.name),
      ["tokens", "extension-controller-tls"]
    )
    assert.strictEqual(sts.spec.template.metadata.annotations?.[annotations.extensionsSecretHash], "7")
  })

  it("hashes match Go's hasher: FNV-1 of the JSON data, SHA-256 prefix of the JSON string", () => {
    // FNV-1 32 of `{"a":"b"}` computed independently of the implementation.
    let h = 0x811c9dc5
    for (const byte of Buffer.from('{"a":"b","c":"d"}')) h = (Math.imul(h, 0x01000193) ^ byte) >>> 0
    assert.strictEqual(dataHash({ c: "d", a: "b" }), String(h))
    assert.strictEqual(secureHash("tok"), createHash("sha256").update('"tok"').digest("hex").slice(0, 16))
    assert.strictEqual(imageOf({ repository: "r", tag: "t", digest: "sha256:ab" }), "r@sha256:ab")
  })

  it("a changed selector forces a recreate, anything else does not", () => {
    const a = build(dynakube(telemetry()))
    assert.isFalse(recreateOtelCollectorStatefulSet(a, build(dynakube(telemetry()), { configText: "x" })))
    const other = { ...a, spec: { ...a.spec, selector: { matchLabels: { x: "y" } } } }
    assert.isTrue(recreateOtelCollectorStatefulSet(other, a))
  })
})
