/**
 * The built workloads are valid Kubernetes: the real kube-apiserver (shared control plane) accepts every object the
 * builders produce, in each OneAgent mode and with a feature-rich ActiveGate, and ObjectSync can keep them with the
 * builders' recreate predicates evaluated against the live (server-defaulted) objects.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { KubeClient } from "../../../../services/KubeClient.ts"
import type { KubeObject } from "../../../../services/kube/KubeObject.ts"
import * as Resources from "../../../../services/kube/Resources.ts"
import * as ObjectSync from "../../runtime/ObjectSync.ts"
import { buildActiveGateService } from "../activegate/ActiveGateService.ts"
import {
  buildAuthTokenSecret,
  buildCustomPropertiesSecret,
  buildDeploymentPropertiesConfigMap
} from "../activegate/ActiveGateSecrets.ts"
import { buildActiveGateStatefulSet, recreateActiveGateStatefulSet } from "../activegate/ActiveGateStatefulSet.ts"
import { buildActiveGateTlsSecret } from "../activegate/ActiveGateTls.ts"
import { buildOneAgentDaemonSet, recreateOneAgentDaemonSet } from "./OneAgentDaemonSet.ts"
import {
  classicFullStack,
  cloudNativeFullStack,
  dynakube,
  hostMonitoring,
  type Modifier,
  operator as baseOperator,
  withActiveGate,
  withFlag,
  withHostGroup,
  withProxy,
  withServiceIPs,
  withSpec,
  withStatus
} from "./WorkloadFixtures.ts"
import { readWorkloadFlags } from "./WorkloadFlags.ts"
import type { OperatorContext } from "./WorkloadParts.ts"
import type { DaemonSet, StatefulSet } from "./WorkloadTypes.ts"

const namespace = `workloads-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`
const inNamespace: Modifier = (dk) => {
  dk.metadata = { ...dk.metadata, namespace }
}

/** A DynaKube using nearly every option that shapes the workloads. */
const rich = (mode: Modifier): ReturnType<typeof dynakube> =>
  dynakube(
    inNamespace,
    mode,
    withHostGroup("prod"),
    withProxy("http://proxy.corp:3128"),
    withFlag("no-proxy", "internal.corp"),
    withFlag("oneagent-max-unavailable", "2"),
    withActiveGate(["routing", "kubernetes-monitoring", "metrics-ingest", "dynatrace-api", "debugging"], (ag) => {
      ag.customProperties = { value: "[connectivity]\nx=1" }
      ag.resources = { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } }
      ag.tolerations = [{ key: "dedicated", operator: "Equal", value: "ag", effect: "NoSchedule" }]
      ag.env = [{ name: "DT_LOGLEVEL", value: "info" }]
      ag.volumes = [{ name: "extra", emptyDir: {} }]
      ag.volumeMounts = [{ name: "extra", mountPath: "/extra" }]
      ag.rollingUpdate = { partition: 0 }
      ag.terminationGracePeriodSeconds = 30
    }),
    withServiceIPs("10.96.0.12", "fd00::12"),
    withSpec((s) => {
      s.networkZone = "eu-west"
      s.trustedCAs = "corp-cas"
      s.customPullSecret = "corp-registry"
      s.resourceAttributes = { "k8s.cluster.name": "prod" }
      s.logMonitoring = {}
      s.extensions = { prometheus: {} }
      s.telemetryIngest = { protocols: ["otlp"] }
      s.kspm = {}
    }),
    withStatus((s) => (s.kspm = { tokenSecretHash: "kspm-hash" }))
  )

const hostSpec = {
  args: ["--set-host-tag=team=a", "--set-host-property=x=y"],
  env: [{ name: "EXTRA", value: "1" }],
  labels: { team: "a" },
  annotations: { "example.com/a": "b" },
  nodeSelector: { "kubernetes.io/os": "linux" },
  tolerations: [{ operator: "Exists" }],
  oneAgentResources: { requests: { memory: "256Mi" }, limits: { cpu: "1" } },
  secCompProfile: "oneagent.json",
  priorityClassName: "system-node-critical"
}

