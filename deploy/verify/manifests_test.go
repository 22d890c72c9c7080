package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeManifests(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "helm output",
			in: `---
# Source: ownerbot/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ob
---
# Source: ownerbot/templates/empty.yaml
# only comments: not an object
`,
		},
		{
			name: "unknown field",
			in: `---
# Source: ownerbot/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ob
spec:
  template:
    spec:
      containers:
      - name: serve
        securityContext:
          readOnlyRootFS: true
`,
			want: []string{`t.yaml:2 (ownerbot/templates/deployment.yaml): Deployment: unknown field "spec.template.spec.containers[0].securityContext.readOnlyRootFS"`},
		},
		{
			name: "field in the wrong case",
			in: `apiVersion: v1
kind: Service
metadata:
  name: ob
spec:
  Type: ClusterIP
`,
			want: []string{`t.yaml:1: Service: unknown field "spec.Type"`},
		},
		{
			name: "duplicate key",
			in: `apiVersion: v1
kind: ConfigMap
metadata:
  name: ob
data:
  A: "1"
  A: "2"
`,
			want: []string{`t.yaml:1: yaml: unmarshal errors: line 7: key "A" already set in map`},
		},
		{
			name: "wrong type",
			in: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ob
spec:
  jobTemplate:
    spec:
      completions: two
`,
			want: []string{`t.yaml:1: CronJob: json: cannot unmarshal string into Go struct field JobSpec.spec.jobTemplate.spec.completions of type int32`},
		},
		{
			name: "unknown kind",
			in: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ob
`,
			want: []string{"t.yaml:1: rbac.authorization.k8s.io/v1 ClusterRole is not a kind these checks know: add its checks to deploy/verify first"},
		},
		{
			name: "no name",
			in: `apiVersion: v1
kind: ConfigMap
metadata: {}
`,
			want: []string{"t.yaml:1: ConfigMap without metadata.name"},
		},
		{
			name: "rendered twice",
			in: `apiVersion: v1
kind: ConfigMap
metadata:
  name: ob
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ob
`,
			want: []string{"t.yaml:6: ConfigMap/ob: rendered twice (first at t.yaml:1)"},
		},
		{
			name: "not an object",
			in:   "- a\n- b\n",
			want: []string{"t.yaml:1: not a Kubernetes object: want a mapping with apiVersion and kind"},
		},
		{
			name: "no kind",
			in:   "apiVersion: v1\nmetadata: {name: ob}\n",
			want: []string{"t.yaml:1: not a Kubernetes object: want a mapping with apiVersion and kind"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := decodeManifests("t.yaml", []byte(tt.in))
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeManifestsObjects(t *testing.T) {
	in := `---
# Source: ownerbot/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ob
---
# Source: ownerbot/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: ob
`
	objs, ps := decodeManifests("t.yaml", []byte(in))
	if len(ps) > 0 {
		t.Fatalf("problems: %v", lines(ps))
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.String())
	}
	want := []string{
		"t.yaml:2: ServiceAccount/ob (ownerbot/templates/serviceaccount.yaml)",
		"t.yaml:8: Service/ob (ownerbot/templates/service.yaml)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}
