import { NodeFileSystem } from "@effect/platform-node"
import { afterEach, describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as InputDirectory from "./InputDirectory.ts"

const dirs: Array<string> = []
const inputDir = (files: Record<string, string | Buffer>) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "input-"))
  dirs.push(dir)
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

describe("InputDirectory.read", () => {
  it.effect("reads every file of the projected secrets", () =>
    Effect.gen(function* () {
      const dir = inputDir({
        "dtclient.config": JSON.stringify({
          apiToken: "dt0c01.SECRET",
          proxy: "http://proxy:3128",
          noProxy: "",
          networkZone: "eu",
          hostGroup: "",
          skipCertCheck: true
        }),
        "ruxitagentproc.json": JSON.stringify({
          properties: [{ section: "general", key: "tenant", value: "t" }],
          revision: 7
        }),
        "initial-connect-retry": "6000\n",
        "declarative.cbor": Buffer.from([0xa0]),
        "endpoint.properties": "DT_METRICS_INGEST_URL=u\n",
        "trusted.pem": "T",
        "activegate.pem": "A"
      })
      const files = yield* InputDirectory.read(dir)
      const client = Option.getOrThrow(files.clientConfig)
      expect(Redacted.value(client.apiToken)).toBe("dt0c01.SECRET")
      expect(String(client.apiToken)).not.toContain("SECRET")
      expect(client).toMatchObject({
        proxy: "http://proxy:3128",
        noProxy: undefined,
        networkZone: "eu",
        hostGroup: undefined,
        skipCertCheck: true
      })
      expect(files.processModuleConfig).toEqual(
        Option.some({ properties: [{ section: "general", key: "tenant", value: "t" }], revision: 7 })
      )
      expect(files.initialConnectRetryMs).toEqual(Option.some(6000))
      expect([...Option.getOrThrow(files.declarativeCbor)]).toEqual([0xa0])
      expect(Buffer.from(Option.getOrThrow(files.endpointProperties)).toString()).toBe("DT_METRICS_INGEST_URL=u\n")
      expect(files.trustedPem).toEqual(Option.some("T"))
      expect(files.activeGatePem).toEqual(Option.some("A"))
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("treats missing files and a missing directory as absent", () =>
    Effect.gen(function* () {
      expect(yield* InputDirectory.read(inputDir({}))).toEqual(InputDirectory.empty)
      expect(yield* InputDirectory.read("/nonexistent/input")).toEqual(InputDirectory.empty)
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("a malformed dtclient.config is a clear error that does not repeat the token", () =>
    Effect.gen(function* () {
      const dir = inputDir({ "dtclient.config": '{"apiToken": 42, "proxy": "dt0c01.LEAKED"' })
      const error = yield* InputDirectory.read(dir).pipe(Effect.flip)
      expect(error).toMatchObject({ _tag: "InvalidBootstrapInput", reason: "InvalidInputFile" })
      expect(error.message).toBe(`${path.join(dir, "dtclient.config")} is not a JSON object with a string apiToken.`)
      expect(error.message).not.toContain("LEAKED")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )

  it.effect("refuses a malformed ruxitagentproc.json and initial-connect-retry", () =>
    Effect.gen(function* () {
      expect(
        (yield* InputDirectory.read(inputDir({ "ruxitagentproc.json": '{"properties": "x"}' })).pipe(Effect.flip))
          .reason
      ).toBe("InvalidInputFile")
      expect(
        (yield* InputDirectory.read(inputDir({ "initial-connect-retry": "soon" })).pipe(Effect.flip)).message
      ).toContain("initial-connect-retry is not a number of milliseconds")
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})
