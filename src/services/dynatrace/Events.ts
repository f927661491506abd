/**
 * Events ingest for host availability detection (spec §6.2 #14, §2.5): `POST /v1/events` with
 * `{"eventType":"MARKED_FOR_TERMINATION","description","source":"Dynatrace Operator","attachRules":{"entityIds":[…]},`
 * `"start":ms,"end":ms}` (API token, scope `DataExport`). The answer is not used.
 *
 * @since 0.1.0
 */

/** Endpoint path. */
export const path = "/v1/events"

/** The event the nodes controller sends for a node that is going away. */
export interface MarkedForTerminationEvent {
  readonly eventType: "MARKED_FOR_TERMINATION"
  readonly description: string
  readonly source: string
  readonly attachRules: { readonly entityIds: ReadonlyArray<string> }
  readonly start: number
  readonly end: number
}

/** The fixed description of the original. */
export const defaultDescription = "Kubernetes node cordoned. Node might be drained or terminated."

/** The event for `entityIds`; start and end are both `atMillis` (the original uses seen − 10 min). */
export const markedForTermination = (
  entityIds: ReadonlyArray<string>,
  atMillis: number,
  description: string = defaultDescription
): MarkedForTerminationEvent => ({
  eventType: "MARKED_FOR_TERMINATION",
  description,
  source: "Dynatrace Operator",
  attachRules: { entityIds },
  start: atMillis,
  end: atMillis
})
