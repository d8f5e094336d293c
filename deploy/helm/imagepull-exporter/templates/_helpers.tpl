{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "imagepull-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, plus the chart name unless the release already has it. */}}
{{- define "imagepull-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "imagepull-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "imagepull-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "imagepull-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "imagepull-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: imagepull-exporter
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "imagepull-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "imagepull-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "imagepull-exporter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* True (non-empty) when /metrics is behind TLS or basic auth, which moves probes to probePort. */}}
{{- define "imagepull-exporter.webSecured" -}}
{{- if or .Values.web.tls.enabled .Values.web.basicAuthUsers }}true{{ end }}
{{- end }}

{{/*
The StatefulSet's name (sharded mode): at most 52 characters, because the controller labels
its pods with controller-revision-hash=<name>-<10-character hash>, and a label value may
have at most 63.
*/}}
{{- define "imagepull-exporter.statefulSetName" -}}
{{- include "imagepull-exporter.fullname" . | trunc 52 | trimSuffix "-" }}
{{- end }}

{{/* `namespaces` minus `excludeNamespaces`, as a JSON list: where Roles are needed. */}}
{{- define "imagepull-exporter.watchedNamespaces" -}}
{{- $watched := list }}
{{- range .Values.namespaces }}
{{- if not (has . $.Values.excludeNamespaces) }}
{{- $watched = append $watched . }}
{{- end }}
{{- end }}
{{- toJson $watched }}
{{- end }}

{{/* Number of exporter pods: shards in sharded mode, else replicas. */}}
{{- define "imagepull-exporter.podCount" -}}
{{- if .Values.sharding.enabled }}{{ .Values.sharding.shards }}{{ else }}{{ .Values.replicas }}{{ end }}
{{- end }}

{{/* The name of the port /healthz and /readyz answer on. */}}
{{- define "imagepull-exporter.probePortName" -}}
{{- if include "imagepull-exporter.webSecured" . }}probes{{ else }}http{{ end }}
{{- end }}
