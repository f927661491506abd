/**
 * Properties of every workload builder over arbitrary valid DynaKubes (objects generated from the CRD's structural
 * schema, decoded with the DynaKube Schema, with arbitrary feature-flag annotations and status): they never throw,
 * are deterministic, leave their input untouched, return plain JSON, and select their own pods.
 */
import { describe, expect, it } from "@effect/vitest"
import { Redacted, Schema } from "effect"
import * as fc from "fast-check"
import { fromSchema } from "../../../../schemas/CrdArbitrary.ts"
import { dynaKubeCrd } from "../../../../schemas/Crds.ts"
import { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import type { JsonSchemaProps } from "../../../../schemas/StructuralSchema.ts"
import { buildActiveGateService } from "../activegate/ActiveGateService.ts"
import {
  activeGateConfigurationHash,
  buildAuthTokenSecret,
  buildCustomPropertiesSecret,
  buildDeploymentPropertiesConfigMap
} from "../activegate/ActiveGateSecrets.ts"
import { buildActiveGateStatefulSet } from "../activegate/ActiveGateStatefulSet.ts"
import { activeGateCapabilities, isActiveGateEnabled, needsActiveGateStatefulSet } from "../activegate/Capabilities.ts"
import { buildOneAgentDaemonSet } from "./OneAgentDaemonSet.ts"
import { needsOneAgentDaemonSet } from "./OneAgentMode.ts"
import { FlagKeys, readWorkloadFlags } from "./WorkloadFlags.ts"
import type { OperatorContext } from "./WorkloadParts.ts"

const v1beta6Schema = (): JsonSchemaProps => {
  const versions = (
    dynaKubeCrd()["spec"] as { versions: Array<{ name: string; schema: { openAPIV3Schema: JsonSchemaProps } }> }
  ).versions
  const version = versions.find((v) => v.name === "v1beta6")
  if (version === undefined) throw new Error("no v1beta6 in the CRD")
  return version.schema.openAPIV3Schema
}

/** Feature-flag values: valid booleans/ints in several spellings and garbage. */
const flagValue = fc.constantFrom("true", "false", "1", "0", "True", "yes", "", "3", "-1", "25%", "a,b", "x\ny")
const annotations = fc.dictionary(
  fc.constantFrom(...Object.values(FlagKeys), "container.apparmor.security.beta.kubernetes.io/dynatrace-oneagent"),
  flagValue,
  { maxKeys: 6 }
)
const metadata = fc.record(
  {
    name: fc.constantFrom("dk", "dynakube-with-a-long-name-0123456789"),
    namespace: fc.constantFrom("dynatrace", "other"),
    uid: fc.uuid(),
    annotations
  },
  { requiredKeys: ["name", "namespace", "uid"] }
)

const decode = Schema.decodeUnknownOption(DynaKube)

/** Valid DynaKubes: generated from the CRD schema and accepted by the Schema the controller decodes with. */
const dynakubes = fromSchema(v1beta6Schema(), { metadata }).chain((raw) => {
  const decoded = decode({ ...(raw as object), apiVersion: "dynatrace.com/v1beta6", kind: "DynaKube" })
  return decoded._tag === "Some" ? fc.constant(decoded.value) : fc.constant(undefined)
})
const validDynakubes = dynakubes.filter((dk): dk is DynaKube => dk !== undefined)

const operators: fc.Arbitrary<OperatorContext> = fc.record({
  operatorVersion: fc.constantFrom("1.7.0", "0.0.0-snapshot-" + "x".repeat(70)),
  operatorImage: fc.constant("quay.io/dynatrace/dynatrace-operator:v1.7.0"),
  operatorPullSecret: fc.option(fc.constantFrom("helm-pull", ""), { nil: undefined }),
  csiDriver: fc.boolean(),
  kubernetesMinorVersion: fc.integer({ min: 25, max: 36 })
})

/** Everything the builders produce for one input, built once. */
const buildAll = (dk: DynaKube, operator: OperatorContext, pgc: string | undefined, replicas: number | undefined) => {
  const flags = readWorkloadFlags(dk)
  return {
    daemonSet: buildOneAgentDaemonSet({ dynakube: dk, operator, processGroupingConfigHash: pgc }),
    statefulSet: buildActiveGateStatefulSet({
      dynakube: dk,
      operator,
      configurationHash: "1",
      currentReplicas: replicas
    }),
    service: buildActiveGateService({ dynakube: dk, operator }),
    capabilities: activeGateCapabilities(dk),
    enabled: [isActiveGateEnabled(dk), needsActiveGateStatefulSet(dk), needsOneAgentDaemonSet(dk)],
    authToken: buildAuthTokenSecret({ dynakube: dk, operator, token: Redacted.make("dt0g02.A.B") }),
    customProperties: buildCustomPropertiesSecret({ dynakube: dk, operator, flags, userText: "a=b" }),
    deploymentProperties: buildDeploymentPropertiesConfigMap({ dynakube: dk, operator }),
    hash: activeGateConfigurationHash({
      customProperties: "",
      authToken: Redacted.make("t"),
      resourceAttributes: dk.spec.resourceAttributes
    })
  }
}

const isPlainJson = (value: unknown): boolean => {
  if (value === null || ["string", "boolean"].includes(typeof value)) return true
  if (typeof value === "number") return Number.isFinite(value)
  if (Array.isArray(value)) return value.every(isPlainJson)
  if (typeof value === "object") {
    return Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(isPlainJson)
  }
  return false
}

const selects = (selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v)

describe("workload builders over arbitrary DynaKubes", () => {
  it("the generator yields valid DynaKubes with OneAgent and ActiveGate settings", () => {
    const samples = fc.sample(validDynakubes, 100)
    expect(samples.length).toBe(100)
    expect(samples.some((dk) => needsOneAgentDaemonSet(dk))).toBe(true)
    expect(samples.some((dk) => needsActiveGateStatefulSet(dk))).toBe(true)
  })

  // Hundreds of generated DynaKubes: seconds of CPU, more when the suite runs in parallel on two cores.
  it("never throw, are deterministic, leave the input untouched and return plain JSON", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(
        validDynakubes,
        operators,
        fc.option(fc.constantFrom("123", ""), { nil: undefined }),
        fc.option(fc.nat(10), { nil: undefined }),
        (dk, operator, pgc, replicas) => {
          const before = structuredClone(dk)
          const first = buildAll(dk, operator, pgc, replicas)
          const second = buildAll(dk, operator, pgc, replicas)
          expect(second).toStrictEqual(first)
          expect(dk).toStrictEqual(before)
          expect(isPlainJson(JSON.parse(JSON.stringify(first)))).toBe(true)
          expect(isPlainJson(first.daemonSet ?? null)).toBe(true)
          expect(isPlainJson(first.statefulSet)).toBe(true)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("workloads select their own pods; a DaemonSet exactly for host-agent modes", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(validDynakubes, operators, (dk, operator) => {
        const { daemonSet, statefulSet, service } = buildAll(dk, operator, undefined, undefined)
        expect(daemonSet !== undefined).toBe(needsOneAgentDaemonSet(dk))
        if (daemonSet !== undefined) {
          expect(selects(daemonSet.spec.selector.matchLabels, daemonSet.spec.template.metadata.labels)).toBe(true)
          expect(daemonSet.metadata.name).toBe(`${dk.metadata?.name ?? ""}-oneagent`)
        }
        expect(selects(statefulSet.spec.selector.matchLabels, statefulSet.spec.template.metadata.labels)).toBe(true)
        expect(selects(service.spec.selector, statefulSet.spec.template.metadata.labels)).toBe(true)
        for (const labels of [statefulSet.metadata.labels ?? {}, service.metadata.labels ?? {}]) {
          for (const value of Object.values(labels)) expect(value.length).toBeLessThanOrEqual(63)
        }
        expect(JSON.stringify([daemonSet, statefulSet])).not.toContain("template-hash")
      }),
      { numRuns: 200 }
    )
  })
})
