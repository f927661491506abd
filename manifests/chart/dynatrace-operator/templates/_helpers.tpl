{{/*
Helpers shared by every template: names and labels, platform and image resolution, scheduling defaults, the
environment every component reads. Behaviour reference: docs/helm.md and spec §8.
*/}}

{{- define "dynatrace-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. Selector labels are separate and never change (selectors are immutable). */}}
{{- define "dynatrace-operator.commonLabels" -}}
app.kubernetes.io/name: dynatrace-operator
{{- if not .Values.manifests }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- if not .Values.manifests }}
helm.sh/chart: {{ include "dynatrace-operator.chart" . }}
{{- end }}
{{- if eq (include "dynatrace-operator.platform" .) "azure-marketplace" }}
azure-extensions-usage-release-identifier: {{ .Release.Name | quote }}
{{- end }}
{{- end -}}

{{/* Labels of one component: call with (list $ "webhook"). */}}
{{- define "dynatrace-operator.componentLabels" -}}
{{- $root := index . 0 -}}
{{ include "dynatrace-operator.commonLabels" $root }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "dynatrace-operator.operatorSelectorLabels" -}}
name: {{ .Release.Name }}
{{- end -}}

{{- define "dynatrace-operator.webhookSelectorLabels" -}}
internal.dynatrace.com/component: webhook
internal.dynatrace.com/app: webhook
{{- end -}}

{{- define "dynatrace-operator.csiSelectorLabels" -}}
internal.oneagent.dynatrace.com/app: csi-driver
internal.oneagent.dynatrace.com/component: csi-driver
{{- end -}}

{{/* "openshift" | "kubernetes" | a marketplace name: the value, else detected from the served API groups. */}}
{{- define "dynatrace-operator.platform" -}}
{{- if .Values.platform -}}
{{- .Values.platform -}}
{{- else if .Capabilities.APIVersions.Has "security.openshift.io/v1" -}}
openshift
{{- else -}}
kubernetes
{{- end -}}
{{- end -}}

{{/* "true" on OpenShift or under OLM (SCC rules, CSIDriver profile label), else empty. */}}
{{- define "dynatrace-operator.openshiftOrOlm" -}}
{{- if or (eq (include "dynatrace-operator.platform" .) "openshift") .Values.olm -}}
true
{{- end -}}
{{- end -}}

{{/* Value of the dynatrace.com/install-source label of the operator Deployment. */}}
{{- define "dynatrace-operator.installSource" -}}
{{- if .Values.olm -}}
operatorhub
{{- else if .Values.manifests -}}
manifest
{{- else if and .Values.platform (not (has .Values.platform (list "kubernetes" "openshift"))) -}}
{{- .Values.platform -}}
{{- else -}}
helm
{{- end -}}
{{- end -}}

{{/* The one image of every component; first hit wins (spec §8.1). */}}
{{- define "dynatrace-operator.image" -}}
{{- $platform := include "dynatrace-operator.platform" . -}}
{{- if .Values.image -}}
{{- .Values.image -}}
{{- else if .Values.imageRef.repository -}}
{{- if .Values.imageRef.digest -}}
{{- printf "%s@%s" .Values.imageRef.repository .Values.imageRef.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.imageRef.repository (.Values.imageRef.tag | default (printf "v%s" .Chart.AppVersion)) -}}
{{- end -}}
{{- else if hasPrefix "0.0.0-nightly-" .Chart.AppVersion -}}
{{- printf "ghcr.io/dynatrace/dynatrace-operator:%s" (trimPrefix "0.0.0-" .Chart.AppVersion) -}}
{{- else if eq $platform "openshift" -}}
{{- printf "registry.connect.redhat.com/dynatrace/dynatrace-operator:v%s" .Chart.AppVersion -}}
{{- else if eq $platform "google-marketplace" -}}
{{- printf "gcr.io/dynatrace-marketplace-prod/dynatrace-operator:%s" .Chart.AppVersion -}}
{{- else if eq $platform "azure-marketplace" -}}
{{- $azure := ((.Values.global).azure).images.operator -}}
{{- printf "%s/%s@%s" $azure.registry $azure.image $azure.digest -}}
{{- else -}}
{{- printf "public.ecr.aws/dynatrace/dynatrace-operator:v%s" .Chart.AppVersion -}}
{{- end -}}
{{- end -}}

{{/* image + pull policy lines of a container. */}}
{{- define "dynatrace-operator.containerImage" -}}
image: {{ include "dynatrace-operator.image" . }}
{{- with .Values.imageRef.pullPolicy }}
imagePullPolicy: {{ . }}
{{- end }}
{{- end -}}

{{- define "dynatrace-operator.imagePullSecrets" -}}
{{- with .Values.customPullSecret -}}
imagePullSecrets:
  - name: {{ . }}
{{- end }}
{{- end -}}

