/**
 * The proxy (spec §1.2 `proxy`, §2.2.1 step 5): resolved from `spec.proxy.value` or the Secret named by
 * `spec.proxy.valueFrom` (key `proxy`), and handed to components as the Secret `<dk>-internal-proxy` with the parts
 * split out (`host`, `port`, `username`, `password`, `scheme`; a proxy without scheme is `http://`). The secret
 * exists only while an ActiveGate or OneAgents use the proxy; `status.proxyURLHash` (first 16 hex characters of the
 * URL's SHA-256) lets components restart when it changes.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { createHash } from "node:crypto"
import type { KubeObject } from "../../../services/kube/KubeObject.ts"
import { keyOf } from "../../../services/kube/KubeObject.ts"
import * as Resources from "../../../services/kube/Resources.ts"
import type { KubeClient } from "../../../services/KubeClient.ts"
import { OperatorCaches } from "../OperatorCaches.ts"
import * as Controller from "../runtime/Controller.ts"
import * as ObjectSync from "../runtime/ObjectSync.ts"
import * as Names from "./Names.ts"
import { InvalidDynaKube, type Phase, type ReconcileScope, updateStatus } from "./ReconcileScope.ts"
import { secretData } from "./Tokens.ts"

/** The proxy URL of the DynaKube, if one is configured. */
export const resolve = (scope: ReconcileScope): Effect.Effect<string | undefined, InvalidDynaKube, OperatorCaches> =>
  Effect.gen(function* () {
    const proxy = scope.dk.spec.proxy
    if (proxy?.value !== undefined && proxy.value !== null && proxy.value !== "") return proxy.value
    const from = proxy?.valueFrom
    if (from === undefined || from === null || from === "") return undefined
    const caches = yield* OperatorCaches
    const secret = yield* caches.secrets.get(keyOf(scope.namespace, from))
    if (Option.isNone(secret)) {
      return yield* new InvalidDynaKube({ message: `proxy secret ${scope.namespace}:${from} not found` })
    }
    const value = secretData(secret.value)["proxy"]
    if (value === undefined || value.trim() === "") {
      return yield* new InvalidDynaKube({ message: `proxy secret ${scope.namespace}:${from} has no key proxy` })
    }
    return value.trim()
  })

/** The parts of a proxy URL as the internal proxy secret stores them. */
export interface ProxyParts {
  readonly scheme: string
  readonly host: string
  readonly port: string
  readonly username: string
  readonly password: string
}

/** Splits a proxy URL; a URL without scheme is taken as `http://`. */
export const parse = (url: string): ProxyParts | undefined => {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`
  if (!URL.canParse(text)) return undefined
  const u = new URL(text)
  return {
    scheme: u.protocol.replace(/:$/, ""),
    host: u.hostname,
    port: u.port,
    username: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password)
  }
}

/** First 16 hex characters of the SHA-256 of the proxy URL. */
export const urlHash = (url: string): string => createHash("sha256").update(url).digest("hex").slice(0, 16)

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

/** The desired internal proxy secret. */
export const secret = (
  scope: ReconcileScope,
  parts: ProxyParts
): KubeObject & { readonly data: Record<string, string>; readonly type: string } => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: Names.ownedMetadata(
    scope.owner,
    Names.names(scope.name).internalProxy,
    Names.commonLabels(scope.name, "operator", scope.config.operatorVersion)
  ),
  type: "Opaque",
  data: {
    host: base64(parts.host),
    port: base64(parts.port),
    username: base64(parts.username),
    password: base64(parts.password),
    scheme: base64(parts.scheme)
  }
})

/** The phase: the internal proxy secret and `status.proxyURLHash`. */
export const phase: Phase<OperatorCaches | KubeClient> = {
  name: "proxy",
  run: (scope) =>
    Effect.gen(function* () {
      const caches = yield* OperatorCaches
      const url = yield* resolve(scope)
      const name = Names.names(scope.name).internalProxy
      const used =
        url !== undefined &&
        ((scope.features.activeGate && !scope.flags.activeGateIgnoreProxy) ||
          (scope.features.oneAgentMode !== undefined && !scope.flags.oneAgentIgnoreProxy))
      updateStatus(scope, { proxyURLHash: url === undefined ? undefined : urlHash(url) })
      if (!used || url === undefined) {
        yield* ObjectSync.ensureAbsent(Resources.Secret, scope.namespace, name, { read: caches.read })
        return Controller.done
      }
      const parts = parse(url)
      if (parts === undefined) return yield* new InvalidDynaKube({ message: "the proxy is not a valid URL" })
      yield* ObjectSync.ensure(Resources.Secret, secret(scope, parts), { read: caches.read })
      return Controller.done
    })
}
