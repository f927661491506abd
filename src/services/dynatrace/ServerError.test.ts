import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import { classify, parseRetryAfter, scopesInMessage } from "./ServerError.ts"

const now = Date.UTC(2026, 10, 24, 12, 0, 0)
const answer = (status: number, body: unknown, retryAfter?: string) => ({
  status,
  body: typeof body === "string" ? body : JSON.stringify(body),
  retryAfter,
  nowMillis: now
})

describe("classify", () => {
  it("maps statuses to reasons and keeps the tenant's message", () => {
    const unauthorized = classify(answer(401, { error: { code: 401, message: "Token Authentication failed" } }))
    assert.strictEqual(unauthorized._tag, "Unauthorized")
    assert.strictEqual(unauthorized.message, "Token Authentication failed")
    assert.strictEqual(classify(answer(404, "")).message, "HTTP 404")
    assert.strictEqual(classify(answer(404, ""))._tag, "NotFound")
    const unavailable = classify(answer(503, "<html>gateway</html>"))
    assert.deepStrictEqual(
      [unavailable._tag, unavailable._tag === "Unavailable" && unavailable.status],
      ["Unavailable", 503]
    )
    const other = classify(answer(409, { error: { code: 409, message: "conflict" } }))
    assert.deepStrictEqual([other._tag, other._tag === "UnexpectedStatus" && other.status], ["UnexpectedStatus", 409])
  })

  it("lets the body's code win over the HTTP status", () => {
    assert.strictEqual(classify(answer(400, { error: { code: 404, message: "no such schema" } }))._tag, "NotFound")
    // A code that is not an HTTP error code is ignored.
    assert.strictEqual(classify(answer(403, { error: { code: 7, message: "x" } }))._tag, "MissingScopes")
  })

  it("reads list bodies and constraint violations", () => {
    const reason = classify(
      answer(400, [
        {
          code: 400,
          error: {
            code: 400,
            message: "Constraints violated.",
            constraintViolations: [{ path: "value.label", message: "must not be empty" }]
          }
        }
      ])
    )
    assert.strictEqual(reason.message, "Constraints violated.; value.label: must not be empty")
  })

  it("lists missing scopes from a 403", () => {
    const reason = classify(
      answer(403, {
        error: { code: 403, message: "Token is missing required scope. Use one of: DataExport, settings.read" }
      })
    )
    assert.strictEqual(reason._tag, "MissingScopes")
    if (reason._tag === "MissingScopes") assert.deepStrictEqual(reason.scopes, ["DataExport", "settings.read"])
  })

  it("reads Retry-After in seconds and as an HTTP date", () => {
    const seconds = classify(answer(429, "", "120"))
    assert.isTrue(seconds._tag === "RateLimited" && Duration.toMillis(seconds.retryAfter ?? Duration.zero) === 120_000)
    const date = classify(answer(429, "", new Date(now + 30_000).toUTCString()))
    assert.isTrue(date._tag === "RateLimited" && Duration.toMillis(date.retryAfter ?? Duration.zero) === 30_000)
    const none = classify(answer(429, "", "soon"))
    assert.isTrue(none._tag === "RateLimited" && none.retryAfter === undefined)
    assert.strictEqual(parseRetryAfter(new Date(now - 5000).toUTCString(), now)?.pipe(Duration.toMillis), 0)
  })
})

describe("scopesInMessage", () => {
  it("understands the tenant's phrasings and drops descriptions", () => {
    assert.deepStrictEqual(scopesInMessage("Token is missing required scope. Use one of: InstallerDownload"), [
      "InstallerDownload"
    ])
    assert.deepStrictEqual(
      scopesInMessage(
        "Token is missing required scope. Use one of: DataExport (Access problem and event feed, metrics, and topology)"
      ),
      ["DataExport"]
    )
    assert.deepStrictEqual(scopesInMessage("missing scopes: settings.read, settings.write."), [
      "settings.read",
      "settings.write"
    ])
    assert.deepStrictEqual(scopesInMessage("Forbidden"), [])
  })
})