{{/* Operator pods run on Linux nodes of the architectures the image is built for. */}}
{{- define "dynatrace-operator.nodeAffinity" -}}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions:
            - key: kubernetes.io/arch
              operator: In
              values:
                - amd64
                - arm64
                - ppc64le
                - s390x
            - key: kubernetes.io/os
              operator: In
              values:
                - linux
{{- end -}}

{{- define "dynatrace-operator.defaultTolerations" -}}
{{- range $i, $arch := list "amd64" "arm64" "ppc64le" "s390x" }}
{{- if $i }}{{ "\n" }}{{ end -}}
- key: kubernetes.io/arch
  value: {{ $arch }}
  effect: NoSchedule
{{- end }}
{{- end -}}

{{/* AppArmor: the securityContext field from Kubernetes 1.31, the beta annotation before. */}}
{{- define "dynatrace-operator.appArmorFieldSupported" -}}
{{- if semverCompare ">=1.31.0-0" .Capabilities.KubeVersion.Version -}}
true
{{- end -}}
{{- end -}}

{{- define "dynatrace-operator.appArmorProfile" -}}
{{- if include "dynatrace-operator.appArmorFieldSupported" . -}}
appArmorProfile:
  type: RuntimeDefault
{{- end }}
{{- end -}}

{{/* modules.json: which product modules this installation enables (read by operator, webhook and CSI). */}}
{{- define "dynatrace-operator.modulesJsonEnv" -}}
- name: modules.json
  value: |
    {
      "csiDriver": {{ and .Values.csidriver.enabled (not .Values.csidriver.migrationMode) }},
      "activeGate": {{ .Values.rbac.activeGate.create }},
      "oneAgent": {{ .Values.rbac.oneAgent.create }},
      "extensions": {{ .Values.rbac.extensions.create }},
      "logMonitoring": {{ .Values.rbac.logMonitoring.create }},
      "edgeConnect": {{ .Values.rbac.edgeConnect.create }},
      "supportability": {{ .Values.rbac.supportability }},
      "kubernetesMonitoring": {{ .Values.rbac.kubernetesMonitoring.create }},
      "kspm": {{ .Values.rbac.kspm.create }}
    }
{{- end -}}

{{/* What every operator and webhook pod is told about itself. */}}
{{- define "dynatrace-operator.commonPodEnv" -}}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: DT_OPERATOR_IMAGE
  value: {{ include "dynatrace-operator.image" . }}
- name: OLM_OPERATOR_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.annotations['olm.operatorNamespace']
- name: APP_VERSION
  value: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "dynatrace-operator.pullSecretEnv" -}}
{{- with .Values.customPullSecret -}}
- name: DT_OPERATOR_PULL_SECRET
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "dynatrace-operator.logLevelEnv" -}}
{{- if or .Values.debugLogs .Values.debug -}}
- name: LOG_LEVEL
  value: debug
{{- end }}
{{- end -}}

{{/*
NODE_OPTIONS from the container's memory limit (argument: a map with "limits", optionally "semiSpace" in MB):
--max-old-space-size = three quarters of the limit, so garbage collection gets strict before the cgroup limit
kills the process; --max-semi-space-size caps the young generation, which otherwise grows under load and stays
resident (docs/operator.md, docs/webhook.md). The original sets GOMEMLIMIT (90 %) for its Go binary; a Node
process ignores that.
*/}}
{{- define "dynatrace-operator.heapLimitEnv" -}}
{{- $flags := list -}}
{{- with .semiSpace }}{{ $flags = append $flags (printf "--max-semi-space-size=%v" .) }}{{ end -}}
{{- $limit := "" -}}
{{- with .limits }}{{ with .memory }}{{ $limit = toString . }}{{ end }}{{ end -}}
{{- if $limit -}}
{{- $mib := 0 -}}
{{- if hasSuffix "Gi" $limit -}}{{- $mib = mul (trimSuffix "Gi" $limit | atoi) 1024 -}}
{{- else if hasSuffix "Mi" $limit -}}{{- $mib = trimSuffix "Mi" $limit | atoi -}}
{{- else if hasSuffix "G" $limit -}}{{- $mib = div (mul (trimSuffix "G" $limit | atoi) 1000000000) 1048576 -}}
{{- else if hasSuffix "M" $limit -}}{{- $mib = div (mul (trimSuffix "M" $limit | atoi) 1000000) 1048576 -}}
{{- else if regexMatch "^[0-9]+$" $limit -}}{{- $mib = div (atoi $limit) 1048576 -}}
{{- end -}}
{{- if gt (int $mib) 0 -}}
{{- $flags = append $flags (printf "--max-old-space-size=%d" (div (mul $mib 3) 4)) -}}
{{- end -}}
{{- end -}}
{{- if $flags -}}
- name: NODE_OPTIONS
  value: {{ join " " $flags | quote }}
{{- end -}}
{{- end -}}

