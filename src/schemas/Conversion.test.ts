import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import * as fc from "fast-check"
import { ConversionError, convert } from "./Conversion.ts"
import { AnnotationPrefix, fieldsAnnotation, type JsonObject } from "./ConversionSupport.ts"
import { fromSchema } from "./CrdArbitrary.ts"
import { dynaKubeCrd, edgeConnectCrd, type Crd } from "./Crds.ts"
import {
  AutoUpdateAnnotation,
  DefaultOtelCollectorImage,
  DefaultOtelImageAnnotation,
  v1beta5ToV1beta6,
  v1beta6ToV1beta5
} from "./DynaKubeConversion.ts"
import * as V5 from "./DynaKubeV1beta5.ts"
import * as V6 from "./DynaKubeV1beta6.ts"
import { v1alpha1ToV1alpha2, v1alpha2ToV1alpha1 } from "./EdgeConnectConversion.ts"
import * as EC1 from "./EdgeConnectV1alpha1.ts"
import * as EC2 from "./EdgeConnectV1alpha2.ts"
import type { JsonSchemaProps } from "./StructuralSchema.ts"

const schemaOf = (crd: Crd, version: string): JsonSchemaProps => {
  const versions = (crd["spec"] as { versions: Array<{ name: string; schema: { openAPIV3Schema: JsonSchemaProps } }> })
    .versions
  return versions.find((v) => v.name === version)!.schema.openAPIV3Schema
}

const key = fc.string({ minLength: 1, maxLength: 10, unit: fc.constantFrom("a", "b", "c", ".", "/", "-", "1") })
/** User annotations: never the converter's own. */
const userAnnotations = fc.dictionary(
  key.filter((k) => !k.startsWith(AnnotationPrefix)),
  fc.string({ maxLength: 6 }),
  { minKeys: 1, maxKeys: 3 }
)
const metadata = (annotations: fc.Arbitrary<Record<string, string>>) =>
  fc.record(
    {
      name: fc.constant("sample"),
      namespace: fc.constant("dynatrace"),
      uid: fc.uuid(),
      generation: fc.nat(10),
      labels: fc.dictionary(key, fc.string({ maxLength: 5 }), { minKeys: 1, maxKeys: 2 }),
      annotations,
      ownerReferences: fc.constant([{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: "1" }])
    },
    { requiredKeys: ["name", "namespace"] }
  )

const resource = (crd: Crd, version: string, apiVersion: string, kind: string, meta: fc.Arbitrary<unknown>) =>
  fromSchema(schemaOf(crd, version), { metadata: meta }).map(
    (o) => ({ ...(o as JsonObject), apiVersion, kind }) as JsonObject
  )

const dkCrd = dynaKubeCrd()
const ecCrd = edgeConnectCrd()

const spokeDynaKube = resource(dkCrd, V5.version, V5.apiVersion, "DynaKube", metadata(userAnnotations))

/** Hub objects may carry the annotations a previous up-conversion wrote (and the image it filled in). */
const hubAnnotations = fc
  .tuple(
    fc.option(userAnnotations, { nil: undefined }),
    fc.option(fc.constantFrom("true", "false"), { nil: undefined }),
    fc.option(fc.constantFrom("true", "false"), { nil: undefined })
  )
  .map(([user, autoUpdate, defaultImage]) => ({
    ...user,
    ...(autoUpdate !== undefined ? { [AutoUpdateAnnotation]: autoUpdate } : {}),
    ...(defaultImage !== undefined ? { [DefaultOtelImageAnnotation]: defaultImage } : {})
  }))
  .filter((a) => Object.keys(a).length > 0)

const hubDynaKube = fc
  .tuple(resource(dkCrd, V6.version, V6.apiVersion, "DynaKube", metadata(hubAnnotations)), fc.boolean())
  .map(([dk, defaultImage]) => {
    if (!defaultImage) return dk
    // Sometimes the collector image is the default one, as an up-conversion leaves it.
    const spec = dk["spec"] as JsonObject
    const templates = (spec["templates"] ?? {}) as JsonObject
    const otel = (templates["otelCollector"] ?? {}) as JsonObject
    return {
      ...dk,
      spec: {
        ...spec,
        templates: { ...templates, otelCollector: { ...otel, imageRef: { ...DefaultOtelCollectorImage } } }
      }
    }
  })

const spokeEdgeConnect = resource(ecCrd, EC1.version, EC1.apiVersion, "EdgeConnect", metadata(userAnnotations))
const hubEdgeConnect = resource(ecCrd, EC2.version, EC2.apiVersion, "EdgeConnect", metadata(userAnnotations))

const to = (object: unknown, apiVersion: string): JsonObject => Result.getOrThrow(convert(object, apiVersion))

const runs = { numRuns: 300 }

