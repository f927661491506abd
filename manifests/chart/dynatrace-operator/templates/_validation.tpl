{{/* Combinations of values that cannot work fail the render with a message that names the values. */}}
{{- define "dynatrace-operator.validate" -}}
{{- if and .Values.rbac.kubernetesMonitoring.create (not .Values.rbac.activeGate.create) -}}
{{- fail "rbac.kubernetesMonitoring.create=true needs rbac.activeGate.create=true (Kubernetes monitoring runs in the ActiveGate)" -}}
{{- end -}}
{{- if and .Values.rbac.kspm.create (not .Values.rbac.kubernetesMonitoring.create) -}}
{{- fail "rbac.kspm.create=true needs rbac.kubernetesMonitoring.create=true (KSPM reports through Kubernetes monitoring)" -}}
{{- end -}}
{{- if and (eq (include "dynatrace-operator.platform" .) "azure-marketplace") (not .Values.image) (not .Values.imageRef.repository) -}}
{{- if not (((.Values.global).azure).images).operator -}}
{{- fail "platform=azure-marketplace needs global.azure.images.operator.{registry,image,digest} (or image / imageRef.repository)" -}}
{{- end -}}
{{- end -}}
{{- end -}}
