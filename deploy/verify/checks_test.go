package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
)

// goodManifests is a small rendering that keeps every invariant: serve,
// a two-shard sweep, their NetworkPolicies, a Service, an Ingress and a
// ServiceMonitor. Each case of TestCheckManifests breaks one invariant in
// it. The indentation differs between the Deployment (containers at 8)
// and the CronJob (containers at 12), so an edit can name either.
const goodManifests = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: ob
data:
  OWNERBOT_CACHE_DIR: /var/cache/ownerbot
  OWNERBOT_LOG_LEVEL: info
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ob
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ob
spec:
  replicas: 2
  selector:
    matchLabels: {app: ob, component: serve}
  template:
    metadata:
      labels: {app: ob, component: serve}
      annotations:
        checksum/config: abc
    spec:
      automountServiceAccountToken: false
      serviceAccountName: ob
      terminationGracePeriodSeconds: 35
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: serve
        image: ghcr.io/ownerbot/ownerbot:1.0.0
        args: [serve]
        envFrom:
        - configMapRef: {name: ob}
        env:
        - name: OWNERBOT_SHUTDOWN_TIMEOUT
          value: 25s
        - name: OWNERBOT_CACHE_MAX_MB
          value: "1024"
        ports:
        - {name: http, containerPort: 8080}
        startupProbe:
          httpGet: {path: /healthz, port: http}
        livenessProbe:
          httpGet: {path: /healthz, port: http}
        readinessProbe:
          httpGet: {path: /readyz, port: http}
        lifecycle:
          preStop:
            sleep: {seconds: 5}
        securityContext:
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
        resources:
          requests: {cpu: 100m, memory: 256Mi}
          limits: {memory: 1Gi}
        volumeMounts:
        - {name: github, mountPath: /etc/ownerbot/github, readOnly: true}
        - {name: cache, mountPath: /var/cache/ownerbot}
        - {name: tmp, mountPath: /tmp}
      volumes:
      - name: github
        secret: {secretName: ob}
      - name: cache
        emptyDir: {sizeLimit: 1200Mi}
      - name: tmp
        emptyDir: {sizeLimit: 64Mi}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: ob-sweep
spec:
  schedule: "0 6 * * *"
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 600
  successfulJobsHistoryLimit: 3
  failedJobsHistoryLimit: 3
  jobTemplate:
    spec:
      completionMode: Indexed
      completions: 2
      parallelism: 2
      backoffLimit: 3
      activeDeadlineSeconds: 3600
      template:
        metadata:
          labels: {app: ob, component: sweep}
        spec:
          automountServiceAccountToken: false
          restartPolicy: Never
          securityContext:
            runAsNonRoot: true
            seccompProfile: {type: RuntimeDefault}
          containers:
            - name: sweep
              image: ghcr.io/ownerbot/ownerbot@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
              args: [sweep, --shard, "$(JOB_COMPLETION_INDEX)/2"]
              envFrom:
                - configMapRef: {name: ob}
              env:
                - name: OWNERBOT_PUSHGATEWAY_URL
                  value: http://pushgateway.monitoring:9091
              securityContext:
                readOnlyRootFilesystem: true
                allowPrivilegeEscalation: false
                capabilities: {drop: [ALL]}
              resources:
                requests: {cpu: 100m, memory: 256Mi}
                limits: {memory: 1Gi}
              volumeMounts:
                - {name: cache, mountPath: /var/cache/ownerbot, subPathExpr: "shard-$(JOB_COMPLETION_INDEX)"}
                - {name: tmp, mountPath: /tmp}
          volumes:
            - name: cache
              persistentVolumeClaim: {claimName: ob-cache}
            - name: tmp
              emptyDir: {sizeLimit: 64Mi}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ob-cache
spec:
  accessModes: [ReadWriteMany]
  resources:
    requests: {storage: 10Gi}
---
apiVersion: v1
kind: Service
metadata:
  name: ob
  labels: {app: ob, component: serve}
spec:
  selector: {app: ob, component: serve}
  ports:
  - {name: http, port: 80, targetPort: http}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ob
spec:
  rules:
  - host: ob.example.com
    http:
      paths:
      - path: /webhook
        pathType: Exact
        backend:
          service: {name: ob, port: {name: http}}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: ob