describe("DynaKube conversion properties", () => {
  it("v1beta5 -> v1beta6 -> v1beta5 gives back the v1beta5 object", () => {
    fc.assert(
      fc.property(spokeDynaKube, (spoke) => {
        expect(to(to(spoke, V6.apiVersion), V5.apiVersion)).toEqual(spoke)
      }),
      runs
    )
  })

  it("v1beta6 -> v1beta5 -> v1beta6 gives back the v1beta6 object", () => {
    fc.assert(
      fc.property(hubDynaKube, (hub) => {
        expect(to(to(hub, V5.apiVersion), V6.apiVersion)).toEqual(hub)
      }),
      runs
    )
  })

  it("converts valid objects into valid objects of the other version and leaves the input alone", () => {
    fc.assert(
      fc.property(spokeDynaKube, hubDynaKube, (spoke, hub) => {
        const spokeCopy = structuredClone(spoke)
        const hubCopy = structuredClone(hub)
        expect(Schema.is(V5.DynaKube)(spoke)).toBe(true)
        expect(Schema.is(V6.DynaKube)(hub)).toBe(true)
        if (spoke["spec"] !== undefined) expect(Schema.is(V6.DynaKube)(to(spoke, V6.apiVersion))).toBe(true)
        expect(Schema.is(V5.DynaKube)(to(hub, V5.apiVersion))).toBe(true)
        expect(spoke).toEqual(spokeCopy)
        expect(hub).toEqual(hubCopy)
      }),
      { numRuns: 100 }
    )
  })
})

describe("EdgeConnect conversion properties", () => {
  it("v1alpha1 -> v1alpha2 -> v1alpha1 gives back the v1alpha1 object", () => {
    fc.assert(
      fc.property(spokeEdgeConnect, (spoke) => {
        expect(to(to(spoke, EC2.apiVersion), EC1.apiVersion)).toEqual(spoke)
      }),
      runs
    )
  })

  it("v1alpha2 -> v1alpha1 -> v1alpha2 gives back the v1alpha2 object", () => {
    fc.assert(
      fc.property(hubEdgeConnect, (hub) => {
        expect(to(to(hub, EC1.apiVersion), EC2.apiVersion)).toEqual(hub)
      }),
      runs
    )
  })

  it("converts valid objects into valid objects of the other version", () => {
    fc.assert(
      fc.property(spokeEdgeConnect, hubEdgeConnect, (spoke, hub) => {
        // (a v1alpha1 object without spec has no valid v1alpha2 form; the apiserver never sends one)
        if (spoke["spec"] !== undefined) expect(Schema.is(EC2.EdgeConnect)(to(spoke, EC2.apiVersion))).toBe(true)
        expect(Schema.is(EC1.EdgeConnect)(to(hub, EC1.apiVersion))).toBe(true)
      }),
      { numRuns: 100 }
    )
  })
})

const baseV5 = (spec: JsonObject, extra: JsonObject = {}): V5.DynaKube =>
  ({
    apiVersion: V5.apiVersion,
    kind: "DynaKube",
    metadata: { name: "dk", namespace: "dynatrace" },
    spec: { apiUrl: "https://abc123.live.dynatrace.com/api", ...spec },
    ...extra
  }) as V5.DynaKube

const baseV6 = (spec: JsonObject, extra: JsonObject = {}): V6.DynaKube =>
  ({
    apiVersion: V6.apiVersion,
    kind: "DynaKube",
    metadata: { name: "dk", namespace: "dynatrace" },
    spec: { apiUrl: "https://abc123.live.dynatrace.com/api", ...spec },
    ...extra
  }) as V6.DynaKube

