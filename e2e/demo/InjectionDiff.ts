/**
 * What the webhook added to a pod, as readable lines: the pod (as stored) compared with the template it was made
 * from. Added annotations, init containers (with their args), volumes, and per container the added env vars and
 * volume mounts. Lines start with `+ ` (added) or `# ` (a heading).
 *
 * @since 0.1.0
 */

interface Container {
  readonly name: string
  readonly image?: string
  readonly args?: ReadonlyArray<string>
  readonly env?: ReadonlyArray<{ readonly name: string; readonly value?: string; readonly valueFrom?: unknown }>
  readonly volumeMounts?: ReadonlyArray<{
    readonly name: string
    readonly mountPath: string
    readonly subPath?: string
    readonly readOnly?: boolean
  }>
}

export interface PodLike {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> }
  readonly spec?: {
    readonly initContainers?: ReadonlyArray<Container>
    readonly containers?: ReadonlyArray<Container>
    readonly volumes?: ReadonlyArray<{ readonly name: string }>
  }
}

/** The service-account token volume comes from the apiserver's ServiceAccount admission, not from the webhook. */
const fromServiceAccountAdmission = (name: string) => name.startsWith("kube-api-access-")

const short = (text: string, max = 110) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

const volumeSource = (volume: Record<string, unknown>): string => {
  const [kind, source] = Object.entries(volume).find(([k]) => k !== "name") ?? ["?", undefined]
  if (kind === "csi") {
    const csi = source as { driver?: string; volumeAttributes?: Record<string, string> }
    return `csi ${csi.driver} ${Object.entries(csi.volumeAttributes ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(",")}`
  }
  if (kind === "projected") {
    const names = ((source as { sources?: Array<{ secret?: { name?: string } }> }).sources ?? []).map(
      (s) => s.secret?.name
    )
    return `projected secrets ${names.join(", ")}`
  }
  return `${kind} ${JSON.stringify(source)}`
}

const envText = (e: { readonly name: string; readonly value?: string; readonly valueFrom?: unknown }) =>
  e.value !== undefined ? `${e.name}=${e.value}` : `${e.name} from ${JSON.stringify(e.valueFrom)}`

/** The lines describing what `pod` has that `template` had not. */
export const injectionDiff = (template: PodLike, pod: PodLike): ReadonlyArray<string> => {
  const lines: Array<string> = []
  const before = template.metadata?.annotations ?? {}
  const added = Object.entries(pod.metadata?.annotations ?? {}).filter(([k]) => !(k in before))
  if (added.length > 0) {
    lines.push("# annotations")
    for (const [k, v] of added) lines.push(`+ ${k}: ${short(v)}`)
  }
  const templateInits = new Set((template.spec?.initContainers ?? []).map((c) => c.name))
  for (const init of pod.spec?.initContainers ?? []) {
    if (templateInits.has(init.name)) continue
    lines.push(`# init container ${init.name} (${init.image ?? "?"})`)
    for (const arg of init.args ?? []) lines.push(`+ ${short(arg)}`)
    for (const e of init.env ?? []) lines.push(`+ env ${short(envText(e))}`)
    for (const m of init.volumeMounts ?? [])
      lines.push(`+ mount ${m.name} → ${m.mountPath}${m.readOnly ? " (ro)" : ""}`)
  }
  const templateVolumes = new Set((template.spec?.volumes ?? []).map((v) => v.name))
  const newVolumes = (pod.spec?.volumes ?? []).filter(
    (v) => !templateVolumes.has(v.name) && !fromServiceAccountAdmission(v.name)
  )
  if (newVolumes.length > 0) {
    lines.push("# volumes")
    for (const v of newVolumes) lines.push(`+ ${v.name}: ${short(volumeSource(v as Record<string, unknown>))}`)
  }
  for (const c of pod.spec?.containers ?? []) {
    const original = template.spec?.containers?.find((t) => t.name === c.name)
    const env = new Set((original?.env ?? []).map((e) => e.name))
    const mounts = new Set((original?.volumeMounts ?? []).map((m) => m.mountPath))
    const newEnv = (c.env ?? []).filter((e) => !env.has(e.name))
    const newMounts = (c.volumeMounts ?? []).filter(
      (m) => !mounts.has(m.mountPath) && !fromServiceAccountAdmission(m.name)
    )
    if (newEnv.length === 0 && newMounts.length === 0) continue
    lines.push(`# container ${c.name}`)
    for (const e of newEnv) lines.push(`+ env ${short(envText(e))}`)
    for (const m of newMounts) {
      lines.push(`+ mount ${m.name}${m.subPath ? `[${m.subPath}]` : ""} → ${m.mountPath}${m.readOnly ? " (ro)" : ""}`)
    }
  }
  return lines
}
