/**
 * The validating admission webhook for DynaKube and EdgeConnect (spec §3.1, §3.9, §3.10): one endpoint per served
 * version, `/validate-dynatrace-com-<version>-<kind>`.
 *
 * `handleValidation(endpoint, body)` is total: whatever the body, it answers an `AdmissionReview` and never fails
 * or throws.
 * - CREATE and UPDATE are validated; DELETE and CONNECT are allowed untouched.
 * - The object (any served version) is converted to the hub version and decoded; an object that is not the
 *   endpoint's kind, does not convert or does not decode is denied with code 400 and the reason.
 * - For a DynaKube, the token Secret decides whether the API token is a platform token; then every error rule,
 *   every warning rule and (on UPDATE) the update rules run in the original's order. Errors deny with code 403
 *   and the numbered summary as `status.message`; warnings go into `response.warnings` (also on denials).
 * - The whole review runs under `ValidationConfig.deadline`: past it the request is denied with code 500 and a
 *   message saying so; a defect is denied with code 500 too. Both are logged and counted, never thrown.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Option, Result, Schema } from "effect"
import * as AdmissionReview from "../../../schemas/AdmissionReview.ts"
import { convert } from "../../../schemas/Conversion.ts"
import * as DynaKubeV1beta5 from "../../../schemas/DynaKubeV1beta5.ts"
import * as DynaKubeV1beta6 from "../../../schemas/DynaKubeV1beta6.ts"
import * as EdgeConnectV1alpha1 from "../../../schemas/EdgeConnectV1alpha1.ts"
import * as EdgeConnectV1alpha2 from "../../../schemas/EdgeConnectV1alpha2.ts"
import type { ClusterReads, DynaKubeContext } from "./dynakube/Context.ts"
import * as DynaKubeRules from "./dynakube/DynaKubeRules.ts"
import { readPlatformToken } from "./dynakube/TokenRules.ts"
import * as EdgeConnectRules from "./edgeconnect/EdgeConnectRules.ts"
import * as Finding from "./Finding.ts"
import { type ClusterReadError, ValidationCluster } from "./ValidationCluster.ts"
import { ValidationConfig } from "./ValidationConfig.ts"
import * as ValidationMetrics from "./ValidationMetrics.ts"

/** What an endpoint validates. @category endpoints @since 0.1.0 */
export interface Endpoint {
  readonly path: `/${string}`
  readonly kind: "DynaKube" | "EdgeConnect"
  /** The version the apiserver sends to this endpoint (`matchPolicy: Exact`). */
  readonly apiVersion: string
}

const endpoint = (kind: Endpoint["kind"], apiVersion: string): Endpoint => ({
  kind,
  apiVersion,
  path: `/validate-${apiVersion.replace(/[./]/g, "-")}-${kind.toLowerCase()}`
})

/** The four validation endpoints. @category endpoints @since 0.1.0 */
export const endpoints: ReadonlyArray<Endpoint> = [
  endpoint("DynaKube", DynaKubeV1beta5.apiVersion),
  endpoint("DynaKube", DynaKubeV1beta6.apiVersion),
  endpoint("EdgeConnect", EdgeConnectV1alpha1.apiVersion),
  endpoint("EdgeConnect", EdgeConnectV1alpha2.apiVersion)
]

type Outcome = {
  readonly response: AdmissionReview.AdmissionResponse
  readonly result: ValidationMetrics.ReviewResult
  readonly findings: ReadonlyArray<Finding.Finding>
}

const invalid = (uid: string, message: string): Outcome => ({
  response: AdmissionReview.deny(uid, 400, message, "BadRequest"),
  result: "invalid",
  findings: []
})