describe("DynaKube v1beta5 <-> v1beta6 rules", () => {
  it("moves autoUpdate of the active mode into the auto-update annotation and back", () => {
    const spoke = baseV5({ oneAgent: { cloudNativeFullStack: { autoUpdate: false, image: "img" } } })
    const hub = v1beta5ToV1beta6(spoke)
    expect(hub.apiVersion).toBe(V6.apiVersion)
    expect(hub.spec.oneAgent?.cloudNativeFullStack).toEqual({ image: "img" })
    expect(hub.metadata?.annotations).toEqual({ [AutoUpdateAnnotation]: "false" })
    const back = v1beta6ToV1beta5(hub)
    expect(back).toEqual(spoke)
    expect(back.metadata?.annotations).toBeUndefined()
  })

  it("turns extensions {} into extensions.prometheus {} and back", () => {
    const hub = v1beta5ToV1beta6(
      baseV5({ extensions: {}, templates: { otelCollector: { imageRef: { repository: "r", tag: "1" } } } })
    )
    expect(hub.spec.extensions).toEqual({ prometheus: {} })
    expect(hub.metadata?.annotations).toBeUndefined()
    expect(v1beta6ToV1beta5(hub).spec?.extensions).toEqual({})
  })

  it("keeps databases-only extensions off in v1beta5 (no Prometheus) and restores them", () => {
    const hub = baseV6({ extensions: { databases: [{ id: "db1", replicas: 2 }] } })
    const spoke = v1beta6ToV1beta5(hub)
    expect(spoke.spec?.extensions).toBeUndefined()
    expect(JSON.parse(spoke.metadata!.annotations![fieldsAnnotation(V6.version)]!)).toEqual({
      "/spec/extensions": { databases: [{ id: "db1", replicas: 2 }] }
    })
    expect(v1beta5ToV1beta6(spoke)).toEqual(hub)
  })

  it("fills in the default OTel collector image for telemetryIngest and removes it again", () => {
    const spoke = baseV5({ telemetryIngest: { protocols: ["otlp"] } })
    const hub = v1beta5ToV1beta6(spoke)
    expect(hub.spec.templates?.otelCollector?.imageRef).toEqual({
      repository: "public.ecr.aws/dynatrace/dynatrace-otel-collector",
      tag: "latest"
    })
    expect(hub.metadata?.annotations?.[DefaultOtelImageAnnotation]).toBe("true")
    expect(v1beta6ToV1beta5(hub)).toEqual(spoke)
  })

  it("keeps a collector image the user set after the default was filled in", () => {
    const hub = v1beta5ToV1beta6(baseV5({ telemetryIngest: {} }))
    const edited = structuredClone(hub) as { spec: { templates: { otelCollector: { imageRef: JsonObject } } } }
    edited.spec.templates.otelCollector.imageRef = { repository: "mine", tag: "1.0" }
    const spoke = v1beta6ToV1beta5(edited as unknown as V6.DynaKube)
    expect(spoke.spec?.templates?.otelCollector?.imageRef).toEqual({ repository: "mine", tag: "1.0" })
  })

  it("stashes v1beta6-only fields in an annotation on the v1beta5 object and restores them", () => {
    const hub = baseV6(
      {
        resourceAttributes: { team: "a" },
        publicRegistryOverride: "registry.example.com",
        activeGate: {
          capabilities: ["routing"],
          volumes: [{ name: "v", configMap: { name: "cm" } }],
          rollingUpdate: { maxUnavailable: "25%" }
        },
        oneAgent: { hostMonitoring: { imagePullPolicy: "Always", additionalResourceAttributes: { a: "b" } } }
      },
      { status: { phase: "Running", apiToken: { platform: true } } }
    )
    const spoke = v1beta6ToV1beta5(hub)
    expect(spoke.spec).toEqual({
      apiUrl: "https://abc123.live.dynatrace.com/api",
      activeGate: { capabilities: ["routing"] },
      oneAgent: { hostMonitoring: {} }
    })
    expect(spoke.status).toEqual({ phase: "Running" })
    expect(Object.keys(spoke.metadata!.annotations!)).toEqual([fieldsAnnotation(V6.version)])
    expect(v1beta5ToV1beta6(spoke)).toEqual(hub)
  })

  it("does not bring back settings of a OneAgent mode the user replaced in v1beta5", () => {
    const hub = baseV6({ oneAgent: { classicFullStack: { rollingUpdate: { maxUnavailable: 2 } } } })
    const spoke = v1beta6ToV1beta5(hub) as JsonObject
    ;(spoke["spec"] as JsonObject)["oneAgent"] = { hostMonitoring: {} }
    const back = v1beta5ToV1beta6(spoke as V5.DynaKube)
    expect(back.spec.oneAgent).toEqual({ hostMonitoring: {} })
    expect(back.metadata?.annotations).toBeUndefined()
  })

  it("stashes v1beta5-only status fields on the way up and restores them on the way down", () => {
    const spoke = baseV5(
      {},
      {
        status: {
          dynatraceApi: { lastTokenScopeRequest: "2026-01-02T03:04:05Z" },
          oneAgent: {
            connectionInfoStatus: {
              tenantUUID: "abc",
              communicationHosts: [{ protocol: "https", host: "h", port: 443 }]
            }
          }
        }
      }
    )
    const hub = v1beta5ToV1beta6(spoke)
    expect(hub.status).toEqual({ oneAgent: { connectionInfoStatus: { tenantUUID: "abc" } } })
    expect(hub.metadata?.annotations?.[fieldsAnnotation(V5.version)]).toBeDefined()
    expect(v1beta6ToV1beta5(hub)).toEqual(spoke)
  })

  it("carries unknown fields inside free-form objects across, both ways", () => {
    const hub = baseV6(
      {
        activeGate: {
          capabilities: ["kubernetes-monitoring"],
          env: [{ name: "X", valueFrom: { secretKeyRef: { name: "s", key: "k" }, futureSource: { a: [1, 2] } } }],
          volumeClaimTemplate: { accessModes: ["ReadWriteOnce"], futureField: true }
        },
        extensions: {
          prometheus: {},
          databases: [{ id: "db", volumes: [{ name: "drivers", image: { reference: "x" }, futureVolume: {} }] }]
        },
        templates: { otelCollector: { imageRef: { repository: "r", tag: "t" } } }
      },
      { status: { oneAgent: { healthcheck: { Test: ["CMD", "x"], Interval: 30, Unknown: "kept" } } } }
    )
    const spoke = v1beta6ToV1beta5(hub)
    expect(spoke.spec?.activeGate?.env?.[0]?.valueFrom).toEqual({
      secretKeyRef: { name: "s", key: "k" },
      futureSource: { a: [1, 2] }
    })
    expect(spoke.status?.oneAgent?.healthcheck).toEqual({ Test: ["CMD", "x"], Interval: 30, Unknown: "kept" })
    expect(v1beta5ToV1beta6(spoke)).toEqual(hub)
  })
})

