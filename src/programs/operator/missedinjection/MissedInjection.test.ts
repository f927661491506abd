import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import type { DynaKube } from "../../../schemas/DynaKubeV1beta6.ts"
import type { Namespace } from "../../../schemas/Pod.ts"
import * as Keys from "../../webhook/Keys.ts"
import * as T from "../../webhook/TestObjects.ts"
import * as MissedInjection from "./MissedInjection.ts"

/** A raw pod as the apiserver returns it (with fields the slim copy drops). */
const rawPod = (
  overrides: {
    annotations?: Record<string, string>
    phase?: string
    deleting?: boolean
    containers?: Array<string>
    owner?: Record<string, unknown> | null
  } = {}
) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "shop-7d9f8c-abcde",
    namespace: "apps",
    uid: "uid-pod",
    resourceVersion: "42",
    creationTimestamp: "2026-11-24T10:00:00Z",
    managedFields: [{ manager: "kube-controller-manager" }],
    labels: { app: "shop" },
    ...(overrides.annotations === undefined ? {} : { annotations: overrides.annotations }),
    ...(overrides.deleting === true ? { deletionTimestamp: "2026-11-24T11:00:00Z" } : {}),
    ...(overrides.owner === null
      ? {}
      : {
          ownerReferences: [
            overrides.owner ?? {
              apiVersion: "apps/v1",
              kind: "ReplicaSet",
              name: "shop-7d9f8c",
              uid: "rs",
              controller: true
            }
          ]
        })
  },
  spec: {
    containers: (overrides.containers ?? ["shop"]).map((name) => ({
      name,
      image: `registry.example.com/${name}:1`,
      env: [{ name: "SECRET", value: "do-not-keep" }],
      resources: { limits: { cpu: "1" } }
    })),
    nodeName: "node-1"
  },
  status: { phase: overrides.phase ?? "Running", conditions: [{ type: "Ready", status: "True" }] }
})

const settings = T.settings()
const mapped: Namespace = T.namespace("apps")
const enriching: DynaKube = T.dynakube(T.enrichment())

const assess = (
  pod: ReturnType<typeof rawPod>,
  options: { namespace?: Namespace | undefined; dynakube?: DynaKube | undefined } = {}
) =>
  MissedInjection.assess({
    settings,
    pod: MissedInjection.slimPod(pod),
    namespace: Option.fromUndefinedOr("namespace" in options ? options.namespace : mapped),
    dynakube: Option.fromUndefinedOr("dynakube" in options ? options.dynakube : enriching)
  })

describe("MissedInjection.slimPod", () => {
  it("keeps what the decision needs and drops the rest (managedFields, env, resources, conditions, nodeName)", () => {
    const slim = MissedInjection.slimPod(rawPod({ annotations: { a: "b" } }))
    assert.deepStrictEqual(slim, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "shop-7d9f8c-abcde",
        namespace: "apps",
        uid: "uid-pod",
        resourceVersion: "42",
        annotations: { a: "b" },
        labels: { app: "shop" },
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "shop-7d9f8c", uid: "rs", controller: true }
        ],
        creationTimestamp: "2026-11-24T10:00:00Z"
      },
      spec: { containers: [{ name: "shop", image: "registry.example.com/shop:1" }] },
      status: { phase: "Running" }
    })
  })
})

