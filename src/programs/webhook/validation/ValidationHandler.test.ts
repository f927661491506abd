/**
 * The validation handler end to end (without HTTP): golden AdmissionReview fixtures in testdata/ (`<case>.json` holds
 * the endpoint, the cluster state and the review; `<case>.response.json` the expected answer — regenerate with
 * `UPDATE_GOLDEN=1`), deadline and defect handling, metrics, and a fast-check property that no input makes the
 * handler fail or throw.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Metric } from "effect"
import { TestClock } from "effect/testing"
import * as fc from "fast-check"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ValidationCluster } from "./ValidationCluster.ts"
import { ValidationConfig } from "./ValidationConfig.ts"
import { dynakube, edgeconnect, spec } from "./ValidationFixtures.ts"
import { endpoints, handleValidation, type Endpoint } from "./ValidationHandler.ts"
import * as ValidationMetrics from "./ValidationMetrics.ts"

const testdata = join(import.meta.dirname, "testdata")
const update = process.env["UPDATE_GOLDEN"] === "1"

const endpointOf = (path: string): Endpoint => {
  const found = endpoints.find((e) => e.path === path)
  if (found === undefined) throw new Error(`unknown endpoint ${path}`)
  return found
}

const dkEndpoint = endpointOf("/validate-dynatrace-com-v1beta6-dynakube")

const review = (object: unknown, operation = "CREATE", extra: Record<string, unknown> = {}) => ({
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: "uid-1",
    kind: { group: "dynatrace.com", version: "v1beta6", kind: "DynaKube" },
    namespace: "dynatrace",
    operation,
    object,
    ...extra
  }
})

const defaults = Layer.mergeAll(ValidationCluster.layerStatic({}), ValidationConfig.layerWith({}))

describe("golden AdmissionReviews", () => {
  const cases = readdirSync(testdata)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".response.json"))
    .map((f) => f.replace(/\.json$/, ""))
    .toSorted()

  it("there are fixtures", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10)
  })

  for (const name of cases) {
    it.effect(name, () =>
      Effect.gen(function* () {
        const fixture = JSON.parse(readFileSync(join(testdata, `${name}.json`), "utf8"))
        const answer = yield* handleValidation(endpointOf(fixture.endpoint), fixture.review).pipe(
          Effect.provide(
            Layer.mergeAll(
              ValidationCluster.layerStatic(fixture.cluster ?? {}),
              ValidationConfig.layerWith(fixture.modules === undefined ? {} : { modules: fixture.modules })
            )
          )
        )
        const file = join(testdata, `${name}.response.json`)
        const actual = `${JSON.stringify(answer, null, 2)}\n`
        if (update || !existsSync(file)) {
          if (!update) throw new Error(`${file} is missing; run with UPDATE_GOLDEN=1 and review it`)
          writeFileSync(file, actual)
        }
        expect(actual).toBe(readFileSync(file, "utf8"))
      })
    )
  }
})

describe("handleValidation", () => {
  it.effect("an allowed object answers allowed with the request's uid and no status", () =>
    Effect.gen(function* () {
      const answer = yield* handleValidation(dkEndpoint, review(dynakube()))
      expect(answer).toEqual({
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: { uid: "uid-1", allowed: true }
      })
    }).pipe(Effect.provide(defaults))
  )

  it.effect("errors deny with 403 and the numbered summary; warnings come along", () =>
    Effect.gen(function* () {
      const answer = yield* handleValidation(
        dkEndpoint,
        review(dynakube(spec({ apiUrl: "", activeGate: { capabilities: ["routing"] } })))
      )
      expect(answer.response.allowed).toBe(false)
      expect(answer.response.status?.code).toBe(403)
      expect(answer.response.status?.message).toMatch(
        /^\n2 error\(s\) found in the DynaKube\n 1\. The DynaKube has no API URL.*\n 2\. The DynaKube's API URL is not valid/s
      )
      expect(answer.response.warnings).toEqual(["The ActiveGate has no memory limit, so it may use excessive memory."])
    }).pipe(Effect.provide(defaults))
  )

  it.effect("modules from the config gate features", () =>
    Effect.gen(function* () {
      const answer = yield* handleValidation(
        dkEndpoint,
        review(dynakube(spec({ logMonitoring: {}, oneAgent: { cloudNativeFullStack: {} } })))
      )
      expect(answer.response.status?.message).toContain("LogMonitoring was disabled when the operator was installed")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          ValidationCluster.layerStatic({}),
          ValidationConfig.layerWith({
            modules: {
              csiDriver: true,
              activeGate: true,
              oneAgent: true,
              extensions: true,
              logMonitoring: false,
              edgeConnect: true,
              supportability: true,
              kubernetesMonitoring: true,
              kspm: true
            }
          })
        )
      )
    )
  )

  it.effect("generateName creates take the namespace from the request", () =>
    Effect.gen(function* () {
      const object = dynakube(spec({ proxy: { valueFrom: "proxy" } }))
      delete object["metadata"]["namespace"]
      delete object["metadata"]["name"]
      object["metadata"]["generateName"] = "dk-"
      const answer = yield* handleValidation(dkEndpoint, review(object))
      expect(answer.response.allowed).toBe(true)
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          ValidationCluster.layerStatic({ secrets: { "dynatrace/proxy": { proxy: "http://proxy:3128" } } }),
          ValidationConfig.layerWith({})
        )
      )
    )
  )

  it.effect("an object that does not fit the schema is denied with 400 and the reason", () =>
    Effect.gen(function* () {
      const answer = yield* handleValidation(dkEndpoint, review(dynakube(spec({ apiUrl: 42 }))))
      expect(answer.response.allowed).toBe(false)
      expect(answer.response.status?.code).toBe(400)
      expect(answer.response.status?.message).toMatch(/^The DynaKube does not match its schema: .*apiUrl/s)
    }).pipe(Effect.provide(defaults))
  )

  it.effect("an object of an unserved version is denied with 400", () =>
    Effect.gen(function* () {
      const answer = yield* handleValidation(dkEndpoint, review({ ...dynakube(), apiVersion: "dynatrace.com/v1beta1" }))
      expect(answer.response.status).toMatchObject({
        code: 400,
        message: expect.stringContaining("is not a served version")
      })
    }).pipe(Effect.provide(defaults))
  )

  it.effect("EdgeConnect endpoints validate EdgeConnects", () =>
    Effect.gen(function* () {
      const ecEndpoint = endpointOf("/validate-dynatrace-com-v1alpha2-edgeconnect")
      const ok = yield* handleValidation(ecEndpoint, review(edgeconnect()))
      expect(ok.response.allowed).toBe(true)
      const bad = yield* handleValidation(ecEndpoint, review(edgeconnect(spec({ apiServer: "example.com" }))))
      expect(bad.response.status?.message).toMatch(
        /^\n1 error\(s\) found in the EdgeConnect\n 1\. The EdgeConnect's apiServer is not valid/
      )
    }).pipe(Effect.provide(defaults))
  )

  it.effect("a review that takes longer than the deadline is denied with 500", () =>
    Effect.gen(function* () {
      const hanging = Layer.succeed(
        ValidationCluster,
        ValidationCluster.of({
          listDynaKubes: () => Effect.never,
          listNamespaces: Effect.never,
          secretData: () => Effect.never,
          istioInstalled: Effect.never,
          kubernetesMinorVersion: Effect.never
        })
      )
      const fiber = yield* handleValidation(dkEndpoint, review(dynakube())).pipe(
        Effect.provide(Layer.mergeAll(hanging, ValidationConfig.layerWith({ deadline: "8 seconds" }))),
        Effect.forkChild
      )
      yield* TestClock.adjust("7 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("2 seconds")
      const answer = yield* Fiber.join(fiber)
      expect(answer.response).toMatchObject({ uid: "uid-1", allowed: false, status: { code: 500, reason: "Timeout" } })
    })
  )

  it.effect("a defect in a rule's cluster read is an internal-error denial, not a crash", () =>
    Effect.gen(function* () {
      const broken = Layer.succeed(
        ValidationCluster,
        ValidationCluster.of({
          listDynaKubes: () => Effect.die(new Error("boom")),
          listNamespaces: Effect.succeed([]),
          secretData: () => Effect.die(new Error("boom")),
          istioInstalled: Effect.succeed(true),
          kubernetesMinorVersion: Effect.succeed(35)
        })
      )
      const answer = yield* handleValidation(dkEndpoint, review(dynakube())).pipe(
        Effect.provide(Layer.mergeAll(broken, ValidationConfig.layerWith({})))
      )
      expect(answer.response).toMatchObject({ allowed: false, status: { code: 500, reason: "InternalError" } })
    })
  )

  it.effect("denials and warnings are counted by rule", () =>
    Effect.gen(function* () {
      const denied = Metric.withAttributes(ValidationMetrics.denials, {
        kind: "DynaKube",
        rule: "multipleOneAgentModes"
      })
      const warned = Metric.withAttributes(ValidationMetrics.warnings, {
        kind: "DynaKube",
        rule: "activeGateMissingMemoryLimit"
      })
      const reviews = Metric.withAttributes(ValidationMetrics.reviews, { kind: "DynaKube", result: "denied" })
      const before = [
        (yield* Metric.value(denied)).count,
        (yield* Metric.value(warned)).count,
        (yield* Metric.value(reviews)).count
      ]
      yield* handleValidation(
        dkEndpoint,
        review(
          dynakube(
            spec({ oneAgent: { hostMonitoring: {}, classicFullStack: {} }, activeGate: { capabilities: ["routing"] } })
          )
        )
      )
      const after = [
        (yield* Metric.value(denied)).count,
        (yield* Metric.value(warned)).count,
        (yield* Metric.value(reviews)).count
      ]
      expect(after.map((n, i) => Number(n) - Number(before[i]))).toEqual([1, 1, 1])
    }).pipe(Effect.provide(defaults))
  )
})

describe("handleValidation never fails, whatever it is given", () => {
  const run = (endpoint: Endpoint, body: unknown) =>
    Effect.runPromiseExit(handleValidation(endpoint, body).pipe(Effect.provide(defaults)))

  const valid = dynakube(spec({ oneAgent: { cloudNativeFullStack: {} } }))

  const checkAnswer = async (endpoint: Endpoint, body: unknown) => {
    const exit = await run(endpoint, body)
    if (!Exit.isSuccess(exit)) throw new Error(`handler failed: ${String(exit.cause)}`)
    const response = exit.value.response
    if (typeof response.uid !== "string" || typeof response.allowed !== "boolean") throw new Error("malformed answer")
    JSON.stringify(exit.value)
  }

  it("arbitrary JSON bodies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), fc.jsonValue(), (endpoint, body) => checkAnswer(endpoint, body)),
      { numRuns: 300 }
    )
  })

  it("reviews carrying arbitrary objects and arbitrary spec fields", async () => {
    const object = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(fc.string(), fc.jsonValue()).map((extra) => ({ ...valid, spec: { ...valid["spec"], ...extra } })),
      fc
        .record({
          field: fc.constantFrom(
            "oneAgent",
            "activeGate",
            "templates",
            "extensions",
            "kspm",
            "telemetryIngest",
            "proxy",
            "metadata"
          ),
          value: fc.jsonValue()
        })
        .map(({ field, value }) =>
          field === "metadata"
            ? { ...valid, metadata: value }
            : { ...valid, spec: { ...valid["spec"], [field]: value } }
        )
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...endpoints),
        object,
        fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT", "BOGUS"),
        fc.option(object, { nil: undefined }),
        (endpoint, obj, operation, oldObject) =>
          checkAnswer(endpoint, review(obj, operation, oldObject === undefined ? {} : { oldObject }))
      ),
      { numRuns: 300 }
    )
  })
})
