/**
 * The EdgeConnect reconcile (spec §2.3).
 *
 * 1. GET the EdgeConnect (the cache may lag our own writes); gone ⇒ done (owned objects go with the garbage
 *    collector). Unreadable spec ⇒ terminal error.
 * 2. Being deleted with our finalizer `server` (provisioner mode): read `id` from `<ec>-client`, remove the
 *    finalizer, then clean up the tenant as well as it can: the EdgeConnect with this name, if the operator made it
 *    (and with Kubernetes automation its connection setting). The finalizer goes first, as in the original: a tenant
 *    that cannot be reached must not keep the object (and its namespace) from being deleted.
 * 3. Otherwise, in order: `status.kubeSystemUID`; the finalizer in provisioner mode; the image and
 *    `status.version`; the OAuth client the EdgeConnect runs with:
 *    - regular mode: `oauth-client-id` / `oauth-client-secret` of `spec.oauth.clientSecret`, resource from the spec;
 *    - provisioner mode: the tenant EdgeConnect of this name is created (its new OAuth client stored in
 *      `<ec>-client` with its `id`), recreated when the id in `<ec>-client` does not match, updated when its host
 *      patterns differ, and left alone when a user made it (condition `TenantEdgeConnect` False, nothing deployed);
 *    then the config Secret `<ec>-ec-yaml` (keeping the automation token), the Deployment, and in provisioner mode
 *    with Kubernetes automation the connection settings object.
 * 4. Status, written once and only when it changed: phase `Error` on any error, else from the Deployment
 *    (`Running` when all replicas are updated and ready, else `Deploying`); conditions `SecretConfigConditionType`,
 *    `TenantEdgeConnect` (provisioner mode), `Deployment`; `updatedTimestamp`.
 * 5. Next look in 15 minutes; an error is retried with backoff.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Option, Redacted, Schema } from "effect"
import * as EdgeConnectV1alpha2 from "../../../schemas/EdgeConnectV1alpha2.ts"
import type { DynatraceApiError } from "../../../services/DynatraceApiError.ts"
import type { KubeApiError } from "../../../services/KubeApiError.ts"
import { KubeClient } from "../../../services/KubeClient.ts"
import type { Informer } from "../../../services/kube/Informer.ts"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import { keyOf, parseKey } from "../../../services/kube/KubeObject.ts"
import type { Resource } from "../../../services/kube/Resource.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import * as Conditions from "../runtime/Conditions.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ObjectSync from "../runtime/ObjectSync.ts"
import * as EcYaml from "./EcYaml.ts"
import * as EdgeConnectClient from "./EdgeConnectClient.ts"
import * as Objects from "./EdgeConnectDeployment.ts"
import { imageOf } from "./EdgeConnectImage.ts"
import * as K8sAutomation from "./K8sAutomation.ts"

/** A problem with the EdgeConnect's inputs (a missing Secret or key, a tenant in an unexpected state). @category errors */
export class EdgeConnectError extends Schema.TaggedError<EdgeConnectError>()("EdgeConnectError", {
  message: Schema.String
}) {}

/** Everything a reconcile can fail with. @category errors */
export type ReconcileError = EdgeConnectError | KubeApiError | DynatraceApiError | Controller.TerminalError

/** The finalizer of provisioner mode (the original's name). @category constants */
export const finalizer = "server"

/** Condition types and reasons. @category constants */
export const conditions = {
  config: "SecretConfigConditionType",
  tenant: "TenantEdgeConnect",
  deployment: "Deployment"
} as const
/** @category constants */
export const reasons = {
  configReady: "ConfigReady",
  configError: "ConfigError",
  provisioned: "Provisioned",
  provisioningError: "ProvisioningError",
  notManaged: "NotManagedByOperator",
  deploymentReady: "DeploymentReady",
  deploying: "Deploying"
} as const

/** Default look-again interval. @category constants */
export const requeueInterval = Duration.minutes(15)

