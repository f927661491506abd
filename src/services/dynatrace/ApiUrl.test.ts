import { assert, describe, it } from "@effect/vitest"
import { endpointUrl, isApiUrl, parseApiUrl } from "./ApiUrl.ts"

const base = (input: string) => {
  const parsed = parseApiUrl(input)
  if (!isApiUrl(parsed)) throw new Error(parsed.problem)
  return parsed
}

describe("parseApiUrl", () => {
  it("keeps 2nd-gen and Managed URLs, dropping a trailing slash", () => {
    assert.deepStrictEqual(base("https://abc12345.live.dynatrace.com/api"), {
      base: "https://abc12345.live.dynatrace.com/api",
      rawHost: "abc12345.live.dynatrace.com",
      thirdGeneration: false
    })
    assert.strictEqual(base("https://abc12345.live.dynatrace.com/api/").base, "https://abc12345.live.dynatrace.com/api")
    assert.strictEqual(
      base("https://managed.example.com/e/abc-123/api").base,
      "https://managed.example.com/e/abc-123/api"
    )
    assert.strictEqual(base("http://127.0.0.1:8080/api").base, "http://127.0.0.1:8080/api")
  })

  it("maps 3rd-gen hosts to 2nd gen and forces the /api path; the raw host stays the registry host", () => {
    assert.deepStrictEqual(base("https://abc12345.apps.dynatrace.com"), {
      base: "https://abc12345.live.dynatrace.com/api",
      rawHost: "abc12345.apps.dynatrace.com",
      thirdGeneration: true
    })
    assert.strictEqual(
      base("https://abc12345.apps.dynatrace.com/ui/apps/x?y=1").base,
      "https://abc12345.live.dynatrace.com/api"
    )
    // A prefix that already contains a dot loses ".apps" instead of gaining ".live".
    assert.strictEqual(base("https://abc.dev.apps.dynatracelabs.com/api").base, "https://abc.dev.dynatracelabs.com/api")
    assert.strictEqual(
      base("https://abc.sprint.apps.dynatracelabs.com:8443").base,
      "https://abc.sprint.dynatracelabs.com:8443/api"
    )
  })

  it("refuses what is not an absolute http(s) URL, without throwing", () => {
    for (const bad of ["", "abc.live.dynatrace.com/api", "ftp://host/api", "https://user:pw@host/api"]) {
      assert.isFalse(isApiUrl(parseApiUrl(bad)), bad)
    }
    const problem = parseApiUrl("https://user:secret@host/api")
    assert.isFalse(isApiUrl(problem))
    assert.notInclude(JSON.stringify(problem), "secret")
  })
})

describe("endpointUrl", () => {
  it("appends the path and query, repeating array parameters and skipping undefined ones", () => {
    assert.strictEqual(
      endpointUrl("https://h/api", "/v1/x", { a: "1", b: undefined, include: ["java", "nodejs"], flag: true }),
      "https://h/api/v1/x?a=1&include=java&include=nodejs&flag=true"
    )
    assert.strictEqual(endpointUrl("https://h/api", "v2/y"), "https://h/api/v2/y")
    assert.strictEqual(
      endpointUrl("https://h/api", "/v2/settings/objects", { filter: "value.clusterId='a b'" }),
      "https://h/api/v2/settings/objects?filter=value.clusterId%3D%27a+b%27"
    )
  })
})
