/**
 * The one error a CSI call fails with. Its `code` is the gRPC status the kubelet receives, chosen where the
 * failure is understood (a bad path is `InvalidArgument`, a code module that is not there yet is `Unavailable`)
 * and turned into a gRPC status once, at the server boundary (`toServiceError`).
 *
 * The kubelet treats the codes differently: `InvalidArgument` is a caller mistake, `Unavailable`,
 * `ResourceExhausted`, `Aborted` and `Internal` are retried with backoff.
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
import { Schema } from "effect"

/** The gRPC status codes this driver answers with. @category models @since 0.1.0 */
export const Code = Schema.Literals([
  "InvalidArgument",
  "NotFound",
  "FailedPrecondition",
  "Aborted",
  "ResourceExhausted",
  "Unavailable",
  "Unimplemented",
  "Internal"
])
export type Code = typeof Code.Type

/** A failed CSI call: the status code for the kubelet and a message that says what to fix. @category errors @since 0.1.0 */
export class CsiError extends Schema.TaggedError<CsiError>()("CsiError", {
  code: Code,
  message: Schema.String
}) {}

/** Shorthand constructors, one per code. @category constructors @since 0.1.0 */
export const invalidArgument = (message: string) => new CsiError({ code: "InvalidArgument", message })
export const unavailable = (message: string) => new CsiError({ code: "Unavailable", message })
export const internal = (message: string) => new CsiError({ code: "Internal", message })
export const aborted = (message: string) => new CsiError({ code: "Aborted", message })
export const resourceExhausted = (message: string) => new CsiError({ code: "ResourceExhausted", message })
export const unimplemented = (message: string) => new CsiError({ code: "Unimplemented", message })

const statusOf: Record<Code, grpc.status> = {
  InvalidArgument: grpc.status.INVALID_ARGUMENT,
  NotFound: grpc.status.NOT_FOUND,
  FailedPrecondition: grpc.status.FAILED_PRECONDITION,
  Aborted: grpc.status.ABORTED,
  ResourceExhausted: grpc.status.RESOURCE_EXHAUSTED,
  Unavailable: grpc.status.UNAVAILABLE,
  Unimplemented: grpc.status.UNIMPLEMENTED,
  Internal: grpc.status.INTERNAL
}

/** The gRPC status number of a code. @category conversions @since 0.1.0 */
export const grpcStatus = (code: Code): grpc.status => statusOf[code]

/** The error object a grpc-js unary callback takes. @category conversions @since 0.1.0 */
export const toServiceError = (error: CsiError): Partial<grpc.StatusObject> => ({
  code: statusOf[error.code],
  details: error.message
})