/** The uid of anything that looks like a review, for answering bodies that do not decode. */
const uidOf = (body: unknown): string => {
  const request = typeof body === "object" && body !== null ? (body as { request?: unknown }).request : undefined
  const uid = typeof request === "object" && request !== null ? (request as { uid?: unknown }).uid : undefined
  return typeof uid === "string" ? uid : ""
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Converts an object to the hub version and decodes it; a text saying why not otherwise. */
const toHub = <S extends Schema.Top>(
  object: unknown,
  kind: Endpoint["kind"],
  hubApiVersion: string,
  schema: S & Schema.Codec<S["Type"], unknown, never, never>
): Result.Result<S["Type"], string> => {
  if (!isRecord(object)) return Result.fail(`The request carries no ${kind} object.`)
  if (object["kind"] !== kind) return Result.fail(`Expected a ${kind}, got kind ${JSON.stringify(object["kind"])}.`)
  const converted = convert(object, hubApiVersion)
  if (Result.isFailure(converted)) return Result.fail(converted.failure.message)
  const decoded = Schema.decodeUnknownResult(schema)(converted.success)
  return Result.isFailure(decoded)
    ? Result.fail(`The ${kind} does not match its schema: ${decoded.failure.message}`)
    : Result.succeed(decoded.success)
}

const verdict = (uid: string, kind: string, findings: ReadonlyArray<Finding.Finding>): Outcome => {
  const errors = findings.filter(Finding.isError)
  const warnings = findings.filter((f) => !Finding.isError(f)).map((f) => f.message)
  const base: AdmissionReview.AdmissionResponse =
    errors.length > 0
      ? AdmissionReview.deny(uid, 403, Finding.summarize(errors, kind), "Forbidden")
      : { uid, allowed: true }
  return {
    response: warnings.length > 0 ? { ...base, warnings } : base,
    result: errors.length > 0 ? "denied" : "allowed",
    findings
  }
}

/** Cluster reads for one review, each done at most once. */
const clusterReads = (cluster: ValidationCluster["Service"], namespace: string) =>
  Effect.gen(function* () {
    const dynaKubes = yield* Effect.cached(
      Effect.map(cluster.listDynaKubes(namespace), (items) =>
        items.flatMap((item) => {
          const decoded = Schema.decodeUnknownOption(DynaKubeV1beta6.DynaKube)(item)
          return Option.isSome(decoded) ? [decoded.value] : []
        })
      )
    )
    const namespaces = yield* Effect.cached(cluster.listNamespaces)
    const secrets = new Map<string, Effect.Effect<Readonly<Record<string, string>>, ClusterReadError>>()
    const secret = (name: string) =>
      Effect.suspend(() => {
        const known = secrets.get(name)
        if (known !== undefined) return known
        return Effect.flatMap(Effect.cached(cluster.secretData(namespace, name)), (cachedRead) => {
          secrets.set(name, cachedRead)
          return cachedRead
        })
      })
    const reads: ClusterReads = {
      dynaKubes,
      namespaces,
      secret,
      istioInstalled: cluster.istioInstalled,
      kubernetesMinorVersion: cluster.kubernetesMinorVersion
    }
    return reads
  })

const validateDynaKube = (uid: string, request: AdmissionReview.AdmissionRequest, endpointInfo: Endpoint) =>
  Effect.gen(function* () {
    const hub = toHub(request.object, "DynaKube", DynaKubeV1beta6.apiVersion, DynaKubeV1beta6.DynaKube)
    if (Result.isFailure(hub)) return invalid(uid, hub.failure)
    const dk = hub.success
    let oldSpec: DynaKubeV1beta6.DynaKubeSpec | undefined
    if (request.operation === "UPDATE" && request.oldObject !== undefined) {
      const old = toHub(request.oldObject, "DynaKube", DynaKubeV1beta6.apiVersion, DynaKubeV1beta6.DynaKube)
      // A stored object that no longer decodes cannot be compared; the new one is still validated.
      if (Result.isSuccess(old)) oldSpec = old.success.spec
    }
    const config = yield* ValidationConfig
    const cluster = yield* ValidationCluster
    const name = dk.metadata?.name ?? request.name ?? ""
    const namespace = request.namespace ?? dk.metadata?.namespace ?? ""
    const reads = yield* clusterReads(cluster, namespace)
    const platformToken = yield* readPlatformToken(reads.secret, dk.spec.tokens, name)
    const ctx: DynaKubeContext = {
      dk,
      spec: dk.spec,
      name,
      namespace,
      annotations: dk.metadata?.annotations ?? {},
      platformToken,
      modules: config.modules,
      kubemonOperand: config.kubemonOperand,
      cluster: reads
    }
    const errors = yield* Finding.runAll(DynaKubeRules.errors, ctx)
    const warnings = yield* Finding.runAll(DynaKubeRules.warnings, ctx)
    const updateErrors =
      oldSpec === undefined ? [] : yield* Finding.runAll(DynaKubeRules.updateErrors, { ...ctx, oldSpec })
    return verdict(uid, endpointInfo.kind, [...errors, ...updateErrors, ...warnings])
  })

const validateEdgeConnect = (uid: string, request: AdmissionReview.AdmissionRequest, endpointInfo: Endpoint) =>
  Effect.gen(function* () {
    const hub = toHub(request.object, "EdgeConnect", EdgeConnectV1alpha2.apiVersion, EdgeConnectV1alpha2.EdgeConnect)
    if (Result.isFailure(hub)) return invalid(uid, hub.failure)
    const ec = hub.success
    const config = yield* ValidationConfig
    const findings = yield* Finding.runAll(EdgeConnectRules.errors, {
      ec,
      spec: ec.spec,
      name: ec.metadata?.name ?? request.name ?? "",
      modules: config.modules
    })
    return verdict(uid, endpointInfo.kind, findings)
  })

/**
 * Answers one AdmissionReview posted to `endpoint`. Never fails.
 *
 * @category handling
 * @since 0.1.0
 */
export const handleValidation = Effect.fn("ValidationHandler.handle")(function* (
  endpointInfo: Endpoint,
  body: unknown
) {
  const decoded = AdmissionReview.decodeReview(body)
  const uid = Result.isSuccess(decoded) ? decoded.success.request.uid : uidOf(body)
  const config = yield* ValidationConfig
  const run: Effect.Effect<Outcome, never, ValidationCluster | ValidationConfig> = Effect.gen(function* () {
    if (Result.isFailure(decoded)) return invalid(uid, `The body is not an AdmissionReview: ${decoded.failure.message}`)
    const request = decoded.success.request
    if (request.operation !== "CREATE" && request.operation !== "UPDATE") {
      return { response: AdmissionReview.allow(uid), result: "allowed", findings: [] }
    }
    return endpointInfo.kind === "DynaKube"
      ? yield* validateDynaKube(uid, request, endpointInfo)
      : yield* validateEdgeConnect(uid, request, endpointInfo)
  })
  const outcome: Outcome = yield* run.pipe(
    Effect.timeoutOption(config.deadline),
    Effect.map(
      Option.getOrElse((): Outcome => ({
        response: AdmissionReview.deny(
          uid,
          500,
          `The ${endpointInfo.kind} could not be validated within the webhook's deadline; try again.`,
          "Timeout"
        ),
        result: "timeout",
        findings: []
      }))
    ),
    Effect.catchCause((cause) =>
      Effect.as(
        Effect.logError("Validating an object failed unexpectedly.").pipe(
          Effect.annotateLogs({ kind: endpointInfo.kind, cause: Cause.pretty(cause) })
        ),
        {
          response: AdmissionReview.deny(
            uid,
            500,
            `The ${endpointInfo.kind} could not be validated: internal error.`,
            "InternalError"
          ),
          result: "error",
          findings: []
        } satisfies Outcome
      )
    )
  )
  yield* ValidationMetrics.record(endpointInfo.kind, outcome.result, outcome.findings)
  return AdmissionReview.review(outcome.response)
})
