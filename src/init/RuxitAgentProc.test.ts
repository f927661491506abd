import { describe, expect, it } from "@effect/vitest"
import * as RuxitAgentProc from "./RuxitAgentProc.ts"

const source = `# process agent defaults
[general]
libraryPath "../lib64/liboneagentproc.so"
libraryPath32 ../lib/liboneagentproc.so
storage ../../log
serverAddress {https://default/communication}
emptyKey

[java]
  agentActive   true
`

describe("RuxitAgentProc", () => {
  it("parses sections, keys and values, skipping comments and blank lines", () => {
    const conf = RuxitAgentProc.parse(source)
    expect([...conf.keys()]).toEqual(["general", "java"])
    expect(Object.fromEntries(conf.get("general")!)).toEqual({
      libraryPath: '"../lib64/liboneagentproc.so"',
      libraryPath32: "../lib/liboneagentproc.so",
      storage: "../../log",
      serverAddress: "{https://default/communication}",
      emptyKey: ""
    })
    expect(Object.fromEntries(conf.get("java")!)).toEqual({ agentActive: "true" })
  })

  it("rewrites libraryPath values into the install path, keeping a leading quote", () => {
    expect(RuxitAgentProc.rewriteLibraryPath('"../lib64/liboneagentproc.so"', "/opt/dynatrace/oneagent-paas")).toBe(
      '"/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so"'
    )
    expect(RuxitAgentProc.rewriteLibraryPath("../../lib/x.so", "/opt/x")).toBe("/opt/x/agent/lib/x.so")
  })

  it("writes the exact file: input wins, library paths rewritten, storage forced, sorted", () => {
    const input = {
      properties: [
        { section: "general", key: "serverAddress", value: "{https://tenant.live.dynatrace.com/communication}" },
        { section: "general", key: "tenant", value: "abc12345" },
        { section: "general", key: "tenantToken", value: "tok" },
        { section: "aaa", key: "first", value: "1" }
      ],
      revision: 3
    }
    expect(RuxitAgentProc.make(source, input, "/opt/dynatrace/oneagent-paas")).toBe(
      [
        "[aaa]",
        "first 1",
        "",
        "[general]",
        'dataStorageDir "/var/lib/dynatrace/oneagent"',
        "emptyKey",
        'libraryPath "/opt/dynatrace/oneagent-paas/agent/lib64/liboneagentproc.so"',
        "libraryPath32 /opt/dynatrace/oneagent-paas/agent/lib/liboneagentproc.so",
        'logDir "/var/lib/dynatrace/oneagent/log"',
        "serverAddress {https://tenant.live.dynatrace.com/communication}",
        'storage "/var/lib/dynatrace/oneagent"',
        "tenant abc12345",
        "tenantToken tok",
        "",
        "[java]",
        "agentActive true",
        ""
      ].join("\n")
    )
  })

  it("strips control characters, so no value can start a new line", () => {
    const input = { properties: [{ section: "general", key: "hostGroup", value: "a\n[evil]\nx y\u0007" }] }
    const out = RuxitAgentProc.make("", input, "/opt/x")
    expect(out).toContain("hostGroup a[evil]x y\n")
    expect(out.split("\n").filter((l) => l.startsWith("["))).toEqual(["[general]"])
  })
})
