import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as AdmissionReview from "./AdmissionReview.ts"

const awkward = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom(`"patch":""`, `\\"patch\\":\\"\\"`, `","patch":"`, "\u2028\ud800", "")
)

describe("AdmissionReview.encodeReview", () => {
  it("is byte for byte JSON.stringify, for patched answers with any uid, message and operations", () => {
    fc.assert(
      fc.property(
        awkward,
        fc.option(awkward, { nil: undefined }),
        fc.array(fc.record({ op: fc.constant("add"), path: awkward, value: fc.jsonValue() }), { maxLength: 4 }),
        (uid, message, operations) => {
          const review = AdmissionReview.review(AdmissionReview.patched(uid, operations, message))
          expect(AdmissionReview.encodeReview(review)).toBe(JSON.stringify(review))
        }
      ),
      { numRuns: 500 }
    )
  })

  it("stringifies answers whose patch it did not encode itself", () => {
    const foreign = AdmissionReview.review({ uid: "u", allowed: true, patchType: "JSONPatch", patch: `a"b\n` })
    expect(AdmissionReview.encodeReview(foreign)).toBe(JSON.stringify(foreign))
    const copied = AdmissionReview.review({ ...AdmissionReview.patched("u", [{ op: "remove", path: "/a" }]) })
    expect(AdmissionReview.encodeReview(copied)).toBe(JSON.stringify(copied))
    const denied = AdmissionReview.review(AdmissionReview.deny("u", 403, `"patch":""`))
    expect(AdmissionReview.encodeReview(denied)).toBe(JSON.stringify(denied))
  })

  it("puts the patch in unescaped, where JSON.parse finds it", () => {
    const review = AdmissionReview.review(
      AdmissionReview.patched(`"patch":""`, [{ op: "add", path: "/x", value: "ü" }], `"patch":""`)
    )
    const parsed = JSON.parse(AdmissionReview.encodeReview(review)) as AdmissionReview.AdmissionReviewResponse
    expect(parsed).toEqual(review)
    expect(AdmissionReview.patchOf(parsed.response)).toEqual([{ op: "add", path: "/x", value: "ü" }])
  })
})
