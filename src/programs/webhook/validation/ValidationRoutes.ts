/**
 * The validation endpoints as webhook-server routes (`Routes.ts`): `POST /validate-dynatrace-com-<version>-<kind>`
 * for the four served versions. The server does transport (TLS, body limits, JSON parsing); every parsed body is
 * answered by `handleValidation` with HTTP 200 and an AdmissionReview, denials included, as the apiserver expects.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Route } from "../Routes.ts"
import type { ValidationCluster } from "./ValidationCluster.ts"
import type { ValidationConfig } from "./ValidationConfig.ts"
import { endpoints, handleValidation, type Endpoint } from "./ValidationHandler.ts"

/** The route of one endpoint. @category routes @since 0.1.0 */
export const route = (endpoint: Endpoint): Route<ValidationCluster | ValidationConfig> => ({
  path: endpoint.path,
  handle: (body) => Effect.map(handleValidation(endpoint, body), (review) => ({ status: 200, body: review }))
})

/** The four validation routes. @category routes @since 0.1.0 */
export const validationRoutes: ReadonlyArray<Route<ValidationCluster | ValidationConfig>> = endpoints.map(route)
