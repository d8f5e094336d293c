{{/*
Checks the schema cannot make without quoting a secret, or that span several values. Each
failure is one line naming the value to fix. Included by the pod template, which every
install renders.
*/}}
{{- define "imagepull-exporter.validate" -}}
{{- range $user, $hash := .Values.web.basicAuthUsers }}
{{- if contains ":" $user }}
{{- fail (printf "web.basicAuthUsers: user name %q contains ':', which Basic credentials use to end the name" $user) }}
{{- end }}
{{- /* The exporter's own rule (exporter/http/webconfig.py). A schema `pattern` would print
       the value, and the mistake this catches is a plain password typed in its place. */}}
{{- if not (regexMatch `^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$` $hash) }}
{{- fail (printf "web.basicAuthUsers.%s: not a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31, 60 characters); the value is not shown. Put the hash here, never the password: htpasswd -nBC 10 %s" $user $user) }}
{{- end }}
{{- end }}
{{- if and (include "imagepull-exporter.webSecured" .) (eq (int .Values.web.port) (int .Values.web.probePort)) }}
{{- fail (printf "web.probePort and web.port are both %d: with web.tls or web.basicAuthUsers set, /healthz and /readyz need a plain-HTTP port of their own" (int .Values.web.port)) }}
{{- end }}
{{- with .Values.registryProbeCA }}
{{- if and .secretName .configMapName }}
{{- fail "registryProbeCA: set secretName or configMapName, not both" }}
{{- end }}
{{- if and (or .secretName .configMapName) (not $.Values.registryProbe) }}
{{- fail "registryProbeCA is set but registryProbe is false: the CA bundle is only read by the registry probe" }}
{{- end }}
{{- end }}
{{- if and .Values.namespaces (not (include "imagepull-exporter.watchedNamespaces" . | fromJsonArray)) }}
{{- fail "every namespace in namespaces is also in excludeNamespaces: nothing would be watched" }}
{{- end }}
{{- end }}