/** What the reconcile needs. @category models */
export interface ReconcilerConfig {
  readonly clientTimeout?: Duration.Input | undefined
  readonly operatorVersion?: string | undefined
}

/** The owned Deployments' cache (for reads and the phase). @category models */
export interface ReconcilerCaches {
  readonly deployments: Informer<Objects.DeploymentStatusView>
}

type EdgeConnect = EdgeConnectV1alpha2.EdgeConnect
type Spec = EdgeConnect["spec"]
type Status = NonNullable<EdgeConnect["status"]>

interface RawEdgeConnect extends KubeObject {
  readonly status?: Record<string, unknown> | undefined
}
interface DataObject extends KubeObject {
  readonly data?: Readonly<Record<string, string>> | undefined
}

const decodeEdgeConnect = Schema.decodeUnknownEffect(EdgeConnectV1alpha2.EdgeConnect)

const readData = (resource: Resource, namespace: string, name: string, base64: boolean) =>
  Effect.gen(function* () {
    const kube = yield* KubeClient
    const object = yield* kube.get<DataObject>(resource, name, { namespace }).pipe(
      Effect.map(Option.some),
      Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none<DataObject>()))
    )
    return Option.map(object, (o) =>
      Object.fromEntries(
        Object.entries(o.data ?? {}).map(([k, v]) => [k, base64 ? Buffer.from(v, "base64").toString("utf8") : v])
      )
    )
  })

const secretData = (namespace: string, name: string) => readData(Resources.Secret, namespace, name, true)

/** The keys of a Secret that must be there, or an error naming the Secret and key (never a value). */
const requiredKeys = <K extends string>(
  data: Option.Option<Readonly<Record<string, string>>>,
  ref: string,
  keys: ReadonlyArray<K>
): Effect.Effect<Record<K, string>, EdgeConnectError> => {
  if (Option.isNone(data)) return Effect.fail(new EdgeConnectError({ message: `secret ${ref} not found` }))
  const result = {} as Record<K, string>
  for (const key of keys) {
    const value = data.value[key]
    if (value === undefined || value === "") {
      return Effect.fail(new EdgeConnectError({ message: `secret ${ref} has no ${key}` }))
    }
    result[key] = value
  }
  return Effect.succeed(result)
}

interface OAuthCredentials {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly resource: string
}

const automationEnabled = (spec: Spec) => spec.kubernetesAutomation?.enabled === true
const provisioner = (spec: Spec) => spec.oauth.provisioner === true

/** The tenant EdgeConnect of this name; more than one is an error. */
const tenantEdgeConnect = (client: EdgeConnectClient.EdgeConnectClient, name: string) =>
  Effect.gen(function* () {
    const found = yield* client.listByName(name)
    if (found.length > 1) {
      return yield* new EdgeConnectError({ message: `the tenant has ${found.length} EdgeConnects named ${name}` })
    }
    return found[0]
  })

/** The config Secret; returns its hash and the automation token. */
const configSecret = (owner: Objects.Owner, spec: Spec, credentials: OAuthCredentials) =>
  Effect.gen(function* () {
    const name = Objects.configSecretName(owner.name)
    const existing = yield* secretData(owner.namespace, name)
    const previousToken = Option.flatMap(existing, (data) =>
      Option.fromUndefinedOr(EcYaml.tokenOf(data[EcYaml.fileName] ?? ""))
    )
    const token = automationEnabled(spec) ? Option.getOrElse(previousToken, K8sAutomation.newToken) : undefined
    let proxy: EcYaml.EcYamlInput["proxy"]
    if (spec.proxy !== undefined) {
      let auth: { user: string; password: Redacted.Redacted<string> } | undefined
      if (spec.proxy.authRef !== undefined && spec.proxy.authRef !== "") {
        const keys = yield* requiredKeys(
          yield* secretData(owner.namespace, spec.proxy.authRef),
          `${owner.namespace}/${spec.proxy.authRef}`,
          ["user", "password"]
        )
        auth = { user: keys.user, password: Redacted.make(keys.password) }
      }
      proxy = {
        server: spec.proxy.host ?? "",
        port: spec.proxy.port ?? 0,
        exceptions: spec.proxy.noProxy ?? "",
        auth
      }
    }
    const yaml = EcYaml.render({
      name: owner.name,
      apiEndpointHost: spec.apiServer,
      oauth: { endpoint: spec.oauth.endpoint, ...credentials },
      restrictHostsTo: spec.hostRestrictions,
      customCa: spec.caCertsRef !== undefined && spec.caCertsRef !== "",
      proxy,
      kubernetesToken: token
    })
    const data = Objects.configSecretData(yaml)
    yield* ObjectSync.ensure(Resources.Secret, Objects.ownedSecret(owner, name, data))
    return { hash: Objects.secretHash(data), token }
  })