spec:
  selector:
    matchLabels: {app: ob, component: serve}
  endpoints:
  - {port: http, path: /metrics}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: ob
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app: ob, component: serve}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ob-serve
spec:
  podSelector:
    matchLabels: {app: ob, component: serve}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports:
    - {protocol: TCP, port: http}
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
  - to:
    - ipBlock: {cidr: 140.82.112.0/20}
    ports:
    - {protocol: TCP, port: 443}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ob-sweep
spec:
  podSelector:
    matchLabels: {app: ob, component: sweep}
  policyTypes: [Ingress, Egress]
  egress:
    - to:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
          podSelector: {matchLabels: {k8s-app: kube-dns}}
      ports:
        - {protocol: UDP, port: 53}
    - to:
        - ipBlock: {cidr: 140.82.112.0/20}
      ports:
        - {protocol: TCP, port: 443}
    - to:
        - namespaceSelector: {}
      ports:
        - {protocol: TCP, port: 9091}
`

// edit replaces old, which must occur exactly once, by new.
func edit(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("the fixture holds %q %d times, want once", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// problemLines renders problems without their line numbers, which move
// as a case edits the fixture.
var lineNumber = regexp.MustCompile(`^([^:]+):[0-9]+: `)

func problemLines(ps []Problem) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = lineNumber.ReplaceAllString(p.String(), "$1: ")
	}
	return out
}

func checkYAML(t *testing.T, manifests string, opts manifestOptions) []string {
	t.Helper()
	objs, ps := decodeManifests("t.yaml", []byte(manifests))
	if len(ps) > 0 {
		t.Fatalf("the fixture does not decode: %v", lines(ps))
	}
	return problemLines(checkManifests(objs, opts))
}

func TestCheckManifestsGood(t *testing.T) {
	if got := checkYAML(t, goodManifests, manifestOptions{Shards: 2}); len(got) > 0 {
		t.Errorf("problems in the good manifests:\n%s", strings.Join(got, "\n"))
	}
}

func TestCheckManifests(t *testing.T) {
	const serve = "t.yaml: Deployment/ob"
	const sweep = "t.yaml: CronJob/ob-sweep"
	tests := []struct {
		name     string
		old, new string
		opts     manifestOptions
		want     []string
	}{
		{
			name: "writable root file system",
			old:  "        securityContext:\n          readOnlyRootFilesystem: true",
			new:  "        securityContext:\n          readOnlyRootFilesystem: false",
			want: []string{serve + ": container serve: readOnlyRootFilesystem is not true: the process must write only to its volumes"},
		},
		{
			name: "privilege escalation",
			old:  "                allowPrivilegeEscalation: false",
			new:  "                allowPrivilegeEscalation: true",
			want: []string{sweep + ": container sweep: allowPrivilegeEscalation is not false"},
		},
		{
			name: "capabilities kept",
			old:  "\n          capabilities: {drop: [ALL]}",
			new:  "\n          capabilities: {drop: [NET_RAW]}",
			want: []string{serve + ": container serve: capabilities do not drop ALL"},
		},
		{
			name: "capability added",
			old:  "\n          capabilities: {drop: [ALL]}",
			new:  "\n          capabilities: {drop: [ALL], add: [NET_ADMIN]}",
			want: []string{serve + ": container serve: capabilities add [NET_ADMIN]: ownerbot needs none"},
		},
		{
			name: "privileged",
			old:  "          allowPrivilegeEscalation: false\n          capabilities",
			new:  "          allowPrivilegeEscalation: false\n          privileged: true\n          capabilities",
			want: []string{serve + ": container serve: runs privileged"},
		},
		{
			name: "root allowed",
			old:  "            runAsNonRoot: true",
			new:  "            runAsNonRoot: false",
			want: []string{sweep + ": container sweep: runAsNonRoot is not true, in the container or the pod"},
		},
		{
			name: "uid 0",
			old:  "        runAsUser: 65532",
			new:  "        runAsUser: 0",
			want: []string{serve + ": container serve: runs as uid 0"},
		},
		{
			name: "no seccomp",
			old:  "            runAsNonRoot: true\n            seccompProfile: {type: RuntimeDefault}",
			new:  "            runAsNonRoot: true",
			want: []string{sweep + ": container sweep: no seccompProfile RuntimeDefault, in the container or the pod"},
		},
		{
			name: "service account token",
			old:  "      automountServiceAccountToken: false\n      serviceAccountName: ob",
			new:  "      serviceAccountName: ob",
			want: []string{serve + ": automountServiceAccountToken is not false: ownerbot never calls the Kubernetes API, so it needs no token"},
		},
		{
			name: "host network",
			old:  "          restartPolicy: Never",
			new:  "          restartPolicy: Never\n          hostNetwork: true",
			want: []string{sweep + ": the pod shares the node's network, PID or IPC namespace"},
		},
		{
			name: "service account not rendered",
			old:  "serviceAccountName: ob",
			new:  "serviceAccountName: other",
			want: []string{serve + `: serviceAccountName "other" is not rendered`},
		},
		{
			name: "no requests",
			old:  "          requests: {cpu: 100m, memory: 256Mi}\n          limits: {memory: 1Gi}",
			new:  "          limits: {memory: 1Gi}",
			want: []string{
				serve + ": container serve: resources.requests.cpu is not set",
				serve + ": container serve: resources.requests.memory is not set",
			},
		},
		{
			name: "no memory limit",
			old:  "                limits: {memory: 1Gi}",
			new:  "                limits: {cpu: '1'}",
			want: []string{sweep + ": container sweep: resources.limits.memory is not set"},
		},
		{
			name: "untagged image",
			old:  "image: ghcr.io/ownerbot/ownerbot:1.0.0",
			new:  "image: ghcr.io/ownerbot/ownerbot",
			want: []string{serve + `: container serve: image "ghcr.io/ownerbot/ownerbot" has neither a tag nor a digest`},
		},
		{
			name: "latest",
			old:  "image: ghcr.io/ownerbot/ownerbot:1.0.0",
			new:  "image: ghcr.io/ownerbot/ownerbot:latest",
			want: []string{serve + `: container serve: image "ghcr.io/ownerbot/ownerbot:latest": latest is not a version`},
		},
		{
			name: "mount without volume",
			old:  "\n        - {name: tmp, mountPath: /tmp}",
			new:  "\n        - {name: tmp, mountPath: /tmp}\n        - {name: scratch, mountPath: /scratch}",
			want: []string{serve + `: container serve: volumeMount "scratch" at /scratch names no volume of the pod`},
		},
		{
			name: "volume unmounted",
			old:  "      - name: github\n        secret: {secretName: ob}",
			new:  "      - name: github\n        secret: {secretName: ob}\n      - name: spare\n        emptyDir: {sizeLimit: 1Mi}",
			want: []string{serve + `: volume "spare" is mounted by no container`},
		},
		{
			name: "emptyDir unbounded",
			old:  "\n        emptyDir: {sizeLimit: 64Mi}",
			new:  "\n        emptyDir: {}",
			want: []string{serve + `: emptyDir "tmp" has no sizeLimit: it could fill the node's disk`},
		},
		{
			name: "no writable tmp",
			old:  "\n        - {name: tmp, mountPath: /tmp}",
			new:  "\n        - {name: tmp, mountPath: /scratch}",
			want: []string{serve + ": container serve: nothing writable is mounted at /tmp, where ownerbot writes; with a read-only root file system it would fail"},
		},
		{
			name: "cache read-only",
			old:  "                - {name: cache, mountPath: /var/cache/ownerbot, subPathExpr",
			new:  "                - {name: cache, readOnly: true, mountPath: /var/cache/ownerbot, subPathExpr",
			want: []string{sweep + ": container sweep: nothing writable is mounted at /var/cache/ownerbot, where ownerbot writes; with a read-only root file system it would fail"},
		},
		{
			name: "cache dir moved by the ConfigMap",
			old:  "  OWNERBOT_CACHE_DIR: /var/cache/ownerbot",
			new:  "  OWNERBOT_CACHE_DIR: /cache",
			want: []string{
				serve + ": container serve: nothing writable is mounted at /cache, where ownerbot writes; with a read-only root file system it would fail",
				sweep + ": container sweep: nothing writable is mounted at /cache, where ownerbot writes; with a read-only root file system it would fail",
			},
		},
		{
			name: "cache volume smaller than the cache",
			old:  "        emptyDir: {sizeLimit: 1200Mi}",
			new:  "        emptyDir: {sizeLimit: 1Gi}",
			want: []string{serve + ": container serve: the cache emptyDir's sizeLimit 1Gi is not above OWNERBOT_CACHE_MAX_MB (1024 MiB): the kubelet would evict the pod before the cache trims itself"},
		},
		{
			name: "missing ConfigMap",
			old:  "\n        - configMapRef: {name: ob}",
			new:  "\n        - configMapRef: {name: other}",
			want: []string{
				serve + `: container serve: envFrom: ConfigMap "other" is not rendered`,
			},
		},
		{
			name: "missing claim",
			old:  "claimName: ob-cache",
			new:  "claimName: other",
			want: []string{sweep + `: volume "cache": PersistentVolumeClaim "other" is not rendered`},
		},
		{
			name: "env twice",
			old:  "        - name: OWNERBOT_CACHE_MAX_MB\n",
			new:  "        - name: OWNERBOT_WORKERS\n          value: '2'\n        - name: OWNERBOT_WORKERS\n          value: '3'\n        - name: OWNERBOT_CACHE_MAX_MB\n",
			want: []string{serve + ": container serve: env OWNERBOT_WORKERS is set twice"},
		},
		{
			name: "unknown variable in args",
			old:  "        args: [serve]",
			new:  "        args: [serve, \"$(LISTEN)\"]",
			want: []string{serve + `: container serve: "$(LISTEN)" refers to $(LISTEN), which is not in the container's environment: Kubernetes would pass it on unexpanded`},
		},
		{
			name: "escaped variable is literal",
			old:  "        args: [serve]",
			new:  "        args: [serve, \"$$(LISTEN)\"]",
		},
		{
			name: "completion index outside an Indexed Job",
			old:  "      completionMode: Indexed\n",
			new:  "      completionMode: NonIndexed\n",
			want: []string{
				sweep + `: container sweep: "$(JOB_COMPLETION_INDEX)/2" refers to $(JOB_COMPLETION_INDEX), which is not in the container's environment: Kubernetes would pass it on unexpanded`,
				sweep + `: container sweep: "shard-$(JOB_COMPLETION_INDEX)" refers to $(JOB_COMPLETION_INDEX), which is not in the container's environment: Kubernetes would pass it on unexpanded`,
				sweep + ": the Job's completionMode is not Indexed: pods would get no JOB_COMPLETION_INDEX and could not pick a shard",
			},
		},
		{
			name: "completion index overridden",
			old:  "                - name: OWNERBOT_PUSHGATEWAY_URL\n",
			new:  "                - name: JOB_COMPLETION_INDEX\n                  value: '0'\n                - name: OWNERBOT_PUSHGATEWAY_URL\n",
			want: []string{sweep + ": container sweep: env sets JOB_COMPLETION_INDEX, hiding the value the Job controller gives each pod"},
		},
		{
			name: "completions and parallelism differ",
			old:  "      parallelism: 2",
			new:  "      parallelism: 1",
			want: []string{sweep + ": completions (2) and parallelism (1) differ: every shard must run at once, in one pod each"},
		},
		{
			name: "shard count disagrees",
			old:  `"$(JOB_COMPLETION_INDEX)/2"`,
			new:  `"$(JOB_COMPLETION_INDEX)/3"`,
			want: []string{sweep + ": sweep args say --shard $(JOB_COMPLETION_INDEX)/3 but the Job has 2 completions: shards would be skipped or swept twice"},
		},
		{
			name: "fixed shard",
			old:  `"$(JOB_COMPLETION_INDEX)/2"`,
			new:  `"0/2"`,
			want: []string{sweep + `: sweep args ["sweep" "--shard" "0/2"]: want --shard $(JOB_COMPLETION_INDEX)/2`},
		},
		{
			name: "want more shards",
			opts: manifestOptions{Shards: 4},
			want: []string{sweep + ": the sweep runs 2 shards, want 4"},
		},
		{
			name: "concurrent sweeps",
			old:  "concurrencyPolicy: Forbid",
			new:  "concurrencyPolicy: Allow",
			want: []string{sweep + `: concurrencyPolicy is "Allow", want Forbid: two sweeps at once would make the same writes`},
		},
		{
			name: "no deadlines or limits",
			old:  "      backoffLimit: 3\n      activeDeadlineSeconds: 3600\n",
			new:  "",
			want: []string{
				sweep + ": the Job has no backoffLimit",
				sweep + ": the Job has no activeDeadlineSeconds: a stuck sweep would hold the next ones back forever",
			},
		},
		{
			name: "no starting deadline or history",
			old:  "  startingDeadlineSeconds: 600\n  successfulJobsHistoryLimit: 3\n",
			new:  "",
			want: []string{
				sweep + ": no startingDeadlineSeconds: after a long outage the controller may refuse to start the sweep at all",
				sweep + ": successfulJobsHistoryLimit and failedJobsHistoryLimit must both be set",
			},
		},
		{
			name: "no readiness probe",
			old:  "        readinessProbe:\n          httpGet: {path: /readyz, port: http}\n",
			new:  "",
			want: []string{serve + ": container serve: no readinessProbe on GET /readyz"},
		},
		{
			name: "liveness on the wrong path",
			old:  "        livenessProbe:\n          httpGet: {path: /healthz, port: http}",
			new:  "        livenessProbe:\n          httpGet: {path: /readyz, port: http}",
			want: []string{serve + ": container serve: livenessProbe asks /readyz, want /healthz"},
		},
		{
			name: "probe on an unknown port",
			old:  "        startupProbe:\n          httpGet: {path: /healthz, port: http}",
			new:  "        startupProbe:\n          httpGet: {path: /healthz, port: 9090}",
			want: []string{serve + ": container serve: startupProbe port 9090 is no port of the container"},
		},
		{
			name: "grace period too short",
			old:  "terminationGracePeriodSeconds: 35",
			new:  "terminationGracePeriodSeconds: 30",
			want: []string{serve + ": terminationGracePeriodSeconds 30 does not exceed OWNERBOT_SHUTDOWN_TIMEOUT (25s) plus the preStop sleep (5s): the kubelet would kill the drain"},
		},
		{
			name: "no config checksum",
			old:  "      annotations:\n        checksum/config: abc\n",
			new:  "",
			want: []string{serve + ": the pod template has no checksum/config annotation: a configuration change would not roll the pods"},
		},
		{
			name: "built-in sweep in two replicas",
			old:  "        - name: OWNERBOT_SHUTDOWN_TIMEOUT\n",
			new:  "        - name: OWNERBOT_SWEEP_SCHEDULE\n          value: '@daily'\n        - name: OWNERBOT_SHUTDOWN_TIMEOUT\n",
			want: []string{serve + ": OWNERBOT_SWEEP_SCHEDULE is set with 2 replicas: every replica would sweep"},
		},
		{
			name: "replicas unset is one replica",
			old:  "  replicas: 2\n",
			new:  "",
		},
		{
			name: "policy without Egress",
			old:  "  policyTypes: [Ingress, Egress]\n  egress:\n    - to:",
			new:  "  policyTypes: [Ingress]\n  egress:\n    - to:",
			want: []string{
				"t.yaml: NetworkPolicy/ob-sweep: policyTypes lacks Egress: that direction would be open",
				sweep + ": no NetworkPolicy with Egress selects these pods: they could reach anything",
			},
		},
		{
			name: "egress to every port",
			old:  "    - to:\n        - namespaceSelector: {}\n      ports:\n        - {protocol: TCP, port: 9091}",
			new:  "    - to:\n        - namespaceSelector: {}",
			want: []string{"t.yaml: NetworkPolicy/ob-sweep: egress rule 3: allows every port: only DNS (53), GitHub (TCP 443) and the Pushgateway are allowed"},
		},
		{
			name: "egress to another port",
			old:  "\n    - {protocol: TCP, port: 443}",
			new:  "\n    - {protocol: TCP, port: 443}\n    - {protocol: TCP, port: 22}",
			want: []string{"t.yaml: NetworkPolicy/ob-serve: egress rule 2: allows TCP 22: only DNS (53), GitHub (TCP 443) and the Pushgateway are allowed"},
		},
		{
			name: "pushgateway port only for the pods that push",
			old:  "\n    - {protocol: TCP, port: 443}",
			new:  "\n    - {protocol: TCP, port: 443}\n    - {protocol: TCP, port: 9091}",
			want: []string{"t.yaml: NetworkPolicy/ob-serve: egress rule 2: allows TCP 9091: only DNS (53), GitHub (TCP 443) and the Pushgateway are allowed"},
		},
		{
			name: "443 to the internet",
			old:  "\n    - ipBlock: {cidr: 140.82.112.0/20}",
			new:  "\n    - ipBlock: {cidr: 0.0.0.0/0}",
			want: []string{"t.yaml: NetworkPolicy/ob-serve: egress rule 2: ipBlock 0.0.0.0/0 is (nearly) the whole internet"},
		},
		{
			name: "443 to pods",
			old:  "        - ipBlock: {cidr: 140.82.112.0/20}",
			new:  "        - podSelector: {}",
			want: []string{"t.yaml: NetworkPolicy/ob-sweep: egress rule 2: allows TCP 443 to pods: on 443 only GitHub's addresses (ipBlocks) may be reached"},
		},
		{
			name: "DNS anywhere",
			old:  "        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}\n          podSelector: {matchLabels: {k8s-app: kube-dns}}",
			new:  "        - ipBlock: {cidr: 8.8.8.8/32}",
			want: []string{"t.yaml: NetworkPolicy/ob-sweep: egress rule 1: sends DNS to 8.8.8.8/32: only to the cluster DNS"},
		},
		{
			name: "ingress on every port",
			old:  "  ingress:\n  - ports:\n    - {protocol: TCP, port: http}",
			new:  "  ingress:\n  - {}",
			want: []string{"t.yaml: NetworkPolicy/ob-serve: ingress rule 1 allows every port"},
		},
		{
			name: "ingress on a port the pods lack",
			old:  "    - {protocol: TCP, port: http}",
			new:  "    - {protocol: TCP, port: 9090}",
			want: []string{"t.yaml: NetworkPolicy/ob-serve: ingress rule 1 allows port 9090, which is no port of the pods it selects"},
		},
		{
			name: "policy selects nothing",
			old:  "    matchLabels: {app: ob, component: serve}\n  policyTypes",
			new:  "    matchLabels: {app: other}\n  policyTypes",
			want: []string{
				"t.yaml: NetworkPolicy/ob-serve: the NetworkPolicy selects no pods of the chart",
				"t.yaml: NetworkPolicy/ob-serve: ingress rule 1 allows port http, which is no port of the pods it selects",
				serve + ": no NetworkPolicy with Egress selects these pods: they could reach anything",
			},
		},
		{
			name: "ingress publishes metrics",
			old:  "      - path: /webhook\n        pathType: Exact",
			new:  "      - path: /\n        pathType: Prefix",
			want: []string{`t.yaml: Ingress/ob: path "/" (Prefix) publishes /metrics`},
		},
		{
			name: "ingress publishes metrics exactly",
			old:  "      - path: /webhook\n        pathType: Exact",
			new:  "      - path: /metrics\n        pathType: Exact",
			want: []string{`t.yaml: Ingress/ob: path "/metrics" (Exact) publishes /metrics`},
		},
		{
			name: "ingress publishes more than the webhook",
			old:  "      - path: /webhook\n        pathType: Exact",
			new:  "      - path: /readyz\n        pathType: Exact",
			want: []string{`t.yaml: Ingress/ob: path "/readyz" (Exact) publishes more than /webhook`},
		},
		{
			name: "ingress default backend",
			old:  "kind: Ingress\nmetadata:\n  name: ob\nspec:\n",
			new:  "kind: Ingress\nmetadata:\n  name: ob\nspec:\n  defaultBackend:\n    service: {name: ob, port: {name: http}}\n",
			want: []string{"t.yaml: Ingress/ob: a defaultBackend sends every path, /metrics too, to the cluster"},
		},
		{
			name: "ingress to a missing port",
			old:  "service: {name: ob, port: {name: http}}",
			new:  "service: {name: ob, port: {name: web}}",
			want: []string{`t.yaml: Ingress/ob: path "/webhook": Service "ob" has no port web`},
		},
		{
			name: "service selects nothing",
			old:  "  selector: {app: ob, component: serve}\n  ports:",
			new:  "  selector: {app: ob, component: web}\n  ports:",
			want: []string{"t.yaml: Service/ob: the Service selects no pods of the chart"},
		},
		{
			name: "service target port",
			old:  "targetPort: http",
			new:  "targetPort: 9090",
			want: []string{"t.yaml: Service/ob: port http: targetPort 9090 is no port of ob"},
		},
		{
			name: "service monitor path",
			old:  "{port: http, path: /metrics}",
			new:  "{port: http, path: /stats}",
			want: []string{`t.yaml: ServiceMonitor/ob: endpoint path "/stats", want /metrics`},
		},
		{
			name: "service monitor port",
			old:  "{port: http, path: /metrics}",
			new:  "{port: metrics, path: /metrics}",
			want: []string{`t.yaml: ServiceMonitor/ob: endpoint port "metrics" is no port of Service ob`},
		},
		{
			name: "pdb selects nothing",
			old:  "  maxUnavailable: 1\n  selector:\n    matchLabels: {app: ob, component: serve}",
			new:  "  maxUnavailable: 1\n  selector:\n    matchLabels: {app: other}",
			want: []string{"t.yaml: PodDisruptionBudget/ob: the PodDisruptionBudget selects no pods of the chart"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			manifests := goodManifests
			if tt.old != "" {
				manifests = edit(t, manifests, tt.old, tt.new)
			}
			got := checkYAML(t, manifests, tt.opts)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckManifestsBuiltinHPA(t *testing.T) {
	manifests := edit(t, goodManifests, "        - name: OWNERBOT_SHUTDOWN_TIMEOUT\n",
		"        - name: OWNERBOT_SWEEP_SCHEDULE\n          value: '@daily'\n        - name: OWNERBOT_SHUTDOWN_TIMEOUT\n")
	manifests = edit(t, manifests, "  replicas: 2\n", "")
	manifests += `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ob
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ob}
  minReplicas: 1
  maxReplicas: 3
`
	want := []string{"t.yaml: Deployment/ob: OWNERBOT_SWEEP_SCHEDULE is set and a HorizontalPodAutoscaler scales it: every replica would sweep"}
	if diff := cmp.Diff(want, checkYAML(t, manifests, manifestOptions{})); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestCheckManifestsHPATarget(t *testing.T) {
	manifests := goodManifests + `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: ob
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gone}
  maxReplicas: 3
`
	want := []string{"t.yaml: HorizontalPodAutoscaler/ob: scaleTargetRef Deployment/gone is not rendered"}
	if diff := cmp.Diff(want, checkYAML(t, manifests, manifestOptions{})); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestCheckManifestsNoSweep(t *testing.T) {
	// Without the CronJob and the sweep's NetworkPolicy, the last document.
	start := strings.Index(goodManifests, "apiVersion: batch/v1")
	end := strings.Index(goodManifests, "apiVersion: v1\nkind: PersistentVolumeClaim")
	policy := strings.Index(goodManifests, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: ob-sweep")
	manifests := goodManifests[:start] + goodManifests[end:policy]
	want := []string{"manifests: want a sweep CronJob of 2 shards, and none is rendered"}
	if diff := cmp.Diff(want, checkYAML(t, manifests, manifestOptions{Shards: 2})); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestRoutes(t *testing.T) {
	tests := []struct {
		path   string
		typ    string
		target string
		want   bool
	}{
		{"/webhook", "Exact", "/metrics", false},
		{"/metrics", "Exact", "/metrics", true},
		{"/", "Prefix", "/metrics", true},
		{"/met", "Prefix", "/metrics", false}, // by element, not by characters
		{"/metrics/", "Prefix", "/metrics", true},
		{"/webhook", "ImplementationSpecific", "/metrics", false},
		{"", "ImplementationSpecific", "/metrics", true},
	}
	for _, tt := range tests {
		if got := routes(tt.path, networkingv1.PathType(tt.typ), tt.target); got != tt.want {
			t.Errorf("routes(%q, %s, %q) = %v, want %v", tt.path, tt.typ, tt.target, got, tt.want)
		}
	}
}
