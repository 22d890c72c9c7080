package main

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// What ownerbot itself needs from its pods; the README and
// internal/settings say the same.
const (
	defaultCacheDir        = "/var/cache/ownerbot"
	defaultShutdownTimeout = 25 * time.Second
	healthPath             = "/healthz"
	readyPath              = "/readyz"
	webhookPath            = "/webhook"
	metricsPath            = "/metrics"
	// The Job controller sets it in every pod of an Indexed Job.
	completionIndexVar = "JOB_COMPLETION_INDEX"
)

// manifestOptions are what a rendering is expected to be, beyond the
// invariants every rendering keeps.
type manifestOptions struct {
	// Shards, when positive, is the number of sweep shards the CronJob
	// must run.
	Shards int
}

// A workload is a pod template and what owns it.
type workload struct {
	obj         *object
	labels      map[string]string
	annotations map[string]string
	spec        *corev1.PodSpec
	replicas    *int32
	// For Jobs and CronJobs.
	job        *batchv1.JobSpec
	cronJob    *batchv1.CronJobSpec
	deployment bool
}

// manifestSet is one rendering, by kind.
type manifestSet struct {
	all        []*object
	workloads  []*workload
	configMaps map[string]*corev1.ConfigMap
	pvcs       map[string]bool
	accounts   map[string]bool
	services   []*object
	hpas       []*object
}

// checkManifests checks the invariants of a rendered chart: pods that
// cannot write outside their volumes, gain privileges or run as root;
// requests and limits; serve's probes and shutdown; the sharded sweep; a
// NetworkPolicy that lets out only DNS and GitHub; an Ingress that publishes
// only /webhook; and references (volumes, ConfigMaps, Services, ports) that
// resolve.
func checkManifests(objs []*object, opts manifestOptions) []Problem {
	var ps problems
	set := &manifestSet{
		all: objs, configMaps: map[string]*corev1.ConfigMap{}, pvcs: map[string]bool{},
		accounts: map[string]bool{"default": true},
	}
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *corev1.ConfigMap:
			set.configMaps[v.Name] = v
		case *corev1.PersistentVolumeClaim:
			set.pvcs[v.Name] = true
		case *corev1.ServiceAccount:
			set.accounts[v.Name] = true
		case *corev1.Service:
			set.services = append(set.services, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			set.hpas = append(set.hpas, o)
		case *appsv1.Deployment:
			set.workloads = append(set.workloads, &workload{obj: o, labels: v.Spec.Template.Labels,
				annotations: v.Spec.Template.Annotations, spec: &v.Spec.Template.Spec, replicas: v.Spec.Replicas, deployment: true})
		case *batchv1.CronJob:
			set.workloads = append(set.workloads, &workload{obj: o, labels: v.Spec.JobTemplate.Spec.Template.Labels,
				annotations: v.Spec.JobTemplate.Spec.Template.Annotations, spec: &v.Spec.JobTemplate.Spec.Template.Spec,
				job: &v.Spec.JobTemplate.Spec, cronJob: &v.Spec})
		case *batchv1.Job:
			set.workloads = append(set.workloads, &workload{obj: o, labels: v.Spec.Template.Labels,
				annotations: v.Spec.Template.Annotations, spec: &v.Spec.Template.Spec, job: &v.Spec})
		case *corev1.Pod:
			set.workloads = append(set.workloads, &workload{obj: o, labels: v.Labels, annotations: v.Annotations, spec: &v.Spec})
		}
	}
	for _, w := range set.workloads {
		set.checkPod(&ps, w)
		switch {
		case w.deployment:
			set.checkServe(&ps, w)
		case w.job != nil:
			set.checkSweep(&ps, w, opts)
		}
	}
	policies := 0
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *networkingv1.NetworkPolicy:
			policies++
			set.checkNetworkPolicy(&ps, o, v)
		case *networkingv1.Ingress:
			set.checkIngress(&ps, o, v)
		case *corev1.Service:
			set.checkService(&ps, o, v)
		case *monitoringv1.ServiceMonitor:
			set.checkServiceMonitor(&ps, o, v)
		case *autoscalingv2.HorizontalPodAutoscaler:
			set.checkHPA(&ps, o, v)
		case *policyv1.PodDisruptionBudget:
			if len(set.selected(v.Spec.Selector)) == 0 {
				ps.add(o.String(), "the PodDisruptionBudget selects no pods of the chart")
			}
		}
	}
	if policies > 0 {
		for _, w := range set.workloads {
			if !set.coveredByEgressPolicy(w) {
				ps.add(w.obj.String(), "no NetworkPolicy with Egress selects these pods: they could reach anything")
			}
		}
	}
	if opts.Shards > 0 && !slices.ContainsFunc(set.workloads, func(w *workload) bool { return w.cronJob != nil }) {
		ps.add("manifests", "want a sweep CronJob of %d shards, and none is rendered", opts.Shards)
	}
	return ps
}

