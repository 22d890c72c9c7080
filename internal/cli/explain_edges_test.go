package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExplainNamesSkippedLines: on examples/acme, line 24 matches
// tools/lint.sh but GitHub skips it for its invalid owner; explain says so
// rather than only "no line matches".
func TestExplainNamesSkippedLines(t *testing.T) {
	got := run(t, "", "explain", "--repo", example, "--now", today, "tools/lint.sh")
	if got.code != ExitOK {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	want := `tools/lint.sh
  owners        none: no line of .github/CODEOWNERS that GitHub applies matches
  skipped       .github/CODEOWNERS:24  /tools/  @acme/platform dev-tools
                  would decide the path, but GitHub skips it: Invalid owner: "dev-tools" is not a valid owner; GitHub skips the whole line
                  fix: write @dev-tools for a GitHub user, or @org/dev-tools for a team
  unit          / (OWNERS.yaml)
`
	if !strings.HasPrefix(got.stdout, want) {
		t.Errorf("explain tools/lint.sh:\n%s\nwant it to start with:\n%s", got.stdout, want)
	}
}

// TestExplainSkippedAfterDecider: a skipped line after the deciding one
// would have won, so explain names it; one before it would lose anyway, so
// explain leaves it out.
func TestExplainSkippedAfterDecider(t *testing.T) {
	dir := repo(t, map[string]string{
		".github/CODEOWNERS": "* @all\n" +
			"/tools/ @a bad\n" + // 2: skipped, before the decider
			"/tools/*.sh @acme/sh\n" + // 3: decides
			"*.sh nobody\n" + // 4: skipped, after it
			"!/tools/lint.sh @x\n" + // 5: skipped for its pattern: no meaning to match
			"/tools/lint.sh @x @y/\n", // 6: skipped, the last that matches
		"OWNERS.yaml":   rootOwners,
		"tools/lint.sh": "#!/bin/sh\n",
		"tools/x.go":    "package x\n",
	})
	type skipped struct {
		Line        int      `json:"line"`
		Pattern     string   `json:"pattern"`
		Owners      []string `json:"owners"`
		Kind        string   `json:"kind"`
		WouldDecide bool     `json:"would_decide"`
	}
	type decided struct {
		Line int `json:"line"`
	}
	type explained struct {
		Path      string    `json:"path"`
		Owners    []string  `json:"owners"`
		DecidedBy *decided  `json:"decided_by"`
		Skipped   []skipped `json:"skipped"`
	}
	got := run(t, "", "explain", "--repo", dir, "--now", today, "--format", "json", "tools/lint.sh", "tools/x.go")
	if got.code != ExitOK {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	var gotJSON []explained
	if err := json.Unmarshal([]byte(got.stdout), &gotJSON); err != nil {
		t.Fatalf("%v\n%s", err, got.stdout)
	}
	want := []explained{
		{Path: "tools/lint.sh", Owners: []string{"@acme/sh"}, DecidedBy: &decided{3}, Skipped: []skipped{
			{6, "/tools/lint.sh", []string{"@x", "@y/"}, "Invalid owner", true},
			{4, "*.sh", []string{"nobody"}, "Invalid owner", false},
		}},
		// Line 1 decides; the skipped line 2 comes after it and would win.
		{Path: "tools/x.go", Owners: []string{"@all"}, DecidedBy: &decided{1}, Skipped: []skipped{
			{2, "/tools/", []string{"@a", "bad"}, "Invalid owner", true},
		}},
	}
	if diff := cmp.Diff(want, gotJSON); diff != "" {
		t.Errorf("explain --format json (-want +got):\n%s", diff)
	}

	text := run(t, "", "explain", "--repo", dir, "--now", today, "tools/lint.sh")
	wantText := `tools/lint.sh
  owners        @acme/sh
  decided by    .github/CODEOWNERS:3  /tools/*.sh  @acme/sh
  overrides     .github/CODEOWNERS:1  *  @all
  skipped       .github/CODEOWNERS:6  /tools/lint.sh  @x @y/
                  would decide the path, but GitHub skips it: Invalid owner: "@y/" is not a valid owner; GitHub skips the whole line
                  fix: write owners as @user, @org/team or an e-mail address
                .github/CODEOWNERS:4  *.sh  nobody
                  would match the path too, but GitHub skips it: Invalid owner: "nobody" is not a valid owner; GitHub skips the whole line
                  fix: write @nobody for a GitHub user, or @org/nobody for a team
  unit          / (OWNERS.yaml)
`
	if !strings.HasPrefix(text.stdout, wantText) {
		t.Errorf("explain tools/lint.sh:\n%s\nwant it to start with:\n%s", text.stdout, wantText)
	}

	// With no skipped line that matches, the output says nothing of them.
	plain := run(t, "", "explain", "--repo", dir, "--now", today, "OWNERS.yaml")
	if strings.Contains(plain.stdout, "skipped") {
		t.Errorf("explain OWNERS.yaml mentions skipped lines:\n%s", plain.stdout)
	}
}
