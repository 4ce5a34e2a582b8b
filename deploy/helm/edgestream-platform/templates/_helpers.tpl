{{- define "platform.labels" -}}
app.kubernetes.io/name: edgestream-platform
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: edgestream
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
