/**
 * The webhook's serving certificate (spec §2.4, §3.1): files `--cert` and `--cert-key` in `--certs-dir`, filled
 * from the `dynatrace-webhook-certs` Secret that the operator's certificate controller maintains.
 *
 * - `syncFromSecret` watches that Secret in the operator namespace and writes `tls.crt` / `tls.key` into the
 *   directory whenever they change (atomically: a temporary file, then rename; mode 0600). The original polls
 *   every 6 hours; a watch picks a rotation up at once.
 * - `load` reads the pair; `awaitPair` waits for it at start (default up to 5 minutes); `changes` is a stream of
 *   new, valid pairs (checked every `interval` and whenever the directory changes), which the server installs
 *   with `setSecureContext` — no restart, established connections keep their session.
 *
 * A pair that does not load (half-written, key not matching the certificate) is never installed; the previous
 * one stays in force and a warning says why. Key material never reaches a log line.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option, Queue, Schedule, Schema, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as tls from "node:tls"
import { KubeClient } from "../../services/KubeClient.ts"
import type { KubeObject } from "../../services/kube/KubeObject.ts"
import * as Resources from "../../services/kube/Resources.ts"

/** The Secret the operator keeps the certificates in. @category constants @since 0.1.0 */
export const secretName = "dynatrace-webhook-certs"

/** Where the pair lives. @category models @since 0.1.0 */
export interface CertPaths {
  readonly dir: string
  /** file name in `dir` (default `tls.crt`) */
  readonly cert: string
  /** file name in `dir` (default `tls.key`) */
  readonly key: string
}

/** A certificate chain and its key, PEM. @category models @since 0.1.0 */
export interface Pair {
  readonly cert: string
  readonly key: string
}

/** The certificate is not there in time. @category errors @since 0.1.0 */
export class CertificateUnavailable extends Schema.TaggedError<CertificateUnavailable>()("CertificateUnavailable", {
  message: Schema.String
}) {}

const certPath = (p: CertPaths) => path.join(p.dir, p.cert)
const keyPath = (p: CertPaths) => path.join(p.dir, p.key)

const readText = (file: string) => Effect.tryPromise(() => fs.promises.readFile(file, "utf8")).pipe(Effect.option)

/** The pair, when both files exist and are non-empty. @category loading @since 0.1.0 */
export const load = (paths: CertPaths): Effect.Effect<Option.Option<Pair>> =>
  Effect.map(Effect.all([readText(certPath(paths)), readText(keyPath(paths))]), ([cert, key]) =>
    Option.isSome(cert) && Option.isSome(key) && cert.value.trim() !== "" && key.value.trim() !== ""
      ? Option.some({ cert: cert.value, key: key.value })
      : Option.none()
  )

/** TLS options of the server for a pair (TLS 1.3 minimum, as the original). @category tls @since 0.1.0 */
export const secureOptions = (pair: Pair): tls.SecureContextOptions => ({
  cert: pair.cert,
  key: pair.key,
  minVersion: "TLSv1.3"
})

/** Whether the pair forms a usable TLS context (parsable, key matches certificate); the reason when not. @category tls @since 0.1.0 */
export const check = (pair: Pair): Option.Option<string> => {
  try {
    tls.createSecureContext(secureOptions(pair))
    return Option.none()
  } catch (error) {
    return Option.some(error instanceof Error ? error.message : String(error))
  }
}

/** Waits until a valid pair is in the directory, checking every `every`. @category loading @since 0.1.0 */
export const awaitPair = (
  paths: CertPaths,
  options: { readonly timeout?: Duration.Input; readonly every?: Duration.Input } = {}
): Effect.Effect<Pair, CertificateUnavailable> => {
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "5 minutes")
  const attempt: Effect.Effect<Option.Option<Pair>> = Effect.map(load(paths), (pair) =>
    Option.filter(pair, (p) => Option.isNone(check(p)))
  )
  const loop: Effect.Effect<Pair> = Effect.flatMap(attempt, (pair) =>
    Option.isSome(pair) ? Effect.succeed(pair.value) : Effect.andThen(Effect.sleep(options.every ?? "1 second"), loop)
  )
  return loop.pipe(
    Effect.timeoutOption(timeout),
    Effect.flatMap(
      Option.match({
        onSome: Effect.succeed,
        onNone: () =>
          Effect.fail(
            new CertificateUnavailable({
              message: `no valid certificate and key in ${paths.dir} (${paths.cert}, ${paths.key}) after ${Duration.format(timeout)}`
            })
          )
      })
    )
  )
}

