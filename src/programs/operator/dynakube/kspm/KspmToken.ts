/**
 * The KSPM token (spec §2.2.11): a random token in the Dynatrace access-token format
 * `dt0n01.<24 characters>.<64 characters>` (each portion the base32 text of as many random bytes, cut to length),
 * kept in the Secret `<dk>-kspm-token` under `kspm-token`. The node-config collector sends it with its reports and
 * the ActiveGate checks it, so both mount the same Secret.
 *
 * The token is created once and never rotated. `status.kspm.tokenSecretHash` (FNV-1 of the Secret's data as the
 * original hashes it) is stamped on both pod templates, so a new token rolls both workloads together.
 *
 * @since 0.1.0
 */
import { Redacted } from "effect"
import type { DynaKube } from "../../../../schemas/DynaKubeV1beta6.ts"
import { fnv1Hash32 } from "../oneagent/GoCompat.ts"
import { coreLabels, nameOf, type OperatorContext, ownedMeta, prune } from "../oneagent/WorkloadParts.ts"
import type { Secret } from "../oneagent/WorkloadTypes.ts"
import { randomToken } from "../workload/RandomToken.ts"

/** Key of the token in its Secret. @category constants @since 0.1.0 */
export const tokenKey = "kspm-token"
/** The token prefix of KSPM tokens. @category constants @since 0.1.0 */
export const tokenPrefix = "dt0n01"
/** `app.kubernetes.io/component` of the KSPM objects. @category constants @since 0.1.0 */
export const kspmComponent = "kspm"

/** The name of the token Secret. @category names @since 0.1.0 */
export const tokenSecretName = (dk: string): string => `${dk}-${tokenKey}`

/**
 * A new KSPM token. `random` is the source of random bytes (tests pass a fixed one).
 * @category constructors
 * @since 0.1.0
 */
export const newToken = (random?: (size: number) => Uint8Array): Redacted.Redacted<string> =>
  Redacted.make(randomToken(tokenPrefix, random))

/** The shape of a KSPM token. @category predicates @since 0.1.0 */
export const isToken = (text: string): boolean => /^dt0n01\.[A-Z2-7]{24}\.[A-Z2-7]{64}$/u.test(text)

/**
 * The Secret's data (base64 values).
 * @category constructors
 * @since 0.1.0
 */
export const tokenSecretData = (token: Redacted.Redacted<string>): Readonly<Record<string, string>> => ({
  [tokenKey]: Buffer.from(Redacted.value(token), "utf8").toString("base64")
})

/**
 * `status.kspm.tokenSecretHash`: FNV-1 over the JSON of the Secret's data (the original marshals its
 * `map[string][]byte`, whose values become base64 strings). Computed from the base64 data, so it can be
 * recomputed from the live Secret without decoding the token.
 * @category hashing
 * @since 0.1.0
 */
export const tokenSecretHash = (data: Readonly<Record<string, string>>): string =>
  fnv1Hash32(
    JSON.stringify(
      Object.fromEntries(
        Object.keys(data)
          .toSorted()
          .map((key) => [key, data[key]])
      )
    )
  )

/**
 * The Secret `<dk>-kspm-token` (Opaque, owned by the DynaKube, operator labels with component `kspm`).
 * @category constructors
 * @since 0.1.0
 */
export const buildTokenSecret = (input: {
  readonly dynakube: DynaKube
  readonly operator: Pick<OperatorContext, "operatorVersion">
  readonly token: Redacted.Redacted<string>
}): Secret => {
  const name = nameOf(input.dynakube)
  return prune<Secret>({
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMeta(
      input.dynakube,
      tokenSecretName(name),
      coreLabels(name, kspmComponent, input.operator.operatorVersion)
    ),
    type: "Opaque",
    data: tokenSecretData(input.token)
  })
}
