package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// An object is one document of rendered manifests, decoded into its
// Kubernetes type.
type object struct {
	Where  string // file:line of the document
	Source string // the template that rendered it ("ownerbot/templates/cronjob.yaml")
	Kind   string
	Name   string
	Obj    metav1.Object // *appsv1.Deployment, *batchv1.CronJob, …
}

func (o *object) String() string {
	if o.Source != "" {
		return fmt.Sprintf("%s: %s/%s (%s)", o.Where, o.Kind, o.Name, o.Source)
	}
	return fmt.Sprintf("%s: %s/%s", o.Where, o.Kind, o.Name)
}

// The kinds the chart renders, by apiVersion and kind. Anything else is a
// problem: a new kind needs its checks here first.
var kinds = map[string]func() metav1.Object{
	"v1/ConfigMap":                            func() metav1.Object { return &corev1.ConfigMap{} },
	"v1/Secret":                               func() metav1.Object { return &corev1.Secret{} },
	"v1/Service":                              func() metav1.Object { return &corev1.Service{} },
	"v1/ServiceAccount":                       func() metav1.Object { return &corev1.ServiceAccount{} },
	"v1/PersistentVolumeClaim":                func() metav1.Object { return &corev1.PersistentVolumeClaim{} },
	"v1/Pod":                                  func() metav1.Object { return &corev1.Pod{} },
	"apps/v1/Deployment":                      func() metav1.Object { return &appsv1.Deployment{} },
	"batch/v1/CronJob":                        func() metav1.Object { return &batchv1.CronJob{} },
	"batch/v1/Job":                            func() metav1.Object { return &batchv1.Job{} },
	"networking.k8s.io/v1/Ingress":            func() metav1.Object { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1/NetworkPolicy":      func() metav1.Object { return &networkingv1.NetworkPolicy{} },
	"policy/v1/PodDisruptionBudget":           func() metav1.Object { return &policyv1.PodDisruptionBudget{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() metav1.Object { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() metav1.Object { return &monitoringv1.ServiceMonitor{} },
}

// decodeManifests splits rendered manifests (`helm template` output) into
// documents and decodes each strictly into its type: a duplicate key, an
// unknown field or a field in the wrong case is a problem, as the API
// server's strict field validation would make it.
func decodeManifests(name string, data []byte) ([]*object, []Problem) {
	var (
		objs []*object
		ps   problems
		seen = map[string]string{}
	)
	for _, doc := range splitDocuments(data) {
		where := fmt.Sprintf("%s:%d", name, doc.line)
		js, err := yaml.YAMLToJSONStrict(doc.text)
		if err != nil {
			ps.add(where, "%s", yamlError(err))
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := json.Unmarshal(js, &head); err != nil || head.Kind == "" || head.APIVersion == "" {
			ps.add(where, "not a Kubernetes object: want a mapping with apiVersion and kind")
			continue
		}
		if doc.source != "" {
			where += " (" + doc.source + ")"
		}
		newObj, ok := kinds[head.APIVersion+"/"+head.Kind]
		if !ok {
			ps.add(where, "%s %s is not a kind these checks know: add its checks to deploy/verify first", head.APIVersion, head.Kind)
			continue
		}
		obj := newObj()
		strict, err := kjson.UnmarshalStrict(js, obj)
		if err != nil {
			ps.add(where, "%s: %v", head.Kind, err)
			continue
		}
		for _, e := range strict {
			ps.add(where, "%s: %v", head.Kind, e)
		}
		o := &object{Where: fmt.Sprintf("%s:%d", name, doc.line), Source: doc.source, Kind: head.Kind, Name: obj.GetName(), Obj: obj}
		if o.Name == "" {
			ps.add(where, "%s without metadata.name", head.Kind)
			continue
		}
		key := head.Kind + "/" + o.Name
		if first, dup := seen[key]; dup {
			ps.add(o.String(), "rendered twice (first at %s)", first)
			continue
		}
		seen[key] = o.Where
		objs = append(objs, o)
	}
	return objs, ps
}

// A document of a multi-document YAML stream, with the line it starts on
// and the template Helm names in its "# Source:" comment.
type document struct {
	line   int
	source string
	text   []byte
}

// splitDocuments splits a YAML stream at its "---" lines, dropping
// documents that hold only comments and blank lines.
func splitDocuments(data []byte) []document {
	var (
		docs []document
		cur  document
		body bool
	)
	flush := func() {
		if body {
			docs = append(docs, cur)
		}
		cur, body = document{}, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimRight(line, " \t") == "---" {
			flush()
			continue
		}
		trimmed := strings.TrimSpace(line)
		if src, ok := strings.CutPrefix(trimmed, "# Source: "); ok && cur.source == "" {
			cur.source = src
		}
		if cur.line == 0 && trimmed != "" {
			cur.line = n
		}
		if trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			body = true
		}
		cur.text = append(append(cur.text, line...), '\n')
	}
	flush()
	return docs
}

// yamlError makes the YAML library's error one line.
func yamlError(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
