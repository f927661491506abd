/**
 * Process-module config (spec §6.2 #9, §2.2.9): `GET /v1/deployment/installer/agent/processmoduleconfig`
 * `?sections=general,agentType[&hostgroup=<group>]` (PaaS token) → `{"revision":n,"properties":[{section,key,value}]}`.
 * An answer without properties is an error (the original refuses it too). Cacheable.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** Endpoint path. */
export const path = "/v1/deployment/installer/agent/processmoduleconfig"

/** One property. */
export const ProcessModuleProperty = Schema.Struct({
  section: Schema.String,
  key: Schema.String,
  value: Schema.String
})

/** The answer. */
export const ProcessModuleConfig = Schema.Struct({
  revision: Schema.Number,
  properties: Schema.Array(ProcessModuleProperty)
})

/** @category models */
export type ProcessModuleConfig = typeof ProcessModuleConfig.Type