const withoutOwner = <T extends KubeObject>(object: T): T => ({
  ...object,
  // The DynaKube kind does not exist in this cluster; a real write must not be collected as an orphan.
  metadata: { ...object.metadata, ownerReferences: undefined }
})

const dryRunApply = <T extends KubeObject>(resource: Parameters<KubeClient["Service"]["apply"]>[0], object: T) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    return yield* kube.apply(resource, object, { dryRun: true, force: true })
  })

layer(KubeClient.layer, { excludeTestServices: true })("workloads on the real apiserver", (it) => {
  const setup = Effect.gen(function* () {
    const kube = yield* KubeClient
    const version = yield* kube.version
    const operator: OperatorContext = {
      ...baseOperator,
      operatorPullSecret: "helm-pull",
      kubernetesMinorVersion: Number.parseInt(version.minor, 10)
    }
    return { kube, operator }
  })

  it.effect("the apiserver accepts every built object (server-side dry-run apply)", () =>
    Effect.gen(function* () {
      const { kube, operator } = yield* setup
      yield* kube.create(Resources.Namespace, { metadata: { name: namespace } })

      const daemonSets: Array<DaemonSet> = []
      for (const mode of [classicFullStack(hostSpec), hostMonitoring(hostSpec), cloudNativeFullStack(hostSpec)]) {
        for (const csiDriver of [true, false]) {
          const ds = buildOneAgentDaemonSet({
            dynakube: rich(mode),
            operator: { ...operator, csiDriver },
            processGroupingConfigHash: "123"
          })
          assert.isDefined(ds)
          if (ds !== undefined) daemonSets.push(ds)
        }
      }
      // Privileged agent, skipped liveness probe, legacy AppArmor annotation.
      const flagged = buildOneAgentDaemonSet({
        dynakube: dynakube(
          inNamespace,
          hostMonitoring(),
          withFlag("oneagent-privileged", "true"),
          withFlag("oneagent-skip-liveness-probe", "true")
        ),
        operator: { ...operator, kubernetesMinorVersion: 29 }
      })
      if (flagged !== undefined) daemonSets.push(flagged)
      for (const ds of daemonSets) {
        const accepted = yield* dryRunApply(Resources.DaemonSet, ds)
        assert.strictEqual(accepted.metadata?.name, "dk-oneagent")
      }

      const dk = rich(cloudNativeFullStack())
      const statefulSets: Array<StatefulSet> = [
        buildActiveGateStatefulSet({ dynakube: dk, operator, configurationHash: "1" }),
        buildActiveGateStatefulSet({
          dynakube: dynakube(
            inNamespace,
            withActiveGate(
              ["routing"],
              (ag) =>
                (ag.volumeClaimTemplate = {
                  accessModes: ["ReadWriteOnce"],
                  resources: { requests: { storage: "2Gi" } }
                })
            )
          ),
          operator,
          configurationHash: "2"
        }),
        buildActiveGateStatefulSet({
          dynakube: dynakube(
            inNamespace,
            withSpec((s) => (s.extensions = { prometheus: {} })),
            withFlag("activegate-apparmor", "true")
          ),
          operator,
          configurationHash: "3"
        })
      ]
      for (const sts of statefulSets) {
        const accepted = yield* dryRunApply(Resources.StatefulSet, sts)
        assert.strictEqual(accepted.metadata?.name, "dk-activegate")
      }

      yield* dryRunApply(Resources.Service, buildActiveGateService({ dynakube: dk, operator }))
      yield* dryRunApply(
        Resources.Secret,
        buildAuthTokenSecret({ dynakube: dk, operator, token: Redacted.make("dt0g02.A.B") })
      )
      const customProperties = buildCustomPropertiesSecret({
        dynakube: dk,
        operator,
        flags: readWorkloadFlags(dk),
        userText: "[connectivity]\nx=1"
      })
      assert.isDefined(customProperties)
      if (customProperties !== undefined) yield* dryRunApply(Resources.Secret, customProperties)
      yield* dryRunApply(Resources.ConfigMap, buildDeploymentPropertiesConfigMap({ dynakube: dk, operator }))
      const tls = yield* buildActiveGateTlsSecret({ dynakube: dk, operator, modulusLength: 2048 })
      yield* dryRunApply(Resources.Secret, tls)

      // Dry runs persist nothing.
      const stored = yield* kube.list(Resources.DaemonSet, { namespace })
      assert.strictEqual(stored.items.length, 0)
    })
  )

  it.effect(
    "ObjectSync keeps the objects: no write when unchanged, update on change, recreate on a selector change",
    () =>
      Effect.gen(function* () {
        const { kube, operator } = yield* setup
        const ds = (mode: Modifier, name = "dk") =>
          withoutOwner(
            buildOneAgentDaemonSet({
              dynakube: dynakube(inNamespace, mode, (d) => (d.metadata = { ...d.metadata, name })),
              operator
            }) as DaemonSet
          )
        const options = { recreate: recreateOneAgentDaemonSet }

        const created = yield* ObjectSync.ensure(Resources.DaemonSet, ds(hostMonitoring()), options)
        assert.strictEqual(created.action, "created")
        const writes = (yield* kube.requestStats).writes
        const again = yield* ObjectSync.ensure(Resources.DaemonSet, ds(hostMonitoring()), options)
        assert.strictEqual(again.action, "unchanged")
        assert.strictEqual((yield* kube.requestStats).writes, writes, "an unchanged DaemonSet is not written")

        // A mode switch keeps the selector: an in-place update that rolls the pods.
        const switched = yield* ObjectSync.ensure(Resources.DaemonSet, ds(cloudNativeFullStack()), options)
        assert.strictEqual(switched.action, "updated")
        assert.strictEqual(switched.object.metadata?.uid, created.object.metadata?.uid)

        // A live object whose selector differs (as if written by something else) is replaced.
        yield* kube.delete(Resources.DaemonSet, "dk-oneagent", { namespace })
        const foreign = ds(cloudNativeFullStack(), "other")
        yield* kube.create(Resources.DaemonSet, { ...foreign, metadata: { ...foreign.metadata, name: "dk-oneagent" } })
        const replaced = yield* ObjectSync.ensure(Resources.DaemonSet, ds(cloudNativeFullStack()), options)
        assert.strictEqual(replaced.action, "recreated")

        const sts = (modifiers: ReadonlyArray<Modifier>) =>
          withoutOwner(
            buildActiveGateStatefulSet({
              dynakube: dynakube(inNamespace, ...modifiers),
              operator,
              configurationHash: "1"
            })
          )
        const stsOptions = { recreate: recreateActiveGateStatefulSet }
        const first = yield* ObjectSync.ensure(Resources.StatefulSet, sts([withActiveGate(["routing"])]), stsOptions)
        assert.strictEqual(first.action, "created")
        const same = yield* ObjectSync.ensure(Resources.StatefulSet, sts([withActiveGate(["routing"])]), stsOptions)
        assert.strictEqual(same.action, "unchanged")
        const moreCaps = yield* ObjectSync.ensure(
          Resources.StatefulSet,
          sts([withActiveGate(["routing", "debugging"])]),
          stsOptions
        )
        assert.strictEqual(moreCaps.action, "updated")
        // Adding a volume claim template (immutable) needs a new StatefulSet.
        const withClaim = yield* ObjectSync.ensure(
          Resources.StatefulSet,
          sts([withActiveGate(["routing", "debugging"]), withSpec((s) => (s.telemetryIngest = {}))]),
          stsOptions
        )
        assert.strictEqual(withClaim.action, "recreated")

        const service = withoutOwner(buildActiveGateService({ dynakube: dynakube(inNamespace), operator }))
        assert.strictEqual((yield* ObjectSync.ensure(Resources.Service, service)).action, "created")
        assert.strictEqual((yield* ObjectSync.ensure(Resources.Service, service)).action, "unchanged")

        yield* kube.delete(Resources.Namespace, namespace)
      })
  )
})
