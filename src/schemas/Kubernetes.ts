/**
 * The upstream Kubernetes types our custom resources embed (ObjectMeta, LabelSelector, Toleration,
 * ResourceRequirements, EnvVar, Volume, Condition, ...), as Effect Schemas.
 *
 * Small types that users write by hand and that we read (selectors, tolerations, resources, mounts, conditions,
 * topology spread constraints, rolling-update settings) are modelled field by field, with the upstream
 * constraints. Big upstream types that we only pass through to pod templates (Volume sources, Affinity,
 * NodeAffinity, PersistentVolumeClaimSpec, EnvVarSource, the Docker HealthConfig) are modelled as objects that
 * keep every field (`x-kubernetes-preserve-unknown-fields` in the CRD): the apiserver stores them as sent and the
 * kubelet or controller that consumes them validates them. This keeps the CRDs a fraction of the size of the
 * original's without losing data.
 *
 * Every schema here has `Type` equal to `Encoded` (plain JSON, no transformations), so a decoded value can be
 * written back to the apiserver unchanged.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Annotation keys understood by the CRD generator (`StructuralSchema.ts`) and copied into the OpenAPI schema.
 *
 * @category annotations
 * @since 0.1.0
 */
export const PreserveUnknownFields = "x-kubernetes-preserve-unknown-fields"
/** @category annotations @since 0.1.0 */
export const IntOrStringKey = "x-kubernetes-int-or-string"
/** @category annotations @since 0.1.0 */
export const ListType = "x-kubernetes-list-type"
/** @category annotations @since 0.1.0 */
export const ListMapKeys = "x-kubernetes-list-map-keys"
/** @category annotations @since 0.1.0 */
export const MapType = "x-kubernetes-map-type"

/**
 * A 32-bit signed integer (`format: int32`), as Kubernetes uses for counts, ports and replicas.
 *
 * @category primitives
 * @since 0.1.0
 */
export const Int32 = Schema.Int.check(Schema.isBetween({ minimum: -2147483648, maximum: 2147483647 })).annotate({
  format: "int32"
})

/**
 * A 64-bit signed integer (`format: int64`). JavaScript numbers hold integers exactly up to 2^53, which covers
 * every value these fields take in practice (seconds, generations).
 *
 * @category primitives
 * @since 0.1.0
 */
export const Int64 = Schema.Int.annotate({ format: "int64" })

/**
 * An RFC 3339 timestamp as the apiserver writes it (`metav1.Time`).
 *
 * @category primitives
 * @since 0.1.0
 */
export const Time = Schema.String.annotate({ format: "date-time" })

/**
 * A string-to-string map (labels, annotations, node selectors).
 *
 * @category primitives
 * @since 0.1.0
 */
export const StringMap = Schema.Record(Schema.String, Schema.String)

/**
 * An object that keeps every field it is given; used for big upstream types we pass through unchanged.
 *
 * @category primitives
 * @since 0.1.0
 */
export const Opaque = Schema.Record(Schema.String, Schema.Unknown).annotate({ [PreserveUnknownFields]: true })

/**
 * `intstr.IntOrString`: an integer or a string such as `"25%"`.
 *
 * @category primitives
 * @since 0.1.0
 */
export const IntOrString = Schema.Union([Schema.Int, Schema.String]).annotate({ [IntOrStringKey]: true })

/**
 * `resource.Quantity` (`"100m"`, `"1Gi"`, `2`), with the upstream serialisation pattern for the string form.
 *
 * @category primitives
 * @since 0.1.0
 */
export const Quantity = Schema.Union([
  Schema.Int,
  Schema.String.check(
    Schema.isPattern(
      /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/u
    )
  )
]).annotate({ [IntOrStringKey]: true })

/**
 * `corev1.PullPolicy`.
 *
 * @category primitives
 * @since 0.1.0
 */
export const PullPolicy = Schema.Literals(["IfNotPresent", "Always", "Never"]).annotate({
  description: "Image pull policy: Always, Never or IfNotPresent."
})
/** @category primitives @since 0.1.0 */
export type PullPolicy = typeof PullPolicy.Type

/**
 * `corev1.DNSPolicy`.
 *
 * @category primitives
 * @since 0.1.0
 */
export const DNSPolicy = Schema.Literals(["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"])
/** @category primitives @since 0.1.0 */
export type DNSPolicy = typeof DNSPolicy.Type

