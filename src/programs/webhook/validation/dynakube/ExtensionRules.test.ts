import { describe, expect, it } from "@effect/vitest"
import type { Validator } from "../Finding.ts"
import {
  annotate,
  context,
  dynakube,
  messagesOf,
  named,
  spec,
  type ContextOptions,
  type Json
} from "../ValidationFixtures.ts"
import type { DynaKubeContext } from "./Context.ts"
import * as E from "./ExtensionRules.ts"

const image = { repository: "reg.io/x", tag: "1" }
const prometheus = spec({ extensions: { prometheus: {} } })
const eecImage = spec({ templates: { extensionExecutionController: { imageRef: image } } })
const db = (database: Json) => spec({ extensions: { databases: [{ id: "db1", ...database }] } })
const dbImage = spec({ templates: { sqlExtensionExecutor: { imageRef: image } } })

type Case = [string, Validator<DynaKubeContext>, Json, ContextOptions, ReadonlyArray<string>]

describe("extension rules", () => {
  it.each<Case>([
    ["EEC image missing", E.eecImageMissing, dynakube(prometheus), {}, [E.messages.eecImageMissing]],
    ["EEC image with tag", E.eecImageMissing, dynakube(prometheus, eecImage), {}, []],
    [
      "EEC image with digest",
      E.eecImageMissing,
      dynakube(
        prometheus,
        spec({ templates: { extensionExecutionController: { imageRef: { repository: "r", digest: "sha256:ab" } } } })
      ),
      {},
      []
    ],
    [
      "EEC repository only",
      E.eecImageMissing,
      dynakube(prometheus, spec({ templates: { extensionExecutionController: { imageRef: { repository: "r" } } } })),
      {},
      [E.messages.eecImageMissing]
    ],
    ["EEC image from public registry", E.eecImageMissing, dynakube(prometheus), { platformToken: true }, []],
    ["no extensions", E.eecImageMissing, dynakube(), {}, []],
    [
      "EEC PVC and ephemeral",
      E.eecPvcAndEphemeral,
      dynakube(
        prometheus,
        spec({ templates: { extensionExecutionController: { useEphemeralVolume: true, persistentVolumeClaim: {} } } })
      ),
      {},
      [E.messages.eecPvcAndEphemeral]
    ],
    ["OTel image for Prometheus", E.otelCollectorImageMissing, dynakube(prometheus), {}, [E.messages.otelImageMissing]],
    [
      "OTel image for telemetryIngest",
      E.otelCollectorImageMissing,
      dynakube(spec({ telemetryIngest: {} })),
      {},
      [E.messages.otelImageMissing]
    ],
    [
      "OTel image set",
      E.otelCollectorImageMissing,
      dynakube(spec({ telemetryIngest: {}, templates: { otelCollector: { imageRef: image } } })),
      {},
      []
    ],
    ["OTel not needed for databases", E.otelCollectorImageMissing, dynakube(db({})), {}, []],
    ["DB image missing", E.databaseImageMissing, dynakube(db({})), {}, [E.messages.databaseImageMissing]],
    ["DB image set", E.databaseImageMissing, dynakube(db({}), dbImage), {}, []],
    [
      "DB mount without volume",
      E.databaseVolumeMounts,
      dynakube(db({ volumeMounts: [{ name: "drivers", mountPath: "/opt/drivers" }] })),
      {},
      [E.messages.mountWithoutVolume("drivers")]
    ],
    [
      "DB mount OK",
      E.databaseVolumeMounts,
      dynakube(
        db({ volumes: [{ name: "d", emptyDir: {} }], volumeMounts: [{ name: "d", mountPath: "/opt/drivers" }] })
      ),
      {},
      []
    ],
    [
      "DB mount relative",
      E.databaseVolumeMounts,
      dynakube(db({ volumes: [{ name: "d", emptyDir: {} }], volumeMounts: [{ name: "d", mountPath: "drivers" }] })),
      {},
      [E.messages.mountPathNotAbsolute("drivers")]
    ],
    [
      "DB mount inside /tmp",
      E.databaseVolumeMounts,
      dynakube(db({ volumes: [{ name: "d", emptyDir: {} }], volumeMounts: [{ name: "d", mountPath: "/tmp/x" }] })),
      {},
      [E.messages.mountPathConflict("/tmp/x", "/tmp")]
    ],
    [
      "DB mount on the parent of a reserved mount",
      E.databaseVolumeMounts,
      dynakube(
        db({ volumes: [{ name: "d", emptyDir: {} }], volumeMounts: [{ name: "d", mountPath: "/var/ssl-certs" }] })
      ),
      {},
      [E.messages.mountPathConflict("/var/ssl-certs", "/var/ssl-certs/dynatrace")]
    ],
    [
      "DB mount on the user certs path only with trusted CAs",
      E.databaseVolumeMounts,
      dynakube(
        spec({ trustedCAs: "cas" }),
        db({
          volumes: [{ name: "d", emptyDir: {} }],
          volumeMounts: [{ name: "d", mountPath: "/var/ssl-certs/user/x" }]
        })
      ),
      {},
      [E.messages.mountPathConflict("/var/ssl-certs/user/x", "/var/ssl-certs/user")]
    ],
    [
      "unused DB volumes",
      E.unusedDatabaseVolumes,
      dynakube(
        db({
          volumes: [
            { name: "a", emptyDir: {} },
            { name: "b", emptyDir: {} }
          ],
          volumeMounts: [{ name: "a", mountPath: "/a" }]
        })
      ),
      {},
      [E.messages.unusedVolumes(["b"])]
    ],
    // warnings
    [
      "the 3rd-gen URL of the same environment is the same API URL",
      E.sameApiUrlWithExtensions,
      dynakube(prometheus),
      {
        cluster: {
          dynaKubes: [dynakube(named("other"), spec({ apiUrl: "https://abc12345.apps.dynatrace.com" }), prometheus)]
        }
      },
      [E.messages.sameApiUrl("other")]
    ],
    [
      "another environment",
      E.sameApiUrlWithExtensions,
      dynakube(prometheus),
      {
        cluster: {
          dynaKubes: [dynakube(named("other"), spec({ apiUrl: "https://xyz.live.dynatrace.com/api" }), prometheus)]
        }
      },
      []
    ],
    [
      "same environment, same 2nd-gen URL",
      E.sameApiUrlWithExtensions,
      dynakube(prometheus, spec({ apiUrl: "https://abc12345.apps.dynatrace.com" })),
      {
        cluster: {
          dynaKubes: [dynakube(named("other"), spec({ apiUrl: "https://abc12345.apps.dynatrace.com" }), prometheus)]
        }
      },
      [E.messages.sameApiUrl("other")]
    ],
    [
      "other DynaKube without extensions",
      E.sameApiUrlWithExtensions,
      dynakube(prometheus),
      { cluster: { dynaKubes: [dynakube(named("other"))] } },
      []
    ],
    [
      "extensions without kubernetes monitoring",
      E.extensionsWithoutKubernetesMonitoring,
      dynakube(prometheus),
      {},
      [E.messages.withoutKubernetesMonitoring]
    ],
    [
      "extensions with kubernetes monitoring",
      E.extensionsWithoutKubernetesMonitoring,
      dynakube(prometheus, spec({ activeGate: { capabilities: ["kubernetes-monitoring"] } })),
      {},
      []
    ],
    [
      "kubernetes monitoring but automatic API monitoring off",
      E.extensionsWithoutKubernetesMonitoring,
      dynakube(
        prometheus,
        spec({ activeGate: { capabilities: ["kubernetes-monitoring"] } }),
        annotate({ "feature.dynatrace.com/automatic-kubernetes-api-monitoring": "false" })
      ),
      {},
      [E.messages.withoutKubernetesMonitoring]
    ],
    [
      "hostPath DB volume",
      E.hostPathDatabaseVolume,
      dynakube(db({ volumes: [{ name: "h", hostPath: { path: "/x" } }] })),
      {},
      [E.messages.hostPathVolume]
    ],
    [
      "OTel template without telemetryIngest",
      E.otelCollectorTemplateIgnored,
      dynakube(spec({ templates: { otelCollector: { imageRef: image } } })),
      {},
      [E.messages.otelTemplateIgnored]
    ],
    [
      "OTel template with telemetryIngest",
      E.otelCollectorTemplateIgnored,
      dynakube(spec({ telemetryIngest: {}, templates: { otelCollector: { imageRef: image } } })),
      {},
      []
    ],
    [
      "OTel template without imageRef",
      E.otelCollectorTemplateIgnored,
      dynakube(spec({ templates: { otelCollector: { replicas: 2 } } })),
      {},
      []
    ]
  ])("%s", (_name, rule, object, options, expected) => {
    expect(messagesOf(rule, context(object, options))).toEqual(expected)
  })
})
