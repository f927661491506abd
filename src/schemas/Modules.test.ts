import { describe, expect, it } from "@effect/vitest"
import * as Modules from "./Modules.ts"

const allOff = Object.fromEntries(Object.keys(Modules.all).map((k) => [k, false]))

describe("modules.json", () => {
  it.each([undefined, "", "not json", "[]", '"x"', '{"csiDriver":"yes"}'])("%j means every module", (text) => {
    expect(Modules.parse(text)).toEqual(Modules.all)
  })

  it("a valid object sets what it names; missing keys are off", () => {
    expect(Modules.parse('{"csiDriver":true,"oneAgent":true}')).toEqual({ ...allOff, csiDriver: true, oneAgent: true })
  })

  it("keys match case-insensitively and unknown keys are ignored", () => {
    expect(Modules.parse('{"ACTIVEGATE":true,"other":1,"kspm":null}')).toEqual({ ...allOff, activeGate: true })
  })

  it("JSON null leaves every module off, as unmarshalling null into the zero struct does", () => {
    expect(Modules.parse("null")).toEqual(allOff)
  })

  it("the Helm chart's full object", () => {
    const text = JSON.stringify({ ...Modules.all, edgeConnect: false })
    expect(Modules.parse(text)).toEqual({ ...Modules.all, edgeConnect: false })
  })
})