/**
 * The part of `metav1.ObjectMeta` we read and write; every other metadata field is kept as is.
 *
 * @category metadata
 * @since 0.1.0
 */
export const ObjectMeta = Schema.StructWithRest(
  Schema.Struct({
    name: Schema.optionalKey(Schema.String),
    generateName: Schema.optionalKey(Schema.String),
    namespace: Schema.optionalKey(Schema.String),
    uid: Schema.optionalKey(Schema.String),
    resourceVersion: Schema.optionalKey(Schema.String),
    generation: Schema.optionalKey(Int64),
    creationTimestamp: Schema.optionalKey(Time),
    deletionTimestamp: Schema.optionalKey(Time),
    labels: Schema.optionalKey(StringMap),
    annotations: Schema.optionalKey(StringMap),
    finalizers: Schema.optionalKey(Schema.Array(Schema.String))
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
).annotate({ description: "Standard object metadata." })
/** @category metadata @since 0.1.0 */
export type ObjectMeta = typeof ObjectMeta.Type

/**
 * `metav1.LabelSelectorRequirement`.
 *
 * @category selectors
 * @since 0.1.0
 */
export const LabelSelectorRequirement = Schema.Struct({
  key: Schema.String.annotate({ description: "The label key the selector applies to." }),
  operator: Schema.String.annotate({ description: "One of In, NotIn, Exists and DoesNotExist." }),
  values: Schema.optionalKey(
    Schema.Array(Schema.String)
      .annotate({ [ListType]: "atomic" })
      .annotate({ description: "Values for In and NotIn; must be empty for Exists and DoesNotExist." })
  )
})

/**
 * `metav1.LabelSelector`. An empty selector matches everything.
 *
 * @category selectors
 * @since 0.1.0
 */
export const LabelSelector = Schema.Struct({
  matchLabels: Schema.optionalKey(
    StringMap.annotate({ description: "Labels that must all be present with these values." })
  ),
  matchExpressions: Schema.optionalKey(
    Schema.Array(LabelSelectorRequirement)
      .annotate({ [ListType]: "atomic" })
      .annotate({ description: "Requirements that must all hold." })
  )
}).annotate({ [MapType]: "atomic" })
/** @category selectors @since 0.1.0 */
export type LabelSelector = typeof LabelSelector.Type

/**
 * `corev1.Toleration`.
 *
 * @category scheduling
 * @since 0.1.0
 */
export const Toleration = Schema.Struct({
  key: Schema.optionalKey(
    Schema.String.annotate({ description: "Taint key the toleration applies to; empty matches all keys." })
  ),
  operator: Schema.optionalKey(Schema.String.annotate({ description: "Exists or Equal (default)." })),
  value: Schema.optionalKey(Schema.String.annotate({ description: "Taint value to match with operator Equal." })),
  effect: Schema.optionalKey(
    Schema.String.annotate({
      description: "Taint effect to match: NoSchedule, PreferNoSchedule or NoExecute; empty matches all."
    })
  ),
  tolerationSeconds: Schema.optionalKey(
    Int64.annotate({ description: "For NoExecute: how long the pod stays bound after the taint appears." })
  )
})
/** @category scheduling @since 0.1.0 */
export type Toleration = typeof Toleration.Type

/**
 * A list of tolerations.
 *
 * @category scheduling
 * @since 0.1.0
 */
export const Tolerations = Schema.Array(Toleration)

/**
 * `corev1.ResourceClaim` (dynamic resource allocation) as referenced from resource requirements.
 *
 * @category resources
 * @since 0.1.0
 */
export const ResourceClaim = Schema.Struct({
  name: Schema.String.annotate({ description: "Name of an entry in the pod's resourceClaims." }),
  request: Schema.optionalKey(Schema.String.annotate({ description: "Name of one request in that claim." }))
})

/**
 * `corev1.ResourceRequirements`.
 *
 * @category resources
 * @since 0.1.0
 */
export const ResourceRequirements = Schema.Struct({
  limits: Schema.optionalKey(
    Schema.Record(Schema.String, Quantity).annotate({ description: "Maximum amount of compute resources allowed." })
  ),
  requests: Schema.optionalKey(
    Schema.Record(Schema.String, Quantity).annotate({ description: "Minimum amount of compute resources required." })
  ),
  claims: Schema.optionalKey(
    Schema.Array(ResourceClaim)
      .annotate({ [ListType]: "map", [ListMapKeys]: ["name"] })
      .annotate({ description: "Dynamically allocated resources used by the container." })
  )
})
/** @category resources @since 0.1.0 */
export type ResourceRequirements = typeof ResourceRequirements.Type

/**
 * `corev1.EnvVar`. The `valueFrom` source (secret, config map, field or resource reference) is kept as sent.
 *
 * @category containers
 * @since 0.1.0
 */
export const EnvVar = Schema.Struct({
  name: Schema.String.annotate({ description: "Name of the environment variable." }),
  value: Schema.optionalKey(Schema.String.annotate({ description: "Literal value; $(VAR) references are expanded." })),
  valueFrom: Schema.optionalKey(
    Opaque.annotate({
      description:
        "Source of the value: secretKeyRef, configMapKeyRef, fieldRef or resourceFieldRef (upstream EnvVarSource)."
    })
  )
})
/** @category containers @since 0.1.0 */
export type EnvVar = typeof EnvVar.Type

/**
 * A list of environment variables.
 *
 * @category containers
 * @since 0.1.0
 */
export const EnvVars = Schema.Array(EnvVar)

/**
 * `corev1.VolumeMount`.
 *
 * @category containers
 * @since 0.1.0
 */
export const VolumeMount = Schema.Struct({
  name: Schema.String.annotate({ description: "Name of the volume to mount." }),
  mountPath: Schema.String.annotate({ description: "Path inside the container; must not contain ':'." }),
  readOnly: Schema.optionalKey(Schema.Boolean.annotate({ description: "Mount read-only." })),
  recursiveReadOnly: Schema.optionalKey(Schema.String.annotate({ description: "Disabled, IfPossible or Enabled." })),
  subPath: Schema.optionalKey(
    Schema.String.annotate({ description: "Path within the volume to mount instead of its root." })
  ),
  subPathExpr: Schema.optionalKey(
    Schema.String.annotate({
      description: "Like subPath, with $(VAR) references expanded from the container's environment."
    })
  ),
  mountPropagation: Schema.optionalKey(
    Schema.String.annotate({ description: "None, HostToContainer or Bidirectional." })
  )
})
/** @category containers @since 0.1.0 */
export type VolumeMount = typeof VolumeMount.Type

/**
 * `corev1.Volume`: a name plus exactly one volume source (configMap, secret, emptyDir, csi, projected, ...).
 * The source is kept as sent; the kubelet validates it.
 *
 * @category containers
 * @since 0.1.0
 */
export const Volume = Schema.StructWithRest(
  Schema.Struct({
    name: Schema.String.annotate({ description: "Name of the volume; volume mounts refer to it." })
  }),
  [Schema.Record(Schema.String, Schema.Unknown)]
).annotate({
  [PreserveUnknownFields]: true,
  description:
    "A pod volume: a name and one volume source (configMap, secret, emptyDir, csi, projected, persistentVolumeClaim, ...)."
})
/** @category containers @since 0.1.0 */
export type Volume = typeof Volume.Type

/**
 * `corev1.Affinity` (node, pod and pod anti-affinity), kept as sent.
 *
 * @category scheduling
 * @since 0.1.0
 */
export const Affinity = Opaque.annotate({
  description: "Scheduling affinity: nodeAffinity, podAffinity and podAntiAffinity (upstream Affinity)."
})

/**
 * `corev1.NodeAffinity`, kept as sent.
 *
 * @category scheduling
 * @since 0.1.0
 */
export const NodeAffinity = Opaque.annotate({
  description: "Node affinity rules (upstream NodeAffinity): required and preferred node selector terms."
})

/**
 * `corev1.PersistentVolumeClaimSpec`, kept as sent.
 *
 * @category storage
 * @since 0.1.0
 */
export const PersistentVolumeClaimSpec = Opaque.annotate({
  description:
    "A persistent volume claim spec (upstream PersistentVolumeClaimSpec): accessModes, resources, storageClassName, ..."
})

/**
 * `corev1.TopologySpreadConstraint`.
 *
 * @category scheduling
 * @since 0.1.0
 */
export const TopologySpreadConstraint = Schema.Struct({
  maxSkew: Int32.annotate({ description: "Maximum permitted difference in matching pods between topology domains." }),
  topologyKey: Schema.String.annotate({ description: "Node label key that defines a topology domain." }),
  whenUnsatisfiable: Schema.String.annotate({ description: "DoNotSchedule or ScheduleAnyway." }),
  labelSelector: Schema.optionalKey(LabelSelector.annotate({ description: "Selects the pods that are counted." })),
  matchLabelKeys: Schema.optionalKey(
    Schema.Array(Schema.String)
      .annotate({ [ListType]: "atomic" })
      .annotate({ description: "Pod label keys whose values are added to the label selector." })
  ),
  minDomains: Schema.optionalKey(Int32.annotate({ description: "Minimum number of eligible domains." })),
  nodeAffinityPolicy: Schema.optionalKey(
    Schema.String.annotate({ description: "Honor or Ignore node affinity when counting." })
  ),
  nodeTaintsPolicy: Schema.optionalKey(
    Schema.String.annotate({ description: "Honor or Ignore node taints when counting." })
  )
})
/** @category scheduling @since 0.1.0 */
export type TopologySpreadConstraint = typeof TopologySpreadConstraint.Type

/**
 * A list of topology spread constraints.
 *
 * @category scheduling
 * @since 0.1.0
 */
export const TopologySpreadConstraints = Schema.Array(TopologySpreadConstraint)

/**
 * `appsv1.RollingUpdateDaemonSet`.
 *
 * @category workloads
 * @since 0.1.0
 */
export const RollingUpdateDaemonSet = Schema.Struct({
  maxUnavailable: Schema.optionalKey(
    IntOrString.annotate({
      description: "Maximum number (or percentage) of pods that may be unavailable during the update."
    })
  ),
  maxSurge: Schema.optionalKey(
    IntOrString.annotate({
      description: "Maximum number (or percentage) of nodes running an extra, updated pod during the update."
    })
  )
})
/** @category workloads @since 0.1.0 */
export type RollingUpdateDaemonSet = typeof RollingUpdateDaemonSet.Type

/**
 * `appsv1.DaemonSetUpdateStrategy`.
 *
 * @category workloads
 * @since 0.1.0
 */
export const DaemonSetUpdateStrategy = Schema.Struct({
  type: Schema.optionalKey(Schema.String.annotate({ description: "RollingUpdate (default) or OnDelete." })),
  rollingUpdate: Schema.optionalKey(
    RollingUpdateDaemonSet.annotate({ description: "Settings for type RollingUpdate." })
  )
})

/**
 * `appsv1.RollingUpdateStatefulSetStrategy`.
 *
 * @category workloads
 * @since 0.1.0
 */
export const RollingUpdateStatefulSetStrategy = Schema.Struct({
  partition: Schema.optionalKey(
    Int32.annotate({ description: "Only pods with an ordinal at or above this are updated." })
  ),
  maxUnavailable: Schema.optionalKey(
    IntOrString.annotate({
      description: "Maximum number (or percentage) of pods that may be unavailable during the update."
    })
  )
})
/** @category workloads @since 0.1.0 */
export type RollingUpdateStatefulSetStrategy = typeof RollingUpdateStatefulSetStrategy.Type

/**
 * `metav1.Condition`, with the upstream constraints.
 *
 * @category status
 * @since 0.1.0
 */
export const Condition = Schema.Struct({
  type: Schema.String.check(
    Schema.isMaxLength(316),
    Schema.isPattern(
      /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/u
    )
  ).annotate({ description: "Type of the condition, in CamelCase." }),
  status: Schema.Literals(["True", "False", "Unknown"]).annotate({ description: "True, False or Unknown." }),
  observedGeneration: Schema.optionalKey(
    Int64.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
      description: "The .metadata.generation the condition was computed from."
    })
  ),
  lastTransitionTime: Time.annotate({ description: "When the status last changed." }),
  reason: Schema.String.check(
    Schema.isMinLength(1),
    Schema.isMaxLength(1024),
    Schema.isPattern(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/u)
  ).annotate({ description: "Machine-readable CamelCase reason for the last transition." }),
  message: Schema.String.check(Schema.isMaxLength(32768)).annotate({ description: "Human-readable details." })
})
/** @category status @since 0.1.0 */
export type Condition = typeof Condition.Type

/**
 * A list of conditions keyed by `type`.
 *
 * @category status
 * @since 0.1.0
 */
export const Conditions = Schema.Array(Condition).annotate({ [ListType]: "map", [ListMapKeys]: ["type"] })