/** Provisioner mode with automation: the tenant's connection setting carries the current token. */
const connectionSetting = (
  owner: Objects.Owner,
  client: EdgeConnectClient.EdgeConnectClient,
  uid: string,
  token: Redacted.Redacted<string>
) =>
  Effect.gen(function* () {
    const mine = K8sAutomation.settingOf(yield* client.connectionSettings, { ...owner, kubeSystemUID: uid })
    const value = { name: owner.name, uid, namespace: owner.namespace, token }
    if (mine === undefined) {
      yield* client.createConnectionSetting(value)
      yield* Effect.logInfo("Created the Kubernetes connection setting in the tenant.")
    } else if (Redacted.value(mine.token) !== Redacted.value(token)) {
      yield* client.updateConnectionSetting(mine.objectId, value)
      yield* Effect.logInfo("Updated the token of the Kubernetes connection setting in the tenant.")
    }
  })

/** Provisioner mode: the tenant side; the OAuth client to run with, or undefined when a user owns the name. */
const provision = (owner: Objects.Owner, spec: Spec, client: EdgeConnectClient.EdgeConnectClient, uid: string) =>
  Effect.gen(function* () {
    const clientRef = `${owner.namespace}/${Objects.clientSecretName(owner.name)}`
    let current = yield* tenantEdgeConnect(client, owner.name)
    const stored = yield* secretData(owner.namespace, Objects.clientSecretName(owner.name))
    if (current !== undefined && current.managedByDynatraceOperator !== true) return undefined
    const storedId = Option.getOrUndefined(stored)?.[Objects.secretKeys.id]
    if (current !== undefined && current.id !== storedId) {
      yield* Effect.logInfo("Recreating the tenant EdgeConnect: its id is not the one stored.").pipe(
        Effect.annotateLogs({ storedId: storedId ?? "none" })
      )
      yield* client.remove(current.id)
      current = undefined
    }
    const hostPatterns = spec.hostPatterns ?? []
    const hostMappings = K8sAutomation.hostMappings(owner.name, owner.namespace, uid)
    if (current === undefined) {
      const created = yield* client.create({ name: owner.name, hostPatterns, hostMappings })
      yield* ObjectSync.ensure(
        Resources.Secret,
        Objects.ownedSecret(owner, Objects.clientSecretName(owner.name), {
          [Objects.secretKeys.clientId]: b64(created.oauthClientId),
          [Objects.secretKeys.clientSecret]: b64(Redacted.value(created.oauthClientSecret)),
          [Objects.secretKeys.resource]: b64(created.oauthClientResource),
          [Objects.secretKeys.id]: b64(created.id)
        })
      )
      yield* Effect.logInfo("Created the EdgeConnect in the tenant.").pipe(Effect.annotateLogs({ id: created.id }))
      return {
        clientId: created.oauthClientId,
        clientSecret: created.oauthClientSecret,
        resource: created.oauthClientResource
      } satisfies OAuthCredentials
    }
    const keys = yield* requiredKeys(stored, clientRef, [
      Objects.secretKeys.clientId,
      Objects.secretKeys.clientSecret,
      Objects.secretKeys.resource
    ])
    const inTenant = yield* client.get(current.id)
    if (!sameList(inTenant.hostPatterns ?? [], hostPatterns)) {
      yield* client.update(current.id, {
        name: owner.name,
        hostPatterns,
        hostMappings,
        oauthClientId: keys[Objects.secretKeys.clientId]
      })
      yield* Effect.logInfo("Updated the host patterns of the tenant EdgeConnect.")
    }
    return {
      clientId: keys[Objects.secretKeys.clientId],
      clientSecret: Redacted.make(keys[Objects.secretKeys.clientSecret]),
      resource: keys[Objects.secretKeys.resource]
    } satisfies OAuthCredentials
  })

