{{/* The exporter's pod template, shared by the Deployment and the sharded StatefulSet. */}}
{{- define "imagepull-exporter.podTemplate" -}}
{{- include "imagepull-exporter.validate" . }}
{{- $secured := include "imagepull-exporter.webSecured" . -}}
{{- $probeCA := or .Values.registryProbeCA.secretName .Values.registryProbeCA.configMapName -}}
metadata:
  labels:
    {{- include "imagepull-exporter.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/component: exporter
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    kubectl.kubernetes.io/default-container: exporter
    {{- if $secured }}
    checksum/web-config: {{ include (print .Template.BasePath "/web-config-secret.yaml") . | sha256sum }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "imagepull-exporter.serviceAccountName" . }}
  # The exporter reads the API with this token; no other pod of the chart gets one.
  automountServiceAccountToken: true
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: exporter
      image: {{ include "imagepull-exporter.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --web.listen-address=:{{ .Values.web.port }}
        - --web.telemetry-path={{ .Values.web.telemetryPath }}
        - --log-level={{ .Values.log.level }}
        - --log-format={{ .Values.log.format }}
        {{- range .Values.namespaces }}
        - --namespace={{ . }}
        {{- end }}
        {{- range .Values.excludeNamespaces }}
        - --exclude-namespace={{ . }}
        {{- end }}
        {{- if $secured }}
        - --web.config.file=/etc/imagepull-exporter/web/web-config.yml
        - --web.probe-address=:{{ .Values.web.probePort }}
        {{- end }}
        {{- if .Values.registryProbe }}
        - --registry-probe
        {{- end }}
        {{- if $probeCA }}
        - --registry-probe-ca-file=/etc/imagepull-exporter/registry-ca/{{ .Values.registryProbeCA.key }}
        {{- end }}
        {{- if .Values.sharding.enabled }}
        - --shard-count={{ .Values.sharding.shards }}
        - --shard-index=$(SHARD_INDEX)
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      {{- if or .Values.sharding.enabled .Values.extraEnv }}
      env:
        {{- if .Values.sharding.enabled }}
        # The StatefulSet controller labels each pod with the ordinal of its name
        # (<name>-0, <name>-1, ...); the kubelet expands $(SHARD_INDEX) in args.
        - name: SHARD_INDEX
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.web.port }}
          protocol: TCP
        {{- if $secured }}
        - name: probes
          containerPort: {{ .Values.web.probePort }}
          protocol: TCP
        {{- end }}
      startupProbe:
        httpGet:
          path: /healthz
          port: {{ include "imagepull-exporter.probePortName" . }}
        {{- toYaml .Values.startupProbe | nindent 8 }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: {{ include "imagepull-exporter.probePortName" . }}
        {{- toYaml .Values.livenessProbe | nindent 8 }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: {{ include "imagepull-exporter.probePortName" . }}
        {{- toYaml .Values.readinessProbe | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        # Scratch space for the kubernetes client's temporary files; the root stays read-only.
        - name: tmp
          mountPath: /tmp
        {{- if $secured }}
        - name: web-config
          mountPath: /etc/imagepull-exporter/web
          readOnly: true
        {{- end }}
        {{- if .Values.web.tls.enabled }}
        - name: tls
          mountPath: /etc/imagepull-exporter/tls
          readOnly: true
        {{- end }}
        {{- if .Values.web.tls.clientCASecret }}
        - name: client-ca
          mountPath: /etc/imagepull-exporter/client-ca
          readOnly: true
        {{- end }}
        {{- if $probeCA }}
        - name: registry-ca
          mountPath: /etc/imagepull-exporter/registry-ca
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        medium: Memory
        sizeLimit: 16Mi
    {{- if $secured }}
    - name: web-config
      secret:
        secretName: {{ include "imagepull-exporter.fullname" . }}-web-config
    {{- end }}
    {{- if .Values.web.tls.enabled }}
    - name: tls
      secret:
        secretName: {{ required "web.tls.existingSecret is required when web.tls.enabled" .Values.web.tls.existingSecret }}
    {{- end }}
    {{- if .Values.web.tls.clientCASecret }}
    - name: client-ca
      secret:
        secretName: {{ .Values.web.tls.clientCASecret }}
    {{- end }}
    {{- with .Values.registryProbeCA }}
    {{- if .secretName }}
    - name: registry-ca
      secret:
        secretName: {{ .secretName }}
        items:
          - key: {{ .key }}
            path: {{ .key }}
    {{- else if .configMapName }}
    - name: registry-ca
      configMap:
        name: {{ .configMapName }}
        items:
          - key: {{ .key }}
            path: {{ .key }}
    {{- end }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if .Values.affinity }}
  affinity:
    {{- toYaml .Values.affinity | nindent 4 }}
  {{- else if and (gt (int (include "imagepull-exporter.podCount" .)) 1) (ne .Values.podAntiAffinity "none") }}
  # Replicas (or shards) on one node would all go down with it.
  {{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" (merge (include "imagepull-exporter.selectorLabels" . | fromYaml) (dict "app.kubernetes.io/component" "exporter"))) }}
  affinity:
    podAntiAffinity:
      {{- if eq .Values.podAntiAffinity "hard" }}
      requiredDuringSchedulingIgnoredDuringExecution:
        {{- list $term | toYaml | nindent 8 }}
      {{- else }}
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            {{- toYaml $term | nindent 12 }}
      {{- end }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
