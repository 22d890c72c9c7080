package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

const chartDir = "../helm/ownerbot"

// helm finds the helm binary: $HELM, else helm on PATH. `make chart`
// installs the pinned version and puts it on PATH.
func helm(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	h, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm is not on PATH (make chart installs it): skipping the checks of the rendered chart")
	}
	return h
}

// render runs helm template on the chart with args and returns its output,
// or its error output when it fails.
func render(t *testing.T, args ...string) ([]byte, string, error) {
	t.Helper()
	cmd := exec.Command(helm(t), slices.Concat([]string{"template", "ob", chartDir, "--namespace", "bots"}, args)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.String(), err
}

func TestChartRenders(t *testing.T) {
	offFile := filepath.Join(t.TempDir(), "off.yaml")
	// Unquoted, YAML 1.1 reads off as false; the chart takes it as "off".
	if err := os.WriteFile(offFile, []byte("sweep:\n  mode: off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		args      []string
		opts      manifestOptions
		wantKinds []string
		schedule  bool // serve sweeps by itself
	}{
		{
			name:      "default",
			args:      []string{"--kube-version", "1.37.0"},
			opts:      manifestOptions{Shards: 1},
			wantKinds: []string{"ConfigMap", "CronJob", "Deployment", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"},
		},
		{
			name:      "oldest supported Kubernetes",
			args:      []string{"--kube-version", "1.30.0"},
			opts:      manifestOptions{Shards: 1},
			wantKinds: []string{"ConfigMap", "CronJob", "Deployment", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"},
		},
		{
			name: "every option",
			args: []string{"--kube-version", "1.37.0", "-f", chartDir + "/ci/full-values.yaml"},
			opts: manifestOptions{Shards: 4},
			wantKinds: []string{"ConfigMap", "CronJob", "Deployment", "HorizontalPodAutoscaler", "Ingress", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy",
				"PersistentVolumeClaim", "Pod", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount", "ServiceMonitor"},
		},
		{
			name:      "four shards on a claim",
			args:      []string{"--kube-version", "1.37.0", "--set", "sweep.shards=4", "--set", "sweep.cache.persistence.enabled=true", "--set", "sweep.cache.persistence.accessModes={ReadWriteMany}"},
			opts:      manifestOptions{Shards: 4},
			wantKinds: []string{"ConfigMap", "CronJob", "Deployment", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy", "PersistentVolumeClaim", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"},
		},
		{
			name:      "built-in sweep, one replica",
			args:      []string{"--kube-version", "1.37.0", "--set", "sweep.mode=builtin", "--set", "serve.replicas=1"},
			wantKinds: []string{"ConfigMap", "Deployment", "NetworkPolicy", "NetworkPolicy", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"},
			schedule:  true,
		},
		{
			name:      "no sweep, off unquoted",
			args:      []string{"--kube-version", "1.37.0", "-f", offFile},
			wantKinds: []string{"ConfigMap", "Deployment", "NetworkPolicy", "NetworkPolicy", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"},
		},
		{
			name:      "no NetworkPolicy, no PDB, no doctor",
			args:      []string{"--kube-version", "1.37.0", "--set", "networkPolicy.enabled=false", "--set", "serve.pdb.enabled=false", "--set", "doctor.enabled=false"},
			opts:      manifestOptions{Shards: 1},
			wantKinds: []string{"ConfigMap", "CronJob", "Deployment", "Service", "ServiceAccount"},
		},
		{
			name:      "App id in the values",
			args:      []string{"--kube-version", "1.37.0", "--set", "github.appId=1234567", "--set", "github.existingSecret=ownerbot-app"},
			opts:      manifestOptions{Shards: 1},
			wantKinds: []string{"ConfigMap", "CronJob", "Deployment", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy", "Pod", "PodDisruptionBudget", "Service", "ServiceAccount"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := render(t, tt.args...)
			if err != nil {
				t.Fatalf("helm template: %v\n%s", err, stderr)
			}
			objs, ps := decodeManifests("rendered.yaml", out)
			ps = append(ps, checkManifests(objs, tt.opts)...)
			for _, p := range ps {
				t.Error(p)
			}
			var kinds []string
			schedule := false
			for _, o := range objs {
				kinds = append(kinds, o.Kind)
				if d, ok := o.Obj.(*appsv1.Deployment); ok {
					for _, e := range d.Spec.Template.Spec.Containers[0].Env {
						schedule = schedule || e.Name == "OWNERBOT_SWEEP_SCHEDULE"
					}
				}
			}
			slices.Sort(kinds)
			if !slices.Equal(kinds, tt.wantKinds) {
				t.Errorf("rendered kinds %v, want %v", kinds, tt.wantKinds)
			}
			if schedule != tt.schedule {
				t.Errorf("serve has OWNERBOT_SWEEP_SCHEDULE: %v, want %v", schedule, tt.schedule)
			}
		})
	}
}

// TestChartAppID checks the App id reaches the pods whole: YAML numbers
// reach templates as floats, and 1234567 must not become 1.234567e+06.
func TestChartAppID(t *testing.T) {
	out, stderr, err := render(t, "--kube-version", "1.37.0", "--values", writeValues(t, "github:\n  appId: 1234567\n"))
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr)
	}
	if !bytes.Contains(out, []byte(`OWNERBOT_APP_ID: "1234567"`)) {
		t.Errorf("the ConfigMap does not hold OWNERBOT_APP_ID \"1234567\":\n%s", out)
	}
}

func writeValues(t *testing.T, s string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(name, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestChartRefuses checks that values which cannot work fail at render
// time, with a message that says what to change.
func TestChartRefuses(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "built-in sweep in two replicas",
			args: []string{"--set", "sweep.mode=builtin", "--set", "serve.replicas=2"},
			want: "sweep.mode=builtin sweeps in every serve replica: set serve.replicas=1 and serve.autoscaling.enabled=false, or use sweep.mode=cronjob",
		},
		{
			name: "built-in sweep autoscaled",
			args: []string{"--set", "sweep.mode=builtin", "--set", "serve.replicas=1", "--set", "serve.autoscaling.enabled=true"},
			want: "sweep.mode=builtin sweeps in every serve replica",
		},
		{
			name: "unknown sweep mode",
			args: []string{"--set", "sweep.mode=sometimes"},
			want: "/sweep/mode",
		},
		{
			name: "misspelt value",
			args: []string{"--set", "serve.replica=2"},
			want: "replica",
		},
		{
			name: "zero shards",
			args: []string{"--set", "sweep.shards=0"},
			want: "/sweep/shards",
		},
		{
			name: "App id not a number",
			args: []string{"--set", "github.appId=my-app"},
			want: "/github/appId",
		},
		{
			name: "chart Secret without a key",
			args: []string{"--set", "github.createSecret=true", "--set", "github.appId=1", "--set", "github.webhookSecret=s"},
			want: "github.createSecret needs github.privateKey",
		},
		{
			name: "chart Secret and existing Secret",
			args: []string{"--set", "github.createSecret=true", "--set", "github.existingSecret=mine"},
			want: "github.createSecret and github.existingSecret exclude each other",
		},
		{
			name: "Kubernetes too old",
			args: []string{"--kube-version", "1.29.0"},
			want: "kubeVersion",
		},
		{
			name: "no resources",
			args: []string{"--set", "serve.resources=null"},
			want: "resources",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if !slices.Contains(args, "--kube-version") {
				args = append(args, "--kube-version", "1.37.0")
			}
			_, stderr, err := render(t, args...)
			if err == nil {
				t.Fatalf("helm template %v rendered", tt.args)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("helm template %v failed with\n%s\nwant it to say %q", tt.args, stderr, tt.want)
			}
		})
	}
}

// notes renders the chart's NOTES.txt, which helm template leaves out: a
// copy of the chart gets a template that includes it into a ConfigMap.
func notes(t *testing.T, args ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ownerbot")
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	probe := `{{- $notes := include "ownerbot/templates/NOTES.txt" . }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  notes: {{ $notes | quote }}
`
	if err := os.WriteFile(filepath.Join(dir, "templates", "notes-probe.yaml"), []byte(probe), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(helm(t), slices.Concat([]string{"template", "ownerbot", dir, "--namespace", "bots", "--kube-version", "1.37.0",
		"--show-only", "templates/notes-probe.yaml"}, args)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rendering NOTES.txt: %v\n%s", err, stderr.String())
	}
	objs, ps := decodeManifests("notes.yaml", stdout.Bytes())
	if len(ps) > 0 || len(objs) != 1 {
		t.Fatalf("rendering NOTES.txt: %v", lines(ps))
	}
	return objs[0].Obj.(*corev1.ConfigMap).Data["notes"]
}

// TestChartNotes checks that NOTES.txt renders for each way of installing
// and names the next step with the release's names.
func TestChartNotes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{
			name: "default",
			want: []string{
				"kubectl -n bots create secret generic ownerbot",
				"--from-literal=app-id=APP_ID",
				"kubectl -n bots rollout status deployment/ownerbot",
				"helm -n bots test ownerbot --logs",
				"the address where GitHub reaches service/ownerbot, path /webhook.",
				"kubectl -n bots create job --from=cronjob/ownerbot-sweep ownerbot-sweep-now",
				"The NetworkPolicies let the pods reach only the cluster DNS and GitHub on TCP 443",
			},
		},
		{
			name: "every option",
			args: []string{"-f", chartDir + "/ci/full-values.yaml"},
			want: []string{
				`The chart created the Secret "ownerbot" from your values.`,
				"https://ownerbot.example.com/webhook",
				`The sweep runs on "30 5 * * 1-5" (Europe/Berlin) as 4 shard(s)`,
			},
		},
		{
			name: "built-in sweep, no doctor test",
			args: []string{"--set", "sweep.mode=builtin", "--set", "serve.replicas=1", "--set", "doctor.enabled=false"},
			want: []string{
				"kubectl -n bots exec deployment/ownerbot -- ownerbot doctor",
				`serve sweeps on "30 5 * * 1-5" (Etc/UTC) itself.`,
			},
		},
		{
			name: "no sweep",
			args: []string{"--set", "sweep.mode=off"},
			want: []string{"No scheduled sweep (sweep.mode=off)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := notes(t, tt.args...)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("NOTES.txt does not say %q:\n%s", w, got)
				}
			}
		})
	}
}
