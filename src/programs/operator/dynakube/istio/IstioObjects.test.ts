/** The Istio object builders: names, labels, owner, ports, protocols, resolution, routes (spec §2.2.11). */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import * as CommunicationHost from "./CommunicationHost.ts"
import * as IstioObjects from "./IstioObjects.ts"

const ctx = (component: IstioObjects.IstioComponent): IstioObjects.BuildContext => ({
  owner: { apiVersion: "dynatrace.com/v1beta6", kind: "DynaKube", name: "dk", uid: "uid-1", namespace: "dynatrace" },
  component,
  operatorVersion: "1.2.3"
})
const hosts = (endpoints: string) => Result.getOrThrow(CommunicationHost.parseList(endpoints))

describe("IstioObjects", () => {
  const mixed = hosts(
    "https://abc.live.dynatrace.com/communication;https://10.0.0.1:9999/communication;http://plain.example:8080;" +
      "https://sg.example.com:443/communication;https://[2001:db8::7]/communication;https://10.0.0.2:9999"
  )

  it("the IP ServiceEntry: ignored.subdomain, /32 (IPv6 /128) addresses, one TCP port per distinct port, NONE", () => {
    const se = IstioObjects.buildIpServiceEntry(ctx("oneagent"), mixed)!
    assert.strictEqual(se.apiVersion, "networking.istio.io/v1")
    assert.strictEqual(se.kind, "ServiceEntry")
    assert.strictEqual(se.metadata?.name, "dk-ip-oneagent")
    assert.strictEqual(se.metadata?.namespace, "dynatrace")
    assert.deepStrictEqual(se.metadata?.labels, {
      "app.kubernetes.io/name": "dynatrace-operator",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/component": "oneagent",
      "app.kubernetes.io/version": "1.2.3"
    })
    assert.deepStrictEqual(se.metadata?.ownerReferences, [
      {
        apiVersion: "dynatrace.com/v1beta6",
        kind: "DynaKube",
        name: "dk",
        uid: "uid-1",
        controller: true,
        blockOwnerDeletion: true
      }
    ])
    assert.deepStrictEqual(se.spec, {
      hosts: ["ignored.subdomain"],
      addresses: ["10.0.0.1/32", "10.0.0.2/32", "2001:db8::7/128"],
      ports: [
        { name: "TCP-9999", number: 9999, protocol: "TCP" },
        { name: "TCP-443", number: 443, protocol: "TCP" }
      ],
      location: "MESH_EXTERNAL",
      resolution: "NONE"
    })
  })

  it("the FQDN ServiceEntry: host names, <protocol>-<port> ports (protocol upper-cased), DNS resolution", () => {
    const se = IstioObjects.buildFqdnServiceEntry(ctx("activegate"), mixed)!
    assert.strictEqual(se.metadata?.name, "dk-fqdn-activegate")
    assert.strictEqual(se.metadata?.labels?.["app.kubernetes.io/component"], "activegate")
    assert.deepStrictEqual(se.spec, {
      // Sorted by protocol://host:port, so the http host comes first.
      hosts: ["plain.example", "abc.live.dynatrace.com", "sg.example.com"],
      ports: [
        { name: "http-8080", number: 8080, protocol: "HTTP" },
        { name: "https-443", number: 443, protocol: "HTTPS" }
      ],
      location: "MESH_EXTERNAL",
      resolution: "DNS"
    })
  })

  it("the VirtualService: same name as the FQDN entry, TLS routes by SNI for https, HTTP routes by port for http", () => {
    const vs = IstioObjects.buildVirtualService(ctx("operator"), mixed)!
    assert.strictEqual(vs.kind, "VirtualService")
    assert.strictEqual(vs.metadata?.name, "dk-fqdn-operator")
    assert.deepStrictEqual(vs.spec, {
      hosts: ["plain.example", "abc.live.dynatrace.com", "sg.example.com"],
      http: [
        {
          match: [{ port: 8080 }],
          route: [{ destination: { host: "plain.example", port: { number: 8080 } } }]
        }
      ],
      tls: [
        {
          match: [{ sniHosts: ["abc.live.dynatrace.com"], port: 443 }],
          route: [{ destination: { host: "abc.live.dynatrace.com", port: { number: 443 } } }]
        },
        {
          match: [{ sniHosts: ["sg.example.com"], port: 443 }],
          route: [{ destination: { host: "sg.example.com", port: { number: 443 } } }]
        }
      ]
    })
    // Only https hosts: no http key at all.
    const onlyTls = IstioObjects.buildVirtualService(ctx("operator"), hosts("https://a.example/api"))!
    assert.deepStrictEqual(Object.keys(onlyTls.spec).toSorted(), ["hosts", "tls"])
  })

  it("nothing to build for the kind of host that is absent", () => {
    const onlyIps = hosts("https://10.0.0.1/communication")
    assert.isUndefined(IstioObjects.buildFqdnServiceEntry(ctx("oneagent"), onlyIps))
    assert.isUndefined(IstioObjects.buildVirtualService(ctx("oneagent"), onlyIps))
    const onlyNames = hosts("https://a.example/communication")
    assert.isUndefined(IstioObjects.buildIpServiceEntry(ctx("oneagent"), onlyNames))
    assert.deepStrictEqual(IstioObjects.buildAll(ctx("oneagent"), []), {
      ipServiceEntry: undefined,
      fqdnServiceEntry: undefined,
      virtualService: undefined
    })
  })

  it("property: every host lands in exactly one entry, ports are distinct, the objects do not depend on input order", () => {
    const endpoint = fc
      .tuple(
        fc.constantFrom("http", "https"),
        fc.oneof(fc.ipV4(), fc.constantFrom("a.example", "b.example.com", "c.example.org")),
        fc.constantFrom("", ":443", ":9999", ":8080")
      )
      .map(([p, h, n]) => `${p}://${h}${n}/communication`)
    fc.assert(
      fc.property(fc.array(endpoint, { maxLength: 10 }), (endpoints) => {
        const list = hosts(endpoints.join(";"))
        const built = IstioObjects.buildAll(ctx("oneagent"), list)
        const again = IstioObjects.buildAll(ctx("oneagent"), hosts(endpoints.toReversed().join(",")))
        assert.deepStrictEqual(again, built)
        const addresses = (built.ipServiceEntry?.spec["addresses"] as ReadonlyArray<string> | undefined) ?? []
        const names = (built.fqdnServiceEntry?.spec["hosts"] as ReadonlyArray<string> | undefined) ?? []
        assert.strictEqual(addresses.length + names.length, list.length)
        assert.isTrue(addresses.every((a) => a.endsWith("/32")))
        for (const se of [built.ipServiceEntry, built.fqdnServiceEntry]) {
          const numbers = ((se?.spec["ports"] as ReadonlyArray<{ number: number }> | undefined) ?? []).map(
            (p) => p.number
          )
          assert.strictEqual(new Set(numbers).size, numbers.length)
        }
        assert.strictEqual(built.virtualService === undefined, built.fqdnServiceEntry === undefined)
      })
    )
  })
})
