import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as KubeApiError from "./KubeApiError.ts"

const info = { verb: "get", resource: "configmaps", namespace: "ns", name: "cm" }

const status = (code: number, reason: string, message: string, details?: unknown) =>
  JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message, details })

const retryAfter = (e: KubeApiError.KubeApiError) =>
  e.reason._tag === "TooManyRequests" || e.reason._tag === "ServerError" ? e.reason.retryAfter : undefined

const catchNotFound = <A>(e: Effect.Effect<A, KubeApiError.KubeApiError>) =>
  e.pipe(Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed("absent" as const)))

describe("KubeApiError.fromResponse", () => {
  const cases: ReadonlyArray<readonly [number, string, string]> = [
    [401, "Unauthorized", "Unauthorized"],
    [403, "Forbidden", "Forbidden"],
    [404, "NotFound", "NotFound"],
    [409, "AlreadyExists", "AlreadyExists"],
    [409, "Conflict", "Conflict"],
    [410, "Expired", "Gone"],
    [422, "Invalid", "Invalid"],
    [400, "BadRequest", "Invalid"],
    [415, "UnsupportedMediaType", "Invalid"],
    [429, "TooManyRequests", "TooManyRequests"],
    [500, "InternalError", "ServerError"],
    [503, "ServiceUnavailable", "ServerError"],
    [504, "Timeout", "ServerError"]
  ]
  for (const [code, apiReason, expected] of cases) {
    it(`${code} ${apiReason} -> ${expected}`, () => {
      const error = KubeApiError.fromResponse(info, code, status(code, apiReason, `the message for ${code}`))
      assert.strictEqual(error.reason._tag, expected)
      assert.strictEqual(error.reason.message, `the message for ${code}`)
      assert.strictEqual(error.status, code)
    })
  }

  it("carries the Status message and names the object in the error message", () => {
    const error = KubeApiError.fromResponse(info, 404, status(404, "NotFound", 'configmaps "cm" not found'))
    assert.strictEqual(error.message, 'get configmaps ns/cm: NotFound: configmaps "cm" not found')
    assert.strictEqual(error._tag, "KubeApiError")
  })

  it("keeps the field causes of Invalid", () => {
    const body = status(422, "Invalid", 'ConfigMap "x" is invalid', {
      causes: [
        { reason: "FieldValueInvalid", message: 'Invalid value: "A"', field: "metadata.name" },
        { reason: "FieldValueRequired", message: "Required value" }
      ]
    })
    const error = KubeApiError.fromResponse({ ...info, verb: "create" }, 422, body)
    assert.isTrue(KubeApiError.isInvalid(error))
    if (error.reason._tag !== "Invalid") return assert.fail("not Invalid")
    assert.deepStrictEqual(error.reason.causes, [
      { reason: "FieldValueInvalid", message: 'Invalid value: "A"', field: "metadata.name" },
      { reason: "FieldValueRequired", message: "Required value" }
    ])
  })

  it("takes retryAfter from the Retry-After header, else from details.retryAfterSeconds", () => {
    const fromHeader = KubeApiError.fromResponse(info, 429, status(429, "TooManyRequests", "slow down"), "7")
    const fromBody = KubeApiError.fromResponse(
      info,
      429,
      status(429, "TooManyRequests", "slow down", { retryAfterSeconds: 3 })
    )
    const none = KubeApiError.fromResponse(info, 429, status(429, "TooManyRequests", "slow down"))
    const unavailable = KubeApiError.fromResponse(info, 503, "", "2")
    assert.isTrue(Duration.equals(retryAfter(fromHeader)!, Duration.seconds(7)))
    assert.isTrue(Duration.equals(retryAfter(fromBody)!, Duration.seconds(3)))
    assert.isUndefined(retryAfter(none))
    assert.isTrue(Duration.equals(retryAfter(unavailable)!, Duration.seconds(2)))
  })

  it("describes a body that is not a Status by status code and its first line", () => {
    const error = KubeApiError.fromResponse(info, 404, "404 page not found\n")
    assert.strictEqual(error.reason._tag, "NotFound")
    assert.strictEqual(error.reason.message, "HTTP 404: 404 page not found")
    const empty = KubeApiError.fromResponse(info, 502, "")
    assert.strictEqual(empty.reason.message, "the server answered HTTP 502")
    if (empty.reason._tag !== "ServerError") return assert.fail("not ServerError")
    assert.strictEqual(empty.reason.status, 502)
  })
})

describe("KubeApiError.fromStatus (watch ERROR events)", () => {
  it("maps 410 Expired to Gone", () => {
    const error = KubeApiError.fromStatus(
      { verb: "watch", resource: "configmaps" },
      { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 5 (10)" }
    )
    assert.isTrue(KubeApiError.isGone(error))
    assert.strictEqual(error.message, "watch configmaps: Gone: too old resource version: 5 (10)")
  })

  it("treats a Status without code as a server error", () => {
    const error = KubeApiError.fromStatus({ verb: "watch", resource: "configmaps" }, { message: "boom" })
    assert.isTrue(KubeApiError.isServerError(error))
  })
})

describe("KubeApiError.fromTransport", () => {
  it("uses the innermost error's message and the system error code", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" })
    const wrapped = new Error("request failed", { cause: refused })
    const error = KubeApiError.fromTransport(info, wrapped, "API server https://127.0.0.1:6443")
    assert.isTrue(KubeApiError.isTransport(error))
    if (error.reason._tag !== "Transport") return assert.fail("not Transport")
    assert.strictEqual(error.reason.code, "ECONNREFUSED")
    assert.strictEqual(error.reason.message, "API server https://127.0.0.1:6443: connect ECONNREFUSED 127.0.0.1:6443")
    assert.isUndefined(error.status)
  })

  it("accepts a plain description", () => {
    const error = KubeApiError.fromTransport(info, "no answer within 1m", "API server x")
    assert.strictEqual(error.reason.message, "API server x: no answer within 1m")
  })
})

describe("matching on reasons", () => {
  it.effect("Effect.catchReason handles one reason and leaves the others", () =>
    Effect.gen(function* () {
      const notFound = Effect.fail(KubeApiError.fromResponse(info, 404, status(404, "NotFound", "gone")))
      const forbidden = Effect.fail(KubeApiError.fromResponse(info, 403, status(403, "Forbidden", "no")))
      assert.strictEqual(yield* catchNotFound(notFound), "absent")
      const other = yield* Effect.flip(catchNotFound(forbidden))
      assert.strictEqual(other.reason._tag, "Forbidden")
    })
  )

  it("the predicates match exactly one reason", () => {
    const error = KubeApiError.fromResponse(info, 409, status(409, "AlreadyExists", "exists"))
    assert.isTrue(KubeApiError.isAlreadyExists(error))
    assert.isFalse(KubeApiError.isConflict(error))
    assert.isFalse(KubeApiError.isNotFound(new Error("x")))
  })
})