{{/* DT_WEBHOOK_CERTS_* on the operator container and the certgen init container. */}}
{{- define "dynatrace-operator.webhookCertsEnv" -}}
{{- $env := list -}}
{{- $certs := .Values.webhook.certs -}}
{{- range $key, $name := dict "rootDuration" "DT_WEBHOOK_CERTS_ROOT_DURATION" "serverDuration" "DT_WEBHOOK_CERTS_SERVER_DURATION" "renewalThreshold" "DT_WEBHOOK_CERTS_RENEWAL_THRESHOLD" "requeueAfter" "DT_WEBHOOK_CERTS_REQUEUE_AFTER" -}}
{{- with index $certs $key -}}
{{- $env = append $env (dict "name" $name "value" (toString .)) -}}
{{- end -}}
{{- end -}}
{{- if $env -}}
{{- toYaml $env -}}
{{- end -}}
{{- end -}}

{{/*
A startup probe running `startup-probe` (checks cluster DNS), only when the values ask for one: call with
(list $ .Values.<component>.startupProbe).
*/}}
{{- define "dynatrace-operator.startupProbe" -}}
{{- $probe := index . 1 -}}
{{- if $probe -}}
startupProbe:
  exec:
    command:
      - node
      - /app/dist/main.js
      - startup-probe
  periodSeconds: {{ $probe.periodSeconds | default 10 }}
  timeoutSeconds: {{ $probe.timeoutSeconds | default 5 }}
  failureThreshold: {{ $probe.failureThreshold | default 1 }}
{{- end }}
{{- end -}}

{{- define "dynatrace-operator.webhookReplicas" -}}
{{- if or (not .Values.webhook.highAvailability) .Values.debug -}}
1
{{- else -}}
{{- .Values.webhook.replicas -}}
{{- end -}}
{{- end -}}

{{/* CSI paths on the node, all under csidriver.kubeletPath. */}}
{{- define "dynatrace-operator.kubeletPath" -}}
{{- trimSuffix "/" (default "/var/lib/kubelet" .Values.csidriver.kubeletPath) -}}
{{- end -}}
{{- define "dynatrace-operator.csiPluginDir" -}}
{{- printf "%s/plugins/csi.oneagent.dynatrace.com" (include "dynatrace-operator.kubeletPath" .) -}}
{{- end -}}
{{- define "dynatrace-operator.csiDataDir" -}}
{{- printf "%s/data" (include "dynatrace-operator.csiPluginDir" .) -}}
{{- end -}}
{{- define "dynatrace-operator.csiSocketPath" -}}
{{- printf "%s/csi.sock" (include "dynatrace-operator.csiPluginDir" .) -}}
{{- end -}}
{{- define "dynatrace-operator.csiMountPointDir" -}}
{{- printf "%s/pods" (include "dynatrace-operator.kubeletPath" .) -}}
{{- end -}}
{{- define "dynatrace-operator.csiRegistrationDir" -}}
{{- printf "%s/plugins_registry" (include "dynatrace-operator.kubeletPath" .) -}}
{{- end -}}
{{- define "dynatrace-operator.csiPriorityClassName" -}}
{{- default "dynatrace-high-priority" .Values.csidriver.existingPriorityClassName -}}
{{- end -}}

{{/* "true" when log monitoring reads nodes/pods (fine-grained kubelet authorization) instead of nodes/proxy. */}}
{{- define "dynatrace-operator.kubeletFineGrainedAuthz" -}}
{{- if kindIs "bool" .Values.rbac.kubeletFineGrainedAuthz -}}
{{- if .Values.rbac.kubeletFineGrainedAuthz -}}true{{- end -}}
{{- else if semverCompare ">=1.36.0-0" .Capabilities.KubeVersion.Version -}}
true
{{- end -}}
{{- end -}}

{{/* Metadata of a ServiceAccount of a component the operator deploys: (list $ name component annotations). */}}
{{- define "dynatrace-operator.operandServiceAccount" -}}
{{- $root := index . 0 -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ index . 1 }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "dynatrace-operator.componentLabels" (list $root (index . 2)) | nindent 4 }}
  {{- with index . 3 }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* A binding of a ClusterRole (or Role) to a ServiceAccount of the release namespace: (list $ kind name sa component). */}}
{{- define "dynatrace-operator.binding" -}}
{{- $root := index . 0 -}}
{{- $kind := index . 1 -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ $kind }}Binding
metadata:
  name: {{ index . 2 }}
  {{- if eq $kind "Role" }}
  namespace: {{ $root.Release.Namespace }}
  {{- end }}
  labels:
    {{- include "dynatrace-operator.componentLabels" (list $root (index . 4)) | nindent 4 }}
subjects:
  - kind: ServiceAccount
    name: {{ index . 3 }}
    namespace: {{ $root.Release.Namespace }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ $kind }}
  name: {{ index . 2 }}
{{- end -}}

{{/* `use` of SecurityContextConstraints (OpenShift): (list "privileged" "nonroot-v2"). */}}
{{- define "dynatrace-operator.sccRule" -}}
- apiGroups:
    - security.openshift.io
  resources:
    - securitycontextconstraints
  resourceNames:
    {{- toYaml . | nindent 4 }}
  verbs:
    - use
{{- end -}}