const writeAtomically = (file: string, content: string) =>
  Effect.tryPromise(async () => {
    const current = await fs.promises.readFile(file, "utf8").catch(() => undefined)
    if (current === content) return false
    const temporary = `${file}.${process.pid}.tmp`
    await fs.promises.writeFile(temporary, content, { mode: 0o600 })
    await fs.promises.rename(temporary, file)
    return true
  })

/** Writes a pair into the directory (creating it); `true` when a file changed. @category writing @since 0.1.0 */
export const write = (paths: CertPaths, pair: Pair): Effect.Effect<boolean, unknown> =>
  Effect.gen(function* () {
    yield* Effect.tryPromise(() => fs.promises.mkdir(paths.dir, { recursive: true, mode: 0o700 }))
    // Key first: a reader that sees the new certificate finds its key already in place.
    const key = yield* writeAtomically(keyPath(paths), pair.key)
    const cert = yield* writeAtomically(certPath(paths), pair.cert)
    return key || cert
  })

const fromBase64 = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? Buffer.from(value, "base64").toString("utf8") : undefined

/** `tls.crt` / `tls.key` of the Secret's data, when both are there. @category writing @since 0.1.0 */
export const pairOfSecret = (secret: KubeObject & { readonly data?: unknown }): Option.Option<Pair> => {
  const data = (secret.data ?? {}) as Record<string, unknown>
  const cert = fromBase64(data["tls.crt"])
  const key = fromBase64(data["tls.key"])
  return cert !== undefined && key !== undefined ? Option.some({ cert, key }) : Option.none()
}

/**
 * Keeps the directory in step with the Secret, for as long as the effect runs (it never ends on its own; the watch
 * reconnects by itself).
 * @category writing
 * @since 0.1.0
 */
export const syncFromSecret = (paths: CertPaths, namespace: string): Effect.Effect<void, never, KubeClient> =>
  Effect.gen(function* () {
    const client = yield* KubeClient
    yield* client
      .watch<KubeObject & { readonly data?: unknown }>(Resources.Secret, {
        namespace,
        fieldSelector: `metadata.name=${secretName}`
      })
      .pipe(
        Stream.runForEach((event) => {
          if (event.type !== "Added" && event.type !== "Modified") return Effect.void
          const pair = pairOfSecret(event.object)
          if (Option.isNone(pair)) {
            return Effect.logInfo("Waiting for the webhook certificate Secret to hold tls.crt and tls.key").pipe(
              Effect.annotateLogs({ secret: `${namespace}/${secretName}` })
            )
          }
          return write(paths, pair.value).pipe(
            Effect.flatMap((changed) =>
              changed
                ? Effect.logInfo("Wrote the webhook certificate from its Secret").pipe(
                    Effect.annotateLogs({ secret: `${namespace}/${secretName}`, dir: paths.dir })
                  )
                : Effect.void
            ),
            Effect.catch((error) =>
              Effect.logError("Could not write the webhook certificate").pipe(
                Effect.annotateLogs({ dir: paths.dir, error: error instanceof Error ? error.message : String(error) })
              )
            )
          )
        })
      )
  })

/**
 * New valid pairs as they appear (not the one already in force): checked every `interval` and when the directory
 * reports a change.
 * @category reloading
 * @since 0.1.0
 */
export const changes = (paths: CertPaths, initial: Pair, interval: Duration.Input): Stream.Stream<Pair> =>
  Stream.callback<void>((queue) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        try {
          return fs.watch(paths.dir, { persistent: false }, () => void Queue.offerUnsafe(queue, undefined))
        } catch {
          return undefined // no inotify: polling alone does the job
        }
      }),
      (watcher) => Effect.sync(() => watcher?.close())
    )
  ).pipe(
    Stream.merge(Stream.fromEffectSchedule(Effect.void, Schedule.spaced(interval))),
    Stream.mapEffect(() => load(paths)),
    Stream.filter(Option.isSome),
    Stream.map((pair) => pair.value),
    Stream.changesWith((a, b) => a.cert === b.cert && a.key === b.key),
    Stream.filter((pair) => pair.cert !== initial.cert || pair.key !== initial.key),
    Stream.mapEffect((pair) =>
      Option.match(check(pair), {
        onNone: () => Effect.succeed(Option.some(pair)),
        onSome: (reason) =>
          Effect.logWarning("Ignored a webhook certificate that does not load; the previous one stays").pipe(
            Effect.annotateLogs({ dir: paths.dir, error: reason }),
            Effect.as(Option.none<Pair>())
          )
      })
    ),
    Stream.filter(Option.isSome),
    Stream.map((pair) => pair.value)
  )