// env is what a container's environment holds, as far as the manifests
// tell: literal values, and names whose value comes from elsewhere (a
// Secret, the downward API) with known false.
type env map[string]envValue

type envValue struct {
	value string
	known bool
}

func (e env) get(name string) (string, bool) {
	v, ok := e[name]
	return v.value, ok && v.known
}

func (set *manifestSet) envOf(c *corev1.Container) env {
	e := env{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef != nil {
			if cm, ok := set.configMaps[from.ConfigMapRef.Name]; ok {
				for k, v := range cm.Data {
					e[from.Prefix+k] = envValue{v, true}
				}
			}
		}
	}
	for _, v := range c.Env {
		e[v.Name] = envValue{v.Value, v.ValueFrom == nil}
	}
	return e
}

// varRef is a $(NAME) reference Kubernetes expands in command, args and
// subPathExpr. $$(NAME) is an escaped, literal $(NAME).
var varRef = regexp.MustCompile(`\$?\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

func (set *manifestSet) checkPod(ps *problems, w *workload) {
	where := w.obj.String()
	spec := w.spec
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		ps.add(where, "automountServiceAccountToken is not false: ownerbot never calls the Kubernetes API, so it needs no token")
	}
	if spec.HostNetwork || spec.HostPID || spec.HostIPC {
		ps.add(where, "the pod shares the node's network, PID or IPC namespace")
	}
	if sa := spec.ServiceAccountName; sa != "" && !set.accounts[sa] {
		ps.add(where, "serviceAccountName %q is not rendered", sa)
	}
	volumes := map[string]*corev1.Volume{}
	mounted := map[string]bool{}
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		volumes[v.Name] = v
		switch {
		case v.EmptyDir != nil && v.EmptyDir.SizeLimit == nil:
			ps.add(where, "emptyDir %q has no sizeLimit: it could fill the node's disk", v.Name)
		case v.PersistentVolumeClaim != nil && !set.pvcs[v.PersistentVolumeClaim.ClaimName]:
			ps.add(where, "volume %q: PersistentVolumeClaim %q is not rendered", v.Name, v.PersistentVolumeClaim.ClaimName)
		}
	}
	psc := spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	indexed := w.job != nil && w.job.CompletionMode != nil && *w.job.CompletionMode == batchv1.IndexedCompletion
	for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
		cw := fmt.Sprintf("%s: container %s", where, c.Name)
		checkContainerSecurity(ps, cw, &c, psc)
		checkResources(ps, cw, c.Resources)
		if c.Image == "" || (!strings.Contains(c.Image, "@sha256:") && !strings.Contains(c.Image[strings.LastIndex(c.Image, "/")+1:], ":")) {
			ps.add(cw, "image %q has neither a tag nor a digest", c.Image)
		} else if strings.HasSuffix(c.Image, ":latest") {
			ps.add(cw, "image %q: latest is not a version", c.Image)
		}
		e := set.envOf(&c)
		defined := map[string]bool{}
		for k := range e {
			defined[k] = true
		}
		for _, from := range c.EnvFrom {
			if from.ConfigMapRef != nil && set.configMaps[from.ConfigMapRef.Name] == nil {
				ps.add(cw, "envFrom: ConfigMap %q is not rendered", from.ConfigMapRef.Name)
			}
		}
		names := map[string]bool{}
		for _, v := range c.Env {
			if names[v.Name] {
				ps.add(cw, "env %s is set twice", v.Name)
			}
			names[v.Name] = true
			if v.ValueFrom != nil && v.ValueFrom.ConfigMapKeyRef != nil && set.configMaps[v.ValueFrom.ConfigMapKeyRef.Name] == nil {
				ps.add(cw, "env %s: ConfigMap %q is not rendered", v.Name, v.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
		if indexed {
			if names[completionIndexVar] {
				ps.add(cw, "env sets %s, hiding the value the Job controller gives each pod", completionIndexVar)
			}
			defined[completionIndexVar] = true
		}
		refs := slices.Concat(c.Command, c.Args)
		for _, m := range c.VolumeMounts {
			refs = append(refs, m.SubPathExpr)
		}
		for _, s := range refs {
			for _, m := range varRef.FindAllStringSubmatch(s, -1) {
				if !strings.HasPrefix(m[0], "$$") && !defined[m[1]] {
					ps.add(cw, "%q refers to $(%s), which is not in the container's environment: Kubernetes would pass it on unexpanded", s, m[1])
				}
			}
		}
		writable := map[string]*corev1.Volume{}
		for _, m := range c.VolumeMounts {
			mounted[m.Name] = true
			v, ok := volumes[m.Name]
			if !ok {
				ps.add(cw, "volumeMount %q at %s names no volume of the pod", m.Name, m.MountPath)
				continue
			}
			if !m.ReadOnly && (v.EmptyDir != nil || v.PersistentVolumeClaim != nil) {
				writable[m.MountPath] = v
			}
		}
		cacheDir := defaultCacheDir
		if v, ok := e.get("OWNERBOT_CACHE_DIR"); ok && v != "" {
			cacheDir = v
		}
		for _, dir := range []string{cacheDir, "/tmp"} {
			if writable[dir] == nil {
				ps.add(cw, "nothing writable is mounted at %s, where ownerbot writes; with a read-only root file system it would fail", dir)
			}
		}
		if v := writable[cacheDir]; v != nil && v.EmptyDir != nil && v.EmptyDir.SizeLimit != nil {
			if mb, ok := e.get("OWNERBOT_CACHE_MAX_MB"); ok {
				n, err := strconv.ParseInt(mb, 10, 64)
				if err == nil && resource.NewQuantity(n<<20, resource.BinarySI).Cmp(*v.EmptyDir.SizeLimit) >= 0 {
					ps.add(cw, "the cache emptyDir's sizeLimit %s is not above OWNERBOT_CACHE_MAX_MB (%s MiB): the kubelet would evict the pod before the cache trims itself", v.EmptyDir.SizeLimit, mb)
				}
			}
		}
	}
	for _, v := range spec.Volumes {
		if !mounted[v.Name] {
			ps.add(where, "volume %q is mounted by no container", v.Name)
		}
	}
}

func checkContainerSecurity(ps *problems, cw string, c *corev1.Container, psc *corev1.PodSecurityContext) {
	sc := c.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		ps.add(cw, "readOnlyRootFilesystem is not true: the process must write only to its volumes")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		ps.add(cw, "allowPrivilegeEscalation is not false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		ps.add(cw, "runs privileged")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		ps.add(cw, "capabilities do not drop ALL")
	} else if len(sc.Capabilities.Add) > 0 {
		ps.add(cw, "capabilities add %v: ownerbot needs none", sc.Capabilities.Add)
	}
	nonRoot := cmpOr(sc.RunAsNonRoot, psc.RunAsNonRoot)
	if nonRoot == nil || !*nonRoot {
		ps.add(cw, "runAsNonRoot is not true, in the container or the pod")
	}
	if uid := cmpOr(sc.RunAsUser, psc.RunAsUser); uid != nil && *uid == 0 {
		ps.add(cw, "runs as uid 0")
	}
	seccomp := sc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || (seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault && seccomp.Type != corev1.SeccompProfileTypeLocalhost) {
		ps.add(cw, "no seccompProfile RuntimeDefault, in the container or the pod")
	}
}

// cmpOr returns the first non-nil pointer.
func cmpOr[T any](ptrs ...*T) *T {
	for _, p := range ptrs {
		if p != nil {
			return p
		}
	}
	return nil
}

// checkResources wants CPU and memory requests, for scheduling, and a
// memory limit, so a leak ends in this pod's restart and not the node's
// trouble. A CPU limit is optional: it only throttles.
func checkResources(ps *problems, cw string, r corev1.ResourceRequirements) {
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := r.Requests[name]; !ok {
			ps.add(cw, "resources.requests.%s is not set", name)
		}
	}
	if _, ok := r.Limits[corev1.ResourceMemory]; !ok {
		ps.add(cw, "resources.limits.memory is not set")
	}
}

// container returns the container of the pod whose first argument (the
// ownerbot subcommand) is sub.
func container(spec *corev1.PodSpec, sub string) *corev1.Container {
	for i := range spec.Containers {
		c := &spec.Containers[i]
		if len(c.Args) > 0 && c.Args[0] == sub {
			return c
		}
	}
	return nil
}

func (set *manifestSet) checkServe(ps *problems, w *workload) {
	where := w.obj.String()
	c := container(w.spec, "serve")
	if c == nil {
		ps.add(where, "no container runs `ownerbot serve`")
		return
	}
	cw := fmt.Sprintf("%s: container %s", where, c.Name)
	probes := []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"startupProbe", c.StartupProbe, healthPath},
		{"livenessProbe", c.LivenessProbe, healthPath},
		{"readinessProbe", c.ReadinessProbe, readyPath},
	}
	for _, p := range probes {
		switch {
		case p.probe == nil || p.probe.HTTPGet == nil:
			ps.add(cw, "no %s on GET %s", p.name, p.path)
		case p.probe.HTTPGet.Path != p.path:
			ps.add(cw, "%s asks %s, want %s", p.name, p.probe.HTTPGet.Path, p.path)
		case !hasPort(c, p.probe.HTTPGet.Port):
			ps.add(cw, "%s port %s is no port of the container", p.name, p.probe.HTTPGet.Port.String())
		}
	}
	e := set.envOf(c)
	timeout := defaultShutdownTimeout
	if v, ok := e.get("OWNERBOT_SHUTDOWN_TIMEOUT"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			ps.add(cw, "OWNERBOT_SHUTDOWN_TIMEOUT %q is not a duration", v)
		} else {
			timeout = d
		}
	}
	var sleep time.Duration
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		sleep = time.Duration(c.Lifecycle.PreStop.Sleep.Seconds) * time.Second
	}
	grace := 30 * time.Second
	if w.spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*w.spec.TerminationGracePeriodSeconds) * time.Second
	}
	if grace <= timeout+sleep {
		ps.add(where, "terminationGracePeriodSeconds %.0f does not exceed OWNERBOT_SHUTDOWN_TIMEOUT (%s) plus the preStop sleep (%s): the kubelet would kill the drain", grace.Seconds(), timeout, sleep)
	}
	if len(c.EnvFrom) > 0 && w.annotations["checksum/config"] == "" {
		ps.add(where, "the pod template has no checksum/config annotation: a configuration change would not roll the pods")
	}
	if _, ok := e["OWNERBOT_SWEEP_SCHEDULE"]; ok {
		if w.replicas != nil && *w.replicas > 1 {
			ps.add(where, "OWNERBOT_SWEEP_SCHEDULE is set with %d replicas: every replica would sweep", *w.replicas)
		}
		if set.scaledByHPA(w) {
			ps.add(where, "OWNERBOT_SWEEP_SCHEDULE is set and a HorizontalPodAutoscaler scales it: every replica would sweep")
		}
	}
}

func (set *manifestSet) scaledByHPA(w *workload) bool {
	for _, o := range set.hpas {
		ref := o.Obj.(*autoscalingv2.HorizontalPodAutoscaler).Spec.ScaleTargetRef
		if ref.Kind == w.obj.Kind && ref.Name == w.obj.Name {
			return true
		}
	}
	return false
}

func hasPort(c *corev1.Container, port intstr.IntOrString) bool {
	for _, p := range c.Ports {
		if (port.Type == intstr.String && p.Name == port.StrVal) || (port.Type == intstr.Int && p.ContainerPort == port.IntVal) {
			return true
		}
	}
	return false
}

// shardArg is the argument of --shard that gives each pod of an Indexed
// Job its own shard.
var shardArg = regexp.MustCompile(`^\$\(` + completionIndexVar + `\)/([0-9]+)$`)

func (set *manifestSet) checkSweep(ps *problems, w *workload, opts manifestOptions) {
	where := w.obj.String()
	c := container(w.spec, "sweep")
	if c == nil {
		ps.add(where, "no container runs `ownerbot sweep`")
		return
	}
	job := w.job
	if job.CompletionMode == nil || *job.CompletionMode != batchv1.IndexedCompletion {
		ps.add(where, "the Job's completionMode is not Indexed: pods would get no %s and could not pick a shard", completionIndexVar)
	}
	var completions, parallelism int32 = 1, 1
	if job.Completions != nil {
		completions = *job.Completions
	}
	if job.Parallelism != nil {
		parallelism = *job.Parallelism
	}
	if completions != parallelism {
		ps.add(where, "completions (%d) and parallelism (%d) differ: every shard must run at once, in one pod each", completions, parallelism)
	}
	shard := ""
	for i, a := range c.Args {
		if a == "--shard" && i+1 < len(c.Args) {
			shard = c.Args[i+1]
		} else if v, ok := strings.CutPrefix(a, "--shard="); ok {
			shard = v
		}
	}
	m := shardArg.FindStringSubmatch(shard)
	switch {
	case m == nil:
		ps.add(where, "sweep args %q: want --shard $(%s)/%d", c.Args, completionIndexVar, completions)
	case m[1] != strconv.Itoa(int(completions)):
		ps.add(where, "sweep args say --shard %s but the Job has %d completions: shards would be skipped or swept twice", shard, completions)
	}
	if opts.Shards > 0 && int(completions) != opts.Shards {
		ps.add(where, "the sweep runs %d shards, want %d", completions, opts.Shards)
	}
	if job.BackoffLimit == nil {
		ps.add(where, "the Job has no backoffLimit")
	}
	if job.ActiveDeadlineSeconds == nil {
		ps.add(where, "the Job has no activeDeadlineSeconds: a stuck sweep would hold the next ones back forever")
	}
	if w.spec.RestartPolicy != corev1.RestartPolicyNever && w.spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		ps.add(where, "restartPolicy %q: a Job's pods must be Never or OnFailure", w.spec.RestartPolicy)
	}
	if cj := w.cronJob; cj != nil {
		if cj.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			ps.add(where, "concurrencyPolicy is %q, want Forbid: two sweeps at once would make the same writes", cj.ConcurrencyPolicy)
		}
		if cj.StartingDeadlineSeconds == nil {
			ps.add(where, "no startingDeadlineSeconds: after a long outage the controller may refuse to start the sweep at all")
		}
		if cj.SuccessfulJobsHistoryLimit == nil || cj.FailedJobsHistoryLimit == nil {
			ps.add(where, "successfulJobsHistoryLimit and failedJobsHistoryLimit must both be set")
		}
	}
}

// selected returns the workloads whose pods a label selector picks.
func (set *manifestSet) selected(sel *metav1.LabelSelector) []*workload {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || sel == nil {
		return nil
	}
	var out []*workload
	for _, w := range set.workloads {
		if s.Matches(labels.Set(w.labels)) {
			out = append(out, w)
		}
	}
	return out
}

func (set *manifestSet) coveredByEgressPolicy(w *workload) bool {
	for _, o := range set.all {
		np, ok := o.Obj.(*networkingv1.NetworkPolicy)
		if !ok || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			continue
		}
		if slices.Contains(set.selected(&np.Spec.PodSelector), w) {
			return true
		}
	}
	return false
}

func (set *manifestSet) checkNetworkPolicy(ps *problems, o *object, np *networkingv1.NetworkPolicy) {
	where := o.String()
	for _, t := range []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress} {
		if !slices.Contains(np.Spec.PolicyTypes, t) {
			ps.add(where, "policyTypes lacks %s: that direction would be open", t)
		}
	}
	pods := set.selected(&np.Spec.PodSelector)
	if len(pods) == 0 {
		ps.add(where, "the NetworkPolicy selects no pods of the chart")
	}
	for i, r := range np.Spec.Ingress {
		if len(r.Ports) == 0 {
			ps.add(where, "ingress rule %d allows every port", i+1)
		}
		for _, p := range r.Ports {
			if p.Port == nil || !slices.ContainsFunc(pods, func(w *workload) bool {
				return slices.ContainsFunc(w.spec.Containers, func(c corev1.Container) bool { return hasPort(&c, *p.Port) })
			}) {
				ps.add(where, "ingress rule %d allows port %s, which is no port of the pods it selects", i+1, portString(p.Port))
			}
		}
	}
	// The one other port a pod may reach: the Pushgateway its sweep
	// pushes to.
	pushPorts := map[int32]bool{}
	for _, w := range pods {
		for i := range w.spec.Containers {
			if u, ok := set.envOf(&w.spec.Containers[i]).get("OWNERBOT_PUSHGATEWAY_URL"); ok && u != "" {
				if port, err := urlPort(u); err == nil {
					pushPorts[port] = true
				}
			}
		}
	}
	for i, r := range np.Spec.Egress {
		rw := fmt.Sprintf("%s: egress rule %d", where, i+1)
		if len(r.Ports) == 0 {
			ps.add(rw, "allows every port: only DNS (53), GitHub (TCP 443) and the Pushgateway are allowed")
			continue
		}
		if len(r.To) == 0 {
			ps.add(rw, "allows every destination")
		}
		var dns, https, push int
		for _, p := range r.Ports {
			proto := corev1.ProtocolTCP
			if p.Protocol != nil {
				proto = *p.Protocol
			}
			switch {
			case p.Port == nil || p.EndPort != nil:
				ps.add(rw, "allows a range of ports")
			case p.Port.IntValue() == 53 && (proto == corev1.ProtocolUDP || proto == corev1.ProtocolTCP):
				dns++
			case p.Port.IntValue() == 443 && proto == corev1.ProtocolTCP:
				https++
			case proto == corev1.ProtocolTCP && pushPorts[int32(p.Port.IntValue())]:
				push++
			default:
				ps.add(rw, "allows %s %s: only DNS (53), GitHub (TCP 443) and the Pushgateway are allowed", proto, portString(p.Port))
			}
		}
		if dns > 0 && (https > 0 || push > 0) {
			ps.add(rw, "mixes DNS with other ports: the DNS peers would be reachable on them too")
		}
		for _, peer := range r.To {
			switch {
			case peer.IPBlock != nil && dns > 0:
				ps.add(rw, "sends DNS to %s: only to the cluster DNS", peer.IPBlock.CIDR)
			case peer.IPBlock == nil && https > 0:
				ps.add(rw, "allows TCP 443 to pods: on 443 only GitHub's addresses (ipBlocks) may be reached")
			case peer.IPBlock != nil:
				if _, n, err := net.ParseCIDR(peer.IPBlock.CIDR); err != nil {
					ps.add(rw, "ipBlock %q is not a CIDR", peer.IPBlock.CIDR)
				} else if ones, _ := n.Mask.Size(); ones < 8 {
					ps.add(rw, "ipBlock %s is (nearly) the whole internet", peer.IPBlock.CIDR)
				}
			}
		}
	}
}

func portString(p *intstr.IntOrString) string {
	if p == nil {
		return "(any)"
	}
	return p.String()
}

// urlPort is the TCP port a URL names, or its scheme's.
func urlPort(raw string) (int32, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, err
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseInt(p, 10, 32)
		return int32(n), err
	}
	if u.Scheme == "https" {
		return 443, nil
	}
	return 80, nil
}

// routes reports whether an Ingress path of the given type sends the
// request path target to its backend.
func routes(path string, typ networkingv1.PathType, target string) bool {
	if typ == networkingv1.PathTypeExact {
		return path == target
	}
	// Prefix, and ImplementationSpecific read the strict way: by path
	// element.
	p := strings.TrimSuffix(path, "/")
	return p == "" || target == p || strings.HasPrefix(target, p+"/")
}

func (set *manifestSet) checkIngress(ps *problems, o *object, ing *networkingv1.Ingress) {
	where := o.String()
	if ing.Spec.DefaultBackend != nil {
		ps.add(where, "a defaultBackend sends every path, /metrics too, to the cluster")
	}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			typ := networkingv1.PathTypeImplementationSpecific
			if p.PathType != nil {
				typ = *p.PathType
			}
			if routes(p.Path, typ, metricsPath) {
				ps.add(where, "path %q (%s) publishes %s", p.Path, typ, metricsPath)
			} else if !(p.Path == webhookPath || (typ != networkingv1.PathTypeExact && strings.HasPrefix(p.Path, webhookPath+"/"))) {
				ps.add(where, "path %q (%s) publishes more than %s", p.Path, typ, webhookPath)
			}
			if svc := p.Backend.Service; svc == nil {
				ps.add(where, "path %q has no Service backend", p.Path)
			} else if !set.servicePort(svc.Name, svc.Port.Name, svc.Port.Number) {
				port := svc.Port.Name
				if port == "" {
					port = strconv.Itoa(int(svc.Port.Number))
				}
				ps.add(where, "path %q: Service %q has no port %s", p.Path, svc.Name, port)
			}
		}
	}
}

// servicePort reports whether a rendered Service has the port, by name or
// number.
func (set *manifestSet) servicePort(name, portName string, number int32) bool {
	for _, o := range set.services {
		svc := o.Obj.(*corev1.Service)
		if svc.Name != name {
			continue
		}
		for _, p := range svc.Spec.Ports {
			if (portName != "" && p.Name == portName) || (portName == "" && p.Port == number) {
				return true
			}
		}
	}
	return false
}

func (set *manifestSet) checkService(ps *problems, o *object, svc *corev1.Service) {
	where := o.String()
	pods := set.selected(&metav1.LabelSelector{MatchLabels: svc.Spec.Selector})
	if len(svc.Spec.Selector) == 0 || len(pods) == 0 {
		ps.add(where, "the Service selects no pods of the chart")
		return
	}
	for _, p := range svc.Spec.Ports {
		target := p.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(p.Port)
		}
		for _, w := range pods {
			if !slices.ContainsFunc(w.spec.Containers, func(c corev1.Container) bool { return hasPort(&c, target) }) {
				ps.add(where, "port %s: targetPort %s is no port of %s", p.Name, target.String(), w.obj.Name)
			}
		}
	}
}

func (set *manifestSet) checkServiceMonitor(ps *problems, o *object, sm *monitoringv1.ServiceMonitor) {
	where := o.String()
	sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		ps.add(where, "selector: %v", err)
		return
	}
	var svcs []*corev1.Service
	for _, s := range set.services {
		svc := s.Obj.(*corev1.Service)
		if sel.Matches(labels.Set(svc.Labels)) {
			svcs = append(svcs, svc)
		}
	}
	if len(svcs) == 0 {
		ps.add(where, "the ServiceMonitor selects no Service of the chart")
	}
	for _, ep := range sm.Spec.Endpoints {
		if ep.Path != metricsPath {
			ps.add(where, "endpoint path %q, want %s", ep.Path, metricsPath)
		}
		for _, svc := range svcs {
			if ep.Port == "" || !set.servicePort(svc.Name, ep.Port, 0) {
				ps.add(where, "endpoint port %q is no port of Service %s", ep.Port, svc.Name)
			}
		}
	}
}

func (set *manifestSet) checkHPA(ps *problems, o *object, hpa *autoscalingv2.HorizontalPodAutoscaler) {
	ref := hpa.Spec.ScaleTargetRef
	for _, w := range set.workloads {
		if w.obj.Kind == ref.Kind && w.obj.Name == ref.Name {
			return
		}
	}
	ps.add(o.String(), "scaleTargetRef %s/%s is not rendered", ref.Kind, ref.Name)
}
