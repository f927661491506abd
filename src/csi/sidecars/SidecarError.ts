/**
 * The one error of the CSI sidecars (`csi-init`, `csi-node-driver-registrar`, `livenessprobe`), with a reason
 * that says which step failed. The message is the sentence the operator's user reads in the log.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** @category errors @since 0.1.0 */
export const SidecarErrorReason = Schema.Literals([
  /** A flag value that cannot work. */
  "InvalidFlag",
  /** The CSI driver's socket did not answer (or answered with an error). */
  "DriverUnreachable",
  /** The driver answered Probe with ready = false. */
  "DriverNotReady",
  /** A socket or port could not be listened on. */
  "Listen",
  /** The kubelet reported that it did not register the driver. */
  "RegistrationFailed",
  /** The data directory could not be prepared. */
  "DataDir"
])
export type SidecarErrorReason = typeof SidecarErrorReason.Type

/** @category errors @since 0.1.0 */
export class SidecarError extends Schema.TaggedError<SidecarError>()("SidecarError", {
  reason: SidecarErrorReason,
  message: Schema.String
}) {}

/** The first line of an unknown failure, for messages. @category constructors @since 0.1.0 */
export const describe = (cause: unknown): string => {
  const text =
    cause instanceof Error
      ? cause.message
      : typeof cause === "object" && cause !== null && "details" in cause
        ? String(cause.details)
        : String(cause)
  return text.split("\n")[0]?.trim() || "unknown error"
}