const baseV1 = (spec: JsonObject): EC1.EdgeConnect =>
  ({
    apiVersion: EC1.apiVersion,
    kind: "EdgeConnect",
    metadata: { name: "ec", namespace: "dynatrace" },
    spec: { apiServer: "abc.apps.dynatrace.com", oauth: { clientSecret: "s", endpoint: "e", resource: "r" }, ...spec }
  }) as EC1.EdgeConnect

describe("EdgeConnect v1alpha1 <-> v1alpha2 rules", () => {
  it("splits hostRestrictions into a list and joins it back", () => {
    const spoke = baseV1({ hostRestrictions: "internal.example.org,*.dev.example.org" })
    const hub = v1alpha1ToV1alpha2(spoke)
    expect(hub.spec.hostRestrictions).toEqual(["internal.example.org", "*.dev.example.org"])
    expect(hub.metadata?.annotations).toBeUndefined()
    expect(v1alpha2ToV1alpha1(hub)).toEqual(spoke)
  })

  it("keeps list entries the string cannot express, and digest and pull policy, in the stash", () => {
    const hub = {
      ...baseV1({}),
      apiVersion: EC2.apiVersion,
      spec: {
        ...baseV1({}).spec!,
        hostRestrictions: ["a,b", "c"],
        imageRef: { repository: "r", tag: "t", digest: "sha256:abc", pullPolicy: "Always" }
      }
    } as EC2.EdgeConnect
    const spoke = v1alpha2ToV1alpha1(hub)
    expect(spoke.spec?.hostRestrictions).toBe("a,b,c")
    expect(spoke.spec?.imageRef).toEqual({ repository: "r", tag: "t" })
    expect(v1alpha1ToV1alpha2(spoke)).toEqual(hub)
  })

  it("uses the edited string when the user changed hostRestrictions in v1alpha1", () => {
    const hub = { ...baseV1({}), apiVersion: EC2.apiVersion, spec: { ...baseV1({}).spec!, hostRestrictions: ["a,b"] } }
    const spoke = v1alpha2ToV1alpha1(hub as EC2.EdgeConnect) as JsonObject
    ;(spoke["spec"] as JsonObject)["hostRestrictions"] = "x,y"
    expect(v1alpha1ToV1alpha2(spoke as EC1.EdgeConnect).spec.hostRestrictions).toEqual(["x", "y"])
  })
})

const failure = (object: unknown, apiVersion: string): ConversionError => {
  const result = convert(object, apiVersion)
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}

describe("convert", () => {
  it("refuses input that is not a resource", () => {
    expect(failure("text", V6.apiVersion).reason).toBe("NotAnObject")
    expect(failure({ kind: "DynaKube" }, V6.apiVersion).reason).toBe("NotAnObject")
  })

  it("refuses kinds and versions it does not serve, naming the served ones", () => {
    expect(failure({ apiVersion: "v1", kind: "Pod" }, "v1").reason).toBe("UnknownKind")
    const old = failure({ apiVersion: "dynatrace.com/v1beta4", kind: "DynaKube" }, V6.apiVersion)
    expect(old.reason).toBe("UnknownVersion")
    expect(old.message).toContain("dynatrace.com/v1beta6, dynatrace.com/v1beta5")
    expect(failure(baseV6({}), "dynatrace.com/v1alpha2").reason).toBe("UnknownVersion")
  })

  it("returns a copy for the version the object already has", () => {
    const hub = baseV6({ apiUrl: "https://x.live.dynatrace.com/api" })
    const same = to(hub, V6.apiVersion)
    expect(same).toEqual(hub)
    expect(same).not.toBe(hub)
  })
})
