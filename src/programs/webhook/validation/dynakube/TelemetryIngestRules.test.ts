import { describe, expect, it } from "@effect/vitest"
import type { Validator } from "../Finding.ts"
import { context, dynakube, messagesOf, named, spec, type ContextOptions, type Json } from "../ValidationFixtures.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as T from "./TelemetryIngestRules.ts"

const ti = (settings: Json = {}) => spec({ telemetryIngest: settings })

type Case = [string, Validator<DynaKubeContext>, Json, ContextOptions, ReadonlyArray<string>]

describe("telemetry ingest rules", () => {
  it.each<Case>([
    ["empty list means all", T.noProtocols, dynakube(ti({ protocols: [] })), {}, []],
    ["known protocols", T.unknownProtocols, dynakube(ti({ protocols: ["otlp", "zipkin"] })), {}, []],
    [
      "unknown protocol",
      T.unknownProtocols,
      dynakube(ti({ protocols: ["otlp", "carrier-pigeon"] })),
      {},
      [T.messages.unknownProtocols(["carrier-pigeon"])]
    ],
    ["valid service name", T.invalidServiceName, dynakube(ti({ serviceName: "otel-in" })), {}, []],
    [
      "invalid service name",
      T.invalidServiceName,
      dynakube(ti({ serviceName: "Otel_In" })),
      {},
      [T.messages.invalidServiceName]
    ],
    [
      "service name too long",
      T.invalidServiceName,
      dynakube(ti({ serviceName: "a".repeat(64) })),
      {},
      [T.messages.invalidServiceName]
    ],
    [
      "forbidden suffix",
      T.forbiddenServiceNameSuffix,
      dynakube(ti({ serviceName: "x-activegate" })),
      {},
      [T.messages.forbiddenSuffix("x-activegate")]
    ],
    ["default name has the suffix, but is not custom", T.forbiddenServiceNameSuffix, dynakube(ti()), {}, []],
    [
      "name used by another DynaKube",
      T.serviceNameInUse,
      dynakube(ti({ serviceName: "shared" })),
      { cluster: { dynaKubes: [dynakube(named("b"), ti({ serviceName: "shared" }))] } },
      [T.messages.serviceNameInUse("b", "shared")]
    ],
    [
      "default names differ",
      T.serviceNameInUse,
      dynakube(ti()),
      { cluster: { dynaKubes: [dynakube(named("b"), ti())] } },
      []
    ],
    [
      "custom name equals another's default",
      T.serviceNameInUse,
      dynakube(ti({ serviceName: "b-telemetry-ingest" })),
      { cluster: { dynaKubes: [dynakube(named("b"), ti())] } },
      [T.messages.serviceNameInUse("b", "b-telemetry-ingest")]
    ]
  ])("%s", (_name, rule, object, options, expected) => {
    expect(messagesOf(rule, context(object, options))).toEqual(expected)
  })
})