/** Builds the reconcile function. @category constructors */
export const make = (config: ReconcilerConfig, caches: ReconcilerCaches) => {
  let kubeSystemUID: string | undefined
  const userAgent = `dynatrace-operator/${config.operatorVersion ?? "unknown"}`

  const clusterUID = Effect.gen(function* () {
    if (kubeSystemUID !== undefined) return kubeSystemUID
    const namespace = yield* (yield* KubeClient).get<KubeObject>(Resources.Namespace, "kube-system")
    const uid = namespace.metadata?.uid ?? ""
    if (uid === "") return yield* new EdgeConnectError({ message: "the kube-system namespace has no UID" })
    kubeSystemUID = uid
    return uid
  })

  const deploymentReader: ObjectSync.Reader = <T extends KubeObject>(_: Resource, ns: string | undefined, n: string) =>
    caches.deployments.get(keyOf(ns, n)) as unknown as Effect.Effect<Option.Option<T>>

  /** The provisioner's client, authenticated with `spec.oauth.clientSecret`. */
  const tenantClient = (namespace: string, spec: Spec) =>
    Effect.gen(function* () {
      const ref = `${namespace}/${spec.oauth.clientSecret}`
      const keys = yield* requiredKeys(yield* secretData(namespace, spec.oauth.clientSecret), ref, [
        Objects.secretKeys.clientId,
        Objects.secretKeys.clientSecret
      ])
      let trustedCAs: string | undefined
      if (spec.caCertsRef !== undefined && spec.caCertsRef !== "") {
        const configMap = yield* readData(Resources.ConfigMap, namespace, spec.caCertsRef, false)
        trustedCAs = Option.getOrUndefined(configMap)?.["certs"]
        if (trustedCAs === undefined) {
          return yield* new EdgeConnectError({ message: `ConfigMap ${namespace}/${spec.caCertsRef} has no key certs` })
        }
      }
      return yield* EdgeConnectClient.make({
        apiServer: spec.apiServer,
        tokenUrl: spec.oauth.endpoint,
        clientId: keys[Objects.secretKeys.clientId],
        clientSecret: Redacted.make(keys[Objects.secretKeys.clientSecret]),
        resource: spec.oauth.resource,
        scopes: EdgeConnectClient.provisionerScopes(automationEnabled(spec)),
        trustedCAs,
        timeout: config.clientTimeout,
        userAgent
      })
    })

  /** Deletion in provisioner mode (step 2). */
  const onDeletion = (raw: RawEdgeConnect, ec: EdgeConnect) =>
    Effect.gen(function* () {
      const kube = yield* KubeClient
      const namespace = raw.metadata?.namespace ?? ""
      const name = raw.metadata?.name ?? ""
      const storedId = Option.getOrUndefined(yield* secretData(namespace, Objects.clientSecretName(name)))?.[
        Objects.secretKeys.id
      ]
      yield* kube.update(Resources.EdgeConnect, {
        ...raw,
        metadata: { ...raw.metadata, finalizers: (raw.metadata?.finalizers ?? []).filter((f) => f !== finalizer) }
      })
      const cleanup = Effect.gen(function* () {
        const client = yield* tenantClient(namespace, ec.spec)
        const current = yield* tenantEdgeConnect(client, name)
        if (current === undefined) return yield* Effect.logInfo("The EdgeConnect is not in the tenant.")
        if (current.managedByDynatraceOperator !== true) {
          return yield* Effect.logInfo("Left the tenant EdgeConnect alone: a user created it.")
        }
        if (storedId !== current.id) {
          yield* Effect.logInfo("The stored EdgeConnect id differs from the tenant's; deleting the tenant's.")
        }
        if (automationEnabled(ec.spec)) {
          const uid = yield* clusterUID
          const mine = K8sAutomation.settingOf(yield* client.connectionSettings, {
            name,
            namespace,
            kubeSystemUID: uid
          })
          if (mine !== undefined) yield* client.deleteConnectionSetting(mine.objectId)
        }
        yield* client.remove(current.id)
        yield* Effect.logInfo("Deleted the EdgeConnect from the tenant.").pipe(Effect.annotateLogs({ id: current.id }))
      })
      // The object is gone once the finalizer is: a failure here cannot be retried, only reported.
      yield* Effect.scoped(cleanup).pipe(
        Effect.catch((error) =>
          Effect.logWarning("Could not remove the EdgeConnect from the tenant.").pipe(
            Effect.annotateLogs({ error: error.message })
          )
        )
      )
      return Controller.done
    })

  const reconcile = (key: string): Effect.Effect<Controller.Result, ReconcileError, KubeClient> =>
    Effect.gen(function* () {
      const { namespace = "", name } = parseKey(key)
      const kube = yield* KubeClient
      const fetched = yield* kube.get<RawEdgeConnect>(Resources.EdgeConnect, name, { namespace }).pipe(
        Effect.map(Option.some),
        Effect.catchReason("KubeApiError", "NotFound", () => Effect.succeed(Option.none<RawEdgeConnect>()))
      )
      if (Option.isNone(fetched)) return Controller.done
      let raw = fetched.value
      const ec = yield* decodeEdgeConnect(raw).pipe(
        Effect.mapError(
          (e) => new Controller.TerminalError({ message: `the EdgeConnect cannot be read: ${e.message}` })
        )
      )
      if (raw.metadata?.deletionTimestamp !== undefined) {
        return (raw.metadata.finalizers ?? []).includes(finalizer) ? yield* onDeletion(raw, ec) : Controller.done
      }

      const spec = ec.spec
      const owner: Objects.Owner = { name, namespace, uid: raw.metadata?.uid ?? "" }
      const now = yield* Clock.currentTimeMillis
      const generation = raw.metadata?.generation
      const oldStatus: Status = ec.status ?? {}
      let conditionList: ReadonlyArray<Conditions.Condition> = (oldStatus.conditions ??
        []) as ReadonlyArray<Conditions.Condition>
      const setCondition = (update: Conditions.ConditionUpdate) => {
        conditionList = Conditions.set(
          conditionList,
          { ...update, message: update.message.slice(0, 32_768) },
          {
            now,
            generation
          }
        )
      }
      const status: { -readonly [K in keyof Status]: Status[K] } = { ...oldStatus }
      const image = imageOf(spec)
      status.version = { source: image.source, imageID: image.imageID, version: image.version }

      const run = Effect.gen(function* () {
        const uid = yield* clusterUID
        status.kubeSystemUID = uid
        if (provisioner(spec) && !(raw.metadata?.finalizers ?? []).includes(finalizer)) {
          raw = yield* kube.update(Resources.EdgeConnect, {
            ...raw,
            metadata: { ...raw.metadata, finalizers: [...(raw.metadata?.finalizers ?? []), finalizer] }
          })
        }
        let credentials: OAuthCredentials | undefined
        let client: EdgeConnectClient.EdgeConnectClient | undefined
        if (provisioner(spec)) {
          const provisioned = yield* Effect.gen(function* () {
            client = yield* tenantClient(namespace, spec)
            return yield* provision(owner, spec, client, uid)
          }).pipe(
            Effect.tapError((error) =>
              Effect.sync(() =>
                setCondition({
                  type: conditions.tenant,
                  status: "False",
                  reason: reasons.provisioningError,
                  message: error.message
                })
              )
            )
          )
          if (provisioned === undefined) {
            setCondition({
              type: conditions.tenant,
              status: "False",
              reason: reasons.notManaged,
              message: `The tenant already has an EdgeConnect named ${name} that the operator did not create; nothing is deployed.`
            })
            return
          }
          setCondition({
            type: conditions.tenant,
            status: "True",
            reason: reasons.provisioned,
            message: "The EdgeConnect exists in the tenant."
          })
          credentials = provisioned
        } else {
          conditionList = Conditions.remove(conditionList, conditions.tenant)
        }

        const configured = yield* Effect.gen(function* () {
          const oauth =
            credentials ??
            (yield* Effect.map(
              requiredKeys(
                yield* secretData(namespace, spec.oauth.clientSecret),
                `${namespace}/${spec.oauth.clientSecret}`,
                [Objects.secretKeys.clientId, Objects.secretKeys.clientSecret]
              ),
              (keys): OAuthCredentials => ({
                clientId: keys[Objects.secretKeys.clientId],
                clientSecret: Redacted.make(keys[Objects.secretKeys.clientSecret]),
                resource: spec.oauth.resource
              })
            ))
          return yield* configSecret(owner, spec, oauth)
        }).pipe(
          Effect.tapError((error) =>
            Effect.sync(() =>
              setCondition({
                type: conditions.config,
                status: "False",
                reason: reasons.configError,
                message: error.message
              })
            )
          )
        )
        setCondition({
          type: conditions.config,
          status: "True",
          reason: reasons.configReady,
          message: `Secret ${Objects.configSecretName(name)} holds the EdgeConnect configuration.`
        })

        yield* ObjectSync.ensure(
          Resources.Deployment,
          Objects.desiredDeployment({
            owner,
            spec,
            imageID: image.imageID,
            version: image.version,
            secretHash: configured.hash
          }),
          { read: deploymentReader }
        )

        if (client !== undefined && configured.token !== undefined) {
          yield* connectionSetting(owner, client, uid, configured.token)
        }
      })

      const result = yield* Effect.result(Effect.scoped(run))
      const deployment = Option.getOrUndefined(yield* caches.deployments.get(key))
      const deploymentPhase = Objects.deploymentPhase(deployment)
      if (deployment !== undefined) {
        setCondition({
          type: conditions.deployment,
          status: deploymentPhase === "Running" ? "True" : "False",
          reason: deploymentPhase === "Running" ? reasons.deploymentReady : reasons.deploying,
          message:
            deploymentPhase === "Running"
              ? "All EdgeConnect pods are updated and ready."
              : "Waiting for the EdgeConnect pods to be updated and ready."
        })
      }
      status.phase = result._tag === "Failure" ? "Error" : deploymentPhase
      status.conditions = conditionList as NonNullable<Status["conditions"]>

      if (
        ObjectSync.canonicalJson(withoutTimestamp(oldStatus)) !== ObjectSync.canonicalJson(withoutTimestamp(status))
      ) {
        yield* kube
          .updateStatus(Resources.EdgeConnect, {
            ...raw,
            status: { ...raw.status, ...status, updatedTimestamp: Conditions.formatTime(now) }
          } as RawEdgeConnect)
          .pipe(
            Effect.catchReason("KubeApiError", "Conflict", () =>
              Effect.logDebug("The EdgeConnect changed meanwhile; its status is written by the next reconcile.")
            )
          )
      }
      if (result._tag === "Failure") return yield* Effect.fail(result.failure)
      return Controller.requeueAfter(requeueInterval)
    }).pipe(Effect.annotateLogs({ edgeconnect: key }), Effect.withSpan("EdgeConnectReconciler.reconcile"))

  return reconcile
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

const sameList = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  a.length === b.length && a.every((item, index) => item === b[index])

const withoutTimestamp = (status: Status) => {
  const { updatedTimestamp: _ignored, ...rest } = status
  return rest
}
