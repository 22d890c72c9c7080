package snapshot

import (
	"strings"
	"testing"
)

func TestMergeBase(t *testing.T) {
	r := newTestRepo(t)
	r.write(map[string]string{"a": "1"})
	root := r.commit("root")
	r.write(map[string]string{"a": "2"})
	fork := r.commit("fork")
	r.git("checkout", "-q", "-b", "topic")
	r.write(map[string]string{"b": "1"})
	topic := r.commit("topic")
	r.git("checkout", "-q", "main")
	r.write(map[string]string{"a": "3"})
	main := r.commit("main")

	tests := []struct{ a, b, want string }{
		{main, topic, fork},
		{topic, main, fork},
		{"main", "topic", fork},
		{main, main, main},
		{fork, main, fork}, // an ancestor is its own merge base
		{root, topic, root},
	}
	for _, tt := range tests {
		got, err := MergeBase(r.dir, tt.a, tt.b)
		if err != nil {
			t.Fatalf("MergeBase(%s, %s): %v", r.labels[tt.a], r.labels[tt.b], err)
		}
		if got != tt.want {
			t.Errorf("MergeBase(%s, %s) = %s, want %s", tt.a, tt.b, r.labels[got], r.labels[tt.want])
		}
	}

	// Unrelated histories have no merge base.
	r.git("checkout", "-q", "--orphan", "other")
	r.write(map[string]string{"c": "1"})
	other := r.commit("other")
	if _, err := MergeBase(r.dir, other, main); err == nil || !strings.Contains(err.Error(), "no common history") {
		t.Errorf("unrelated histories: err = %v, want no common history", err)
	}
	if _, err := MergeBase(r.dir, "nope", main); err == nil {
		t.Error("an unknown revision: no error")
	}
}