describe("MissedInjection.assess", () => {
  const table: ReadonlyArray<{
    readonly name: string
    readonly pod: ReturnType<typeof rawPod>
    readonly namespace?: Namespace | undefined
    readonly dynakube?: DynaKube | undefined
    readonly expected: string
  }> = [
    { name: "an un-annotated pod in a mapped namespace with enrichment on", pod: rawPod(), expected: "Missed" },
    { name: "a pending pod counts as well", pod: rawPod({ phase: "Pending" }), expected: "Missed" },
    {
      name: "opted out (dynatrace.com/inject: false)",
      pod: rawPod({ annotations: { [Keys.input.inject]: "false" } }),
      expected: Keys.Reason.PodOptedOut
    },
    {
      name: "every container excluded",
      pod: rawPod({ annotations: { [`${Keys.input.containerInjectPrefix}shop`]: "false" } }),
      expected: Keys.Reason.AllContainersExcluded
    },
    { name: "terminating", pod: rawPod({ deleting: true }), expected: "Terminating" },
    { name: "succeeded", pod: rawPod({ phase: "Succeeded" }), expected: "Completed" },
    { name: "failed", pod: rawPod({ phase: "Failed" }), expected: "Completed" },
    {
      name: "annotated by the webhook (injected: true)",
      pod: rawPod({ annotations: { [Keys.output.dynakube.injected]: "true" } }),
      expected: "Annotated"
    },
    {
      name: "annotated by the webhook (injected: false, fail-open)",
      pod: rawPod({ annotations: { [Keys.output.dynakube.injected]: "false" } }),
      expected: "Annotated"
    },
    {
      name: "unmapped namespace (no instance label)",
      pod: rawPod(),
      namespace: T.namespace("apps", {}),
      expected: Keys.Reason.NamespaceNotLabelled
    },
    { name: "namespace unknown", pod: rawPod(), namespace: undefined, expected: Keys.Reason.NamespaceNotFound },
    {
      name: "the DynaKube named by the label is gone",
      pod: rawPod(),
      dynakube: undefined,
      expected: Keys.Reason.DynaKubeNotFound
    },
    {
      name: "the DynaKube has no injection feature",
      pod: rawPod(),
      dynakube: T.dynakube(),
      expected: Keys.Reason.NoInjectionFeature
    },
    {
      name: "the feature is off for this pod (metadata-enrichment inject: false)",
      pod: rawPod({ annotations: { [Keys.input.metadataInject]: "false" } }),
      expected: "NoFeatureOn"
    },
    {
      name: "the namespace is not selected by the feature",
      pod: rawPod(),
      dynakube: T.dynakube(T.enrichment({ namespaceSelector: { matchLabels: { team: "x" } } })),
      expected: "NoFeatureOn"
    },
    {
      name: "OneAgent wanted but refused (no code modules yet) and nothing else: restarting would not help",
      pod: rawPod(),
      dynakube: T.dynakube(T.applicationMonitoring(), T.withStatus({ codeModules: {} })),
      expected: "NoFeatureOn"
    }
  ]
  for (const row of table) {
    it(`${row.name} → ${row.expected}`, () => {
      const options: { namespace?: Namespace | undefined; dynakube?: DynaKube | undefined } = {}
      if ("namespace" in row) options.namespace = row.namespace
      if ("dynakube" in row) options.dynakube = row.dynakube
      const result = assess(row.pod, options)
      assert.strictEqual(result._tag === "Missed" ? "Missed" : result.reason, row.expected)
    })
  }

  it("names the features that would be injected", () => {
    const result = assess(rawPod(), { dynakube: T.dynakube(T.applicationMonitoring(), T.enrichment()) })
    assert.deepStrictEqual(result, { _tag: "Missed", features: ["oneAgent", "metadata"] })
  })

  it("a container excluded on the DynaKube leaves the others to inject", () => {
    const result = assess(rawPod({ containers: ["shop", "sidecar"] }), {
      dynakube: T.dynakube(T.enrichment(), T.withDkAnnotation(`${Keys.input.containerInjectPrefix}sidecar`, "false"))
    })
    assert.strictEqual(result._tag, "Missed")
  })
})

describe("MissedInjection workloads", () => {
  const slim = (owner: Record<string, unknown> | null) => MissedInjection.slimPod(rawPod({ owner }))
  it("ReplicaSet owners are followed; StatefulSets and DaemonSets are workloads; anything else is reported", () => {
    assert.deepStrictEqual(MissedInjection.podOwner(slim(null)), {
      _tag: "Other",
      kind: "Pod",
      name: "shop-7d9f8c-abcde"
    })
    assert.deepStrictEqual(
      MissedInjection.podOwner(
        slim({ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs", uid: "u", controller: true })
      ),
      { _tag: "ReplicaSet", name: "rs" }
    )
    assert.deepStrictEqual(
      MissedInjection.podOwner(
        slim({ apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "u", controller: true })
      ),
      { _tag: "Workload", kind: "StatefulSet", name: "db" }
    )
    assert.deepStrictEqual(
      MissedInjection.podOwner(
        slim({ apiVersion: "apps/v1", kind: "DaemonSet", name: "ds", uid: "u", controller: true })
      ),
      { _tag: "Workload", kind: "DaemonSet", name: "ds" }
    )
    assert.deepStrictEqual(
      MissedInjection.podOwner(slim({ apiVersion: "batch/v1", kind: "Job", name: "j", uid: "u", controller: true })),
      { _tag: "Other", kind: "Job", name: "j" }
    )
    // A non-controller owner does not make a workload.
    assert.deepStrictEqual(
      MissedInjection.podOwner(slim({ apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "u" })),
      { _tag: "Other", kind: "Pod", name: "shop-7d9f8c-abcde" }
    )
  })

  it("a ReplicaSet leads to its Deployment; an orphan ReplicaSet is reported, not restarted", () => {
    const rs = {
      metadata: {
        name: "shop-7d9f8c",
        ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "shop", uid: "d", controller: true }]
      }
    }
    assert.deepStrictEqual(MissedInjection.replicaSetWorkload("shop-7d9f8c", rs), {
      kind: "Deployment",
      name: "shop",
      restartable: true
    })
    assert.deepStrictEqual(MissedInjection.replicaSetWorkload("shop-7d9f8c", { metadata: { name: "shop-7d9f8c" } }), {
      kind: "ReplicaSet",
      name: "shop-7d9f8c",
      restartable: false
    })
    assert.deepStrictEqual(MissedInjection.replicaSetWorkload("gone", undefined), {
      kind: "ReplicaSet",
      name: "gone",
      restartable: false
    })
  })

  it("the notes name the count, the workload and the namespace", () => {
    const shop = { kind: "Deployment", name: "shop", restartable: true }
    assert.strictEqual(
      MissedInjection.missedNote(3, shop, "demo"),
      "3 pods of deployment/shop in namespace demo missed injection; restart the workload"
    )
    assert.strictEqual(
      MissedInjection.missedNote(1, { kind: "Job", name: "j", restartable: false }, "demo"),
      "1 pod of job/j in namespace demo missed injection; recreate the pods"
    )
    assert.match(
      MissedInjection.stillMissingNote(2, shop, "demo"),
      /still missing injection after a restart — is the webhook running\?$/
    )
  })
})
