package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", goodManifests)
	bad := write("bad.yaml", strings.Replace(goodManifests, "concurrencyPolicy: Forbid", "concurrencyPolicy: Allow", 1))
	dockerfile := write("Dockerfile", goodDockerfile)
	gomod := write("go.mod", "module x\n\ngo 1.26.0\n")

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "no command",
			wantCode:   exitUsage,
			wantStderr: usage + "\n",
		},
		{
			name:       "unknown command",
			args:       []string{"lint"},
			wantCode:   exitUsage,
			wantStderr: "verify: usage: unknown command \"lint\"\n" + usage + "\n",
		},
		{
			name:       "manifests without files",
			args:       []string{"manifests"},
			wantCode:   exitUsage,
			wantStderr: "verify: usage: manifests takes one or more rendered files\n" + usage + "\n",
		},
		{
			name:       "manifests ok",
			args:       []string{"manifests", "--shards", "2", good},
			wantCode:   exitOK,
			wantStdout: "manifests: " + good + " (11 objects: ConfigMap, ServiceAccount, Deployment, CronJob, PersistentVolumeClaim, Service, Ingress, ServiceMonitor, PodDisruptionBudget, NetworkPolicy, NetworkPolicy): ok\n",
		},
		{
			name:     "manifests with a problem",
			args:     []string{"manifests", bad},
			wantCode: exitProblems,
			wantStdout: bad + `:78: CronJob/ob-sweep: concurrencyPolicy is "Allow", want Forbid: two sweeps at once would make the same writes` + "\n" +
				"manifests: 1 problem(s)\n",
		},
		{
			name:       "missing file",
			args:       []string{"manifests", filepath.Join(dir, "absent.yaml")},
			wantCode:   exitProblems,
			wantStderr: "verify manifests: open " + filepath.Join(dir, "absent.yaml") + ": no such file or directory\n",
		},
		{
			name:       "dockerfile ok",
			args:       []string{"dockerfile", "--gomod", gomod, dockerfile},
			wantCode:   exitOK,
			wantStdout: dockerfile + ": multi-stage, static trimmed stamped build, distroless nonroot runtime, numeric USER, exec-form ENTRYPOINT: ok\n",
		},
		{
			name:       "values needs its files",
			args:       []string{"values", "--values", "v.yaml"},
			wantCode:   exitUsage,
			wantStderr: "verify: usage: values needs --values, --schema and --readme\n" + usage + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantStdout, stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}
