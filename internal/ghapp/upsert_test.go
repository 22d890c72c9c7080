package ghapp

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"
)

// TestUpsertLostResponse is the case the pattern exists for: the issue is
// created, the response never arrives, and the write must not be repeated.
func TestUpsertLostResponse(t *testing.T) {
	f := newFakeGitHub(t, "")
	var mu sync.Mutex
	var issues []map[string]any
	posts := 0
	f.setHandler(func(w http.ResponseWriter, r *http.Request, inst int64) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, issues)
		case http.MethodPost:
			posts++
			issues = append(issues, map[string]any{"number": len(issues) + 1, "title": "ownerbot: review due", "body": "<!-- ownerbot:unit=payments -->"})
			// The write landed; the connection dies before the answer.
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_ = conn.Close()
		}
	})
	c, _ := newTestApp(t, f, newFakeTime(), nil, nil).Client(1)
	ctx := context.Background()
	find := func(ctx context.Context) (*github.Issue, bool, error) {
		list, _, err := c.Issues.ListByRepo(ctx, "o", "r", &github.IssueListByRepoOptions{State: "all"})
		if err != nil {
			return nil, false, err
		}
		for _, is := range list {
			if is.GetBody() == "<!-- ownerbot:unit=payments -->" {
				return is, true, nil
			}
		}
		return nil, false, nil
	}
	create := func(ctx context.Context) (*github.Issue, error) {
		is, _, err := c.Issues.Create(ctx, "o", "r", &github.IssueRequest{Title: github.String("ownerbot: review due"), Body: github.String("<!-- ownerbot:unit=payments -->")})
		return is, err
	}
	got, err := Upsert(ctx, find, create)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.GetNumber() != 1 || posts != 1 || len(issues) != 1 {
		t.Fatalf("got issue #%d after %d POSTs, %d issues; want #1, 1, 1", got.GetNumber(), posts, len(issues))
	}
}

func TestUpsert(t *testing.T) {
	errWrite := errors.New("write failed")
	tests := []struct {
		name        string
		present     bool   // item exists before
		lands       []bool // per create call: does the write land?
		fails       []bool // per create call: does it return an error?
		wantCreates int
		wantErr     bool
	}{
		{name: "found, no create", present: true, wantCreates: 0},
		{name: "created", lands: []bool{true}, fails: []bool{false}, wantCreates: 1},
		{name: "lost response, landed", lands: []bool{true}, fails: []bool{true}, wantCreates: 1},
		{name: "failed, retried once", lands: []bool{false, true}, fails: []bool{true, false}, wantCreates: 2},
		{name: "failed twice", lands: []bool{false, false}, fails: []bool{true, true}, wantCreates: 2, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			present, creates := tt.present, 0
			find := func(context.Context) (string, bool, error) {
				if present {
					return "item", true, nil
				}
				return "", false, nil
			}
			create := func(context.Context) (string, error) {
				i := creates
				creates++
				present = present || tt.lands[i]
				if tt.fails[i] {
					return "", errWrite
				}
				return "item", nil
			}
			got, err := Upsert(context.Background(), find, create)
			if creates != tt.wantCreates {
				t.Errorf("creates = %d, want %d", creates, tt.wantCreates)
			}
			if tt.wantErr {
				if !errors.Is(err, errWrite) {
					t.Fatalf("err = %v, want it to wrap the write error", err)
				}
				return
			}
			if err != nil || got != "item" {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}
