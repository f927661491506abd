import { describe, expect, it } from "@effect/vitest"
import type { Validator } from "../Finding.ts"
import { annotate, context, dynakube, messagesOf, spec, type ContextOptions, type Json } from "../ValidationFixtures.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as K from "./KspmRules.ts"

const kspm = (mappedHostPaths?: ReadonlyArray<string>) =>
  spec({ kspm: mappedHostPaths === undefined ? {} : { mappedHostPaths } })
const kubeMonAg = (replicas = 1) => spec({ activeGate: { capabilities: ["kubernetes-monitoring"], replicas } })

type Case = [string, Validator<DynaKubeContext>, Json, ContextOptions, ReadonlyArray<string>]

describe("KSPM rules", () => {
  it.each<Case>([
    ["one AG replica", K.tooManyReplicas, dynakube(kspm(), kubeMonAg(1)), {}, []],
    ["two AG replicas", K.tooManyReplicas, dynakube(kspm(), kubeMonAg(2)), {}, [K.messages.tooManyReplicas]],
    [
      "two kubemon replicas with the operand on",
      K.tooManyReplicas,
      dynakube(kspm(), spec({ kubernetesMonitoring: { replicas: 2 } })),
      { kubemonOperand: true },
      [K.messages.tooManyReplicas]
    ],
    [
      "two kubemon replicas with the operand off",
      K.tooManyReplicas,
      dynakube(kspm(), spec({ kubernetesMonitoring: { replicas: 2 } })),
      {},
      []
    ],
    ["image missing", K.imageMissing, dynakube(kspm()), {}, [K.messages.imageMissing]],
    [
      "image set",
      K.imageMissing,
      dynakube(
        kspm(),
        spec({ templates: { kspmNodeConfigurationCollector: { imageRef: { repository: "r", tag: "1" } } } })
      ),
      {},
      []
    ],
    ["no registration", K.withoutRegistration, dynakube(kspm()), {}, [K.messages.noRegistration]],
    ["AG registration", K.withoutRegistration, dynakube(kspm(), kubeMonAg()), {}, []],
    [
      "AG registration turned off",
      K.withoutRegistration,
      dynakube(kspm(), kubeMonAg(), annotate({ "feature.dynatrace.com/automatic-kubernetes-api-monitoring": "false" })),
      {},
      [K.messages.noRegistration]
    ],
    [
      "kubemon registration",
      K.withoutRegistration,
      dynakube(kspm(), spec({ kubernetesMonitoring: { registration: {} } })),
      { kubemonOperand: true },
      []
    ],
    ["root alone", K.rootWithOtherPaths, dynakube(kspm(["/", "/"])), {}, []],
    ["root with others", K.rootWithOtherPaths, dynakube(kspm(["/", "/etc"])), {}, [K.messages.rootWithOthers]],
    ["relative path", K.relativePath, dynakube(kspm(["/etc", "var/lib"])), {}, [K.messages.relativePath("var/lib")]],
    ["absolute paths", K.relativePath, dynakube(kspm(["/etc", "/var/lib"])), {}, []],
    ["no host paths", K.noHostPaths, dynakube(kspm()), {}, [K.messages.noHostPaths]],
    ["host paths", K.noHostPaths, dynakube(kspm(["/"])), {}, []],
    ["KSPM off", K.noHostPaths, dynakube(), {}, []]
  ])("%s", (_name, rule, object, options, expected) => {
    expect(messagesOf(rule, context(object, options))).toEqual(expected)
  })
})
