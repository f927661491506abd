/**
 * The chart's RBAC as data: the grants a service account gets from the rendered Roles, ClusterRoles and their
 * bindings, and the RBAC authorizer's matching rule (group, resource, verb, resourceNames, `*`), so the table in
 * `RbacUsage.ts` can be compared with the chart in both directions.
 *
 * @since 0.1.0
 */
import type { Need } from "./RbacUsage.ts"
import type { Rendered } from "./Render.ts"

/** One RBAC policy rule. */
export interface Rule {
  readonly apiGroups?: ReadonlyArray<string>
  readonly resources?: ReadonlyArray<string>
  readonly verbs: ReadonlyArray<string>
  readonly resourceNames?: ReadonlyArray<string>
  readonly nonResourceURLs?: ReadonlyArray<string>
}

/** A rule and where it applies: the release namespace (a Role, or a ClusterRole bound by a RoleBinding) or all. */
export interface Grant {
  readonly rule: Rule
  readonly scope: "namespace" | "cluster"
  readonly from: string
}

const bindsTo = (binding: any, serviceAccount: string, namespace: string) =>
  (binding.subjects ?? []).some(
    (s: any) =>
      s.kind === "ServiceAccount" &&
      s.name === serviceAccount &&
      (s.namespace ?? binding.metadata.namespace) === namespace
  )

/** Every rule bound to the service account `serviceAccount` of `namespace` in the rendered objects. */
export const grantsOf = (
  objects: ReadonlyArray<Rendered>,
  serviceAccount: string,
  namespace: string
): ReadonlyArray<Grant> => {
  const grants: Array<Grant> = []
  for (const binding of objects.filter(
    (o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding"
  ) as Array<any>) {
    if (!bindsTo(binding, serviceAccount, namespace)) continue
    const ref = binding.roleRef
    const role = objects.find(
      (o) =>
        o.kind === ref.kind &&
        o.metadata.name === ref.name &&
        (ref.kind === "ClusterRole" || o.metadata.namespace === namespace)
    ) as any
    if (role === undefined)
      throw new Error(`${binding.kind}/${binding.metadata.name} refers to a missing ${ref.kind}/${ref.name}`)
    const scope = binding.kind === "ClusterRoleBinding" ? "cluster" : "namespace"
    for (const rule of role.rules ?? []) grants.push({ rule, scope, from: `${ref.kind}/${ref.name}` })
  }
  return grants
}

const has = (list: ReadonlyArray<string> | undefined, value: string) =>
  list !== undefined && (list.includes(value) || list.includes("*"))

/** Does the rule allow this request (as the RBAC authorizer decides)? `name` undefined = a request without name. */
export const ruleAllows = (
  rule: Rule,
  group: string,
  resource: string,
  verb: string,
  name: string | undefined
): boolean =>
  has(rule.apiGroups, group) &&
  has(rule.resources, resource) &&
  has(rule.verbs, verb) &&
  (rule.resourceNames === undefined ||
    rule.resourceNames.length === 0 ||
    (name !== undefined && rule.resourceNames.includes(name)))

/** Is every verb of a need (for every name it lists, or any name) granted in its scope? Returns what is missing. */
export const missing = (grants: ReadonlyArray<Grant>, need: Need): ReadonlyArray<string> => {
  const usable = grants.filter((g) => g.scope === "cluster" || need.scope === "namespace")
  const out: Array<string> = []
  for (const verb of need.verbs) {
    for (const name of need.names ?? [undefined]) {
      if (!usable.some((g) => ruleAllows(g.rule, need.group, need.resource, verb, name))) {
        out.push(
          `${verb} ${need.group || "core"}/${need.resource}${name === undefined ? "" : ` ${name}`} (${need.scope})`
        )
      }
    }
  }
  return out
}

/** Each grant expanded to single (group, resource, verb, names) items. */
export const expand = (grants: ReadonlyArray<Grant>) =>
  grants.flatMap((g) =>
    (g.rule.apiGroups ?? []).flatMap((group) =>
      (g.rule.resources ?? []).flatMap((resource) =>
        g.rule.verbs.map((verb) => ({
          group,
          resource,
          verb,
          names: g.rule.resourceNames ?? [],
          scope: g.scope,
          from: g.from
        }))
      )
    )
  )

/** Is a single granted item justified by a need? */
export const justifiedBy = (item: ReturnType<typeof expand>[number], need: Need): boolean =>
  need.group === item.group &&
  need.resource === item.resource &&
  (need.verbs as ReadonlyArray<string>).includes(item.verb) &&
  (item.scope === "namespace" || need.scope === "cluster") &&
  (need.names === undefined || (item.names.length > 0 && item.names.every((n) => need.names!.includes(n))))
