import { assert, describe, it } from "@effect/vitest"
import { fileURLToPath } from "node:url"
import type { DatabaseSpec } from "../../../../schemas/DynaKubeV1beta6.ts"
import { dynakube, expectGolden, operator, withSpec } from "../oneagent/WorkloadFixtures.ts"
import { deploymentsMessage } from "./ExtensionsPhase.ts"
import { buildSqlExecutorDeployment, deploymentName, templateImage } from "./SqlExecutorDeployment.ts"

// Regenerate after a deliberate change: UPDATE_GOLDEN=1 npm exec -- vitest run --project unit <this file>.
const golden = fileURLToPath(new URL("./testdata/sql-executor-deployment.golden.json", import.meta.url))

const withDatabases = (...databases: Array<DatabaseSpec>) =>
  withSpec((s) => {
    // The draft type is mutable; a JSON copy of the readonly entries fits it.
    s.extensions = JSON.parse(JSON.stringify({ databases }))
    s.templates = {
      sqlExtensionExecutor: {
        imageRef: { repository: "registry.example.com/sql-exec", tag: "1.2.3" },
        tolerations: [{ key: "db", operator: "Exists" }]
      }
    }
  })

describe("SQL extension executor Deployment", () => {
  it("an entry with its own volumes, labels and resources, trusted CAs set, matches the golden file", () => {
    const db: DatabaseSpec = {
      id: "orders",
      replicas: 2,
      labels: { team: "db", "extensions.dynatrace.com/datasource": "ignored" },
      annotations: { "example.com/a": "b" },
      serviceAccountName: "orders-sa",
      volumes: [{ name: "driver", configMap: { name: "jdbc-driver" } }],
      volumeMounts: [{ name: "driver", mountPath: "/drivers" }],
      resources: { limits: { memory: "1Gi" } },
      nodeSelector: { pool: "db" }
    }
    const dk = dynakube(
      withDatabases(db),
      withSpec((s) => (s.trustedCAs = "corp-cas"))
    )
    expectGolden(
      golden,
      buildSqlExecutorDeployment({ dynakube: dk, operator, database: db, image: "registry.example.com/sql-exec:1.2.3" })
    )
  })

  it("defaults: name, labels, selector, service account, resources, EEC url and mounts", () => {
    const db: DatabaseSpec = { id: "db1" }
    const dep = buildSqlExecutorDeployment({
      dynakube: dynakube(withDatabases(db)),
      operator,
      database: db,
      image: "i"
    })
    assert.strictEqual(dep.metadata.name, "dk-sql-ext-exec-db1")
    assert.strictEqual(deploymentName("dk", "db1"), dep.metadata.name)
    assert.deepStrictEqual(dep.spec.selector.matchLabels, {
      "app.kubernetes.io/name": "dynatrace-sql-extension-executor",
      "app.kubernetes.io/created-by": "dk",
      "app.kubernetes.io/managed-by": "dynatrace-operator"
    })
    assert.strictEqual(dep.metadata.labels?.["extensions.dynatrace.com/executor.id"], "db1")
    assert.strictEqual(dep.spec.template.metadata.labels["extensions.dynatrace.com/datasource"], "sql")
    assert.strictEqual(dep.spec.template.metadata.labels["app.kubernetes.io/version"], "1.2.3")
    assert.strictEqual(dep.spec.replicas, 1)
    const pod = dep.spec.template.spec
    assert.strictEqual(pod.serviceAccountName, "dynatrace-sql-ext-exec")
    const c = pod.containers[0]
    assert.deepStrictEqual(c?.args, ["--url=https://dk-extension-controller.dynatrace:14599"])
    assert.deepStrictEqual(c?.resources, {
      requests: { memory: "256Mi", cpu: "250m" },
      limits: { memory: "512Mi", cpu: "500m" }
    })
    assert.deepStrictEqual(
      c?.volumeMounts?.map((m) => `${m.name}:${m.mountPath}`),
      ["tmp-data:/tmp", "auth-token:/var/run/dynatrace/executor/token", "https-certs:/var/ssl-certs/dynatrace"]
    )
    assert.deepStrictEqual(pod.tolerations, [{ key: "db", operator: "Exists" }])
    assert.strictEqual(
      buildSqlExecutorDeployment({
        dynakube: dynakube(withDatabases(db)),
        operator,
        database: db,
        image: "i",
        currentReplicas: 3
      }).spec.replicas,
      3
    )
  })

  it("the template image needs a repository and a tag or digest", () => {
    assert.strictEqual(templateImage(dynakube(withDatabases({ id: "a" }))), "registry.example.com/sql-exec:1.2.3")
    assert.isUndefined(templateImage(dynakube()))
    const digest = dynakube(
      withSpec(
        (s) =>
          (s.templates = { sqlExtensionExecutor: { imageRef: { repository: "r", tag: "t", digest: "sha256:ab" } } })
      )
    )
    assert.strictEqual(templateImage(digest), "r@sha256:ab")
  })

  it("the condition lists at most three names", () => {
    assert.strictEqual(deploymentsMessage(["a", "b"]), "a, b")
    assert.strictEqual(deploymentsMessage(["a", "b", "c", "d", "e"]), "a, b, c, ... 2 more omitted")
  })
})
