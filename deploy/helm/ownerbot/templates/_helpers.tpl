{{/*
Names, labels and the pieces every workload shares. The pod spec pieces
(ownerbot.podSecurity, ownerbot.container.*) are the one place where the
security settings of serve, the sweep and the doctor test are written.
*/}}

{{- define "ownerbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The resource name prefix: 63 characters at most, as DNS labels are. */}}
{{- define "ownerbot.fullname" -}}
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

{{/* A name for one part of the release: fullname-suffix, kept to 52
characters so the CronJob's Job and pod names still fit 63. */}}
{{- define "ownerbot.component" -}}
{{- printf "%s-%s" (include "ownerbot.fullname" .root | trunc (int (sub 51 (len .name))) | trimSuffix "-") .name }}
{{- end }}

{{- define "ownerbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ownerbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ownerbot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ownerbot.labels" -}}
helm.sh/chart: {{ include "ownerbot.chart" . }}
{{ include "ownerbot.selectorLabels" . }}
app.kubernetes.io/version: {{ include "ownerbot.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ownerbot
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one component: (dict "root" $ "component" "serve"). */}}
{{- define "ownerbot.componentLabels" -}}
{{ include "ownerbot.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ownerbot.componentSelectorLabels" -}}
{{ include "ownerbot.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ownerbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ownerbot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* github.appId as a string: YAML numbers reach templates as floats, which
would print 1234567 as 1.234567e+06. */}}
{{- define "ownerbot.appId" -}}
{{- $id := .Values.github.appId }}
{{- if kindIs "float64" $id }}{{ int64 $id }}{{ else }}{{ toString $id }}{{ end }}
{{- end }}

{{- define "ownerbot.secretName" -}}
{{- default (include "ownerbot.fullname" .) .Values.github.existingSecret }}
{{- end }}

{{- define "ownerbot.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "ownerbot.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "ownerbot.imageTag" .) }}
{{- end }}
{{- end }}

{{/* sweep.mode, with YAML's unquoted off (false) read as "off". */}}
{{- define "ownerbot.sweepMode" -}}
{{- $mode := .Values.sweep.mode | toString }}
{{- if eq $mode "false" }}off{{ else }}{{ $mode }}{{ end }}
{{- end }}

{{/* A cache volume's size: the cache bound plus 20 % for the ETag file and
a clone in flight, in MiB. */}}
{{- define "ownerbot.cacheVolumeMi" -}}
{{- $mb := int . }}
{{- add $mb (div $mb 5) }}
{{- end }}

{{/* Render-time checks of combinations the schema cannot express. */}}
{{- define "ownerbot.validate" -}}
{{- $mode := include "ownerbot.sweepMode" . }}
{{- if and (eq $mode "builtin") (or (gt (int .Values.serve.replicas) 1) .Values.serve.autoscaling.enabled) }}
{{- fail "sweep.mode=builtin sweeps in every serve replica: set serve.replicas=1 and serve.autoscaling.enabled=false, or use sweep.mode=cronjob" }}
{{- end }}
{{- if and .Values.github.createSecret .Values.github.existingSecret }}
{{- fail "github.createSecret and github.existingSecret exclude each other: the chart creates its Secret, or uses yours" }}
{{- end }}
{{- if .Values.github.createSecret }}
{{- if not (contains "PRIVATE KEY-----" .Values.github.privateKey) }}
{{- fail "github.createSecret needs github.privateKey: the App's PEM private key (or create the Secret yourself and set github.existingSecret)" }}
{{- end }}
{{- if not .Values.github.webhookSecret }}
{{- fail "github.createSecret needs github.webhookSecret: the App's webhook secret" }}
{{- end }}
{{- if not (include "ownerbot.appId" .) }}
{{- fail "github.createSecret needs github.appId: the App's numeric id" }}
{{- end }}
{{- end }}
{{- if and .Values.serve.autoscaling.enabled (lt (int .Values.serve.autoscaling.maxReplicas) (int .Values.serve.autoscaling.minReplicas)) }}
{{- fail "serve.autoscaling.maxReplicas must be at least serve.autoscaling.minReplicas" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.enabled needs ingress.host: the host name GitHub sends webhooks to" }}
{{- end }}
{{- end }}

{{/* The pod-level settings every ownerbot pod shares. */}}
{{- define "ownerbot.podSecurity" -}}
automountServiceAccountToken: false
serviceAccountName: {{ include "ownerbot.serviceAccountName" . }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* The container-level settings every ownerbot container shares. */}}
{{- define "ownerbot.container.common" -}}
image: {{ include "ownerbot.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
envFrom:
  - configMapRef:
      name: {{ include "ownerbot.fullname" . }}
{{- end }}

{{/* OWNERBOT_APP_ID from the Secret when the values do not give it. */}}
{{- define "ownerbot.env.appId" -}}
{{- if not (include "ownerbot.appId" .) -}}
- name: OWNERBOT_APP_ID
  valueFrom:
    secretKeyRef:
      name: {{ include "ownerbot.secretName" . }}
      key: {{ .Values.github.secretKeys.appId }}
{{- end }}
{{- end }}

{{/* Where the Secret's files are mounted. */}}
{{- define "ownerbot.secretDir" -}}/etc/ownerbot/github{{- end }}

{{/* The Secret as a volume of files. serve and the doctor get the private
key and the webhook secret; the sweep (.sweep true) needs only the key. */}}
{{- define "ownerbot.volume.secret" -}}
- name: github
  secret:
    secretName: {{ include "ownerbot.secretName" .root }}
    defaultMode: 0440
    items:
      - key: {{ .root.Values.github.secretKeys.privateKey }}
        path: app.pem
      {{- if not .sweep }}
      - key: {{ .root.Values.github.secretKeys.webhookSecret }}
        path: webhook-secret
      {{- end }}
{{- end }}

{{/* A checksum of the configuration, so a change rolls the pods. */}}
{{- define "ownerbot.configChecksum" -}}
{{- $config := include (print .Template.BasePath "/configmap.yaml") . }}
{{- $secret := include (print .Template.BasePath "/secret.yaml") . }}
{{- print $config $secret | sha256sum }}
{{- end }}

{{/* The egress every ownerbot pod needs: the cluster DNS, and GitHub on 443. */}}
{{- define "ownerbot.egress.base" -}}
- to:
    - namespaceSelector:
        {{- toYaml .Values.networkPolicy.dns.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml .Values.networkPolicy.dns.podSelector | nindent 8 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
- to:
    {{- range .Values.networkPolicy.githubCIDRs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  ports:
    - protocol: TCP
      port: 443
{{- end }}

{{/* The TCP port of sweep.pushgatewayURL: explicit, or the scheme's. */}}
{{- define "ownerbot.pushgatewayPort" -}}
{{- $url := urlParse .Values.sweep.pushgatewayURL }}
{{- if regexMatch ":[0-9]+$" $url.host }}
{{- regexFind "[0-9]+$" $url.host }}
{{- else if eq $url.scheme "https" }}443
{{- else }}80
{{- end }}
{{- end }}
