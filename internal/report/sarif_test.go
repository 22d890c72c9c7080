package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ownerbot/ownerbot/internal/codeowners"
	"github.com/ownerbot/ownerbot/internal/policy"
	"github.com/ownerbot/ownerbot/internal/schematest"
)

// sarifResultLog is what these tests read back of a log.
type sarifResultLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Version         string `json:"version"`
				SemanticVersion string `json:"semanticVersion"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID  string `json:"ruleId"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region *struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			Properties map[string]any `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

func writeSARIF(t *testing.T, res *policy.Result, opt SARIFOptions) sarifResultLog {
	t.Helper()
	var buf bytes.Buffer
	if err := SARIF(&buf, res, opt); err != nil {
		t.Fatal(err)
	}
	if err := schematest.ValidateSARIF(t, buf.Bytes()); err != nil {
		t.Errorf("SARIF output does not validate against the OASIS schema: %v", err)
	}
	var log sarifResultLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	return log
}

// Every result points at a file of the tree with a start line, which GitHub
// code scanning needs to show it: findings about a directory, the whole
// tree or a file that is not there are moved to a file that is, and say in
// their message and properties what they are about.
func TestSARIFLocationsAreFilesOfTheTree(t *testing.T) {
	type where struct {
		URI     string
		Line    int
		Column  int
		Prefix  string // of the message: the finding's own path when moved
		Path    string // properties.path, set when moved
		Finding string
	}
	files := []string{".github/CODEOWNERS", "README.md", "legacy/jobs/nightly.sh", "legacy/old.go", "naïve dir/a b.go", "src/x.go", "zz.txt"}
	finding := func(rule, path string, line, col int) policy.Finding {
		return policy.Finding{Rule: rule, Severity: policy.Warning, Path: path, Line: line, Column: col, Message: "m"}
	}
	for _, tt := range []struct {
		name       string
		codeowners string
		files      []string
		f          policy.Finding
		want       where
	}{
		{"a line of a file", ".github/CODEOWNERS", files, finding(policy.CodeownersInvalidOwner, ".github/CODEOWNERS", 3, 7),
			where{URI: ".github/CODEOWNERS", Line: 3, Column: 7}},
		{"a whole file", ".github/CODEOWNERS", files, finding(policy.LinkOutsideRepository, "src/x.go", 0, 0),
			where{URI: "src/x.go", Line: 1}},
		{"an escaped file name", ".github/CODEOWNERS", files, finding(policy.CodeownersUnowned, "naïve dir/a b.go", 0, 0),
			where{URI: "na%C3%AFve%20dir/a%20b.go", Line: 1}},
		{"a directory: its first file", ".github/CODEOWNERS", files, finding(policy.CodeownersUnowned, "legacy/", 0, 0),
			where{URI: "legacy/jobs/nightly.sh", Line: 1, Prefix: "legacy/: ", Path: "legacy/"}},
		{"the whole tree: CODEOWNERS", ".github/CODEOWNERS", files, finding(policy.CodeownersUnowned, ".", 0, 0),
			where{URI: ".github/CODEOWNERS", Line: 1, Prefix: ".: ", Path: "."}},
		{"a missing root OWNERS.yaml: CODEOWNERS", ".github/CODEOWNERS", files, finding(policy.OwnersMissingRoot, "OWNERS.yaml", 0, 0),
			where{URI: ".github/CODEOWNERS", Line: 1, Prefix: "OWNERS.yaml: ", Path: "OWNERS.yaml"}},
		{"a line of a file that is not there", ".github/CODEOWNERS", files, finding(policy.ConfigInvalid, ".github/org/ownerbot.yaml", 4, 2),
			where{URI: ".github/CODEOWNERS", Line: 1, Prefix: ".github/org/ownerbot.yaml: ", Path: ".github/org/ownerbot.yaml"}},
		{"a directory without files", ".github/CODEOWNERS", files, finding(policy.CodeownersUnowned, "gone/", 0, 0),
			where{URI: ".github/CODEOWNERS", Line: 1, Prefix: "gone/: ", Path: "gone/"}},
		{"no CODEOWNERS: the README", "", files[1:], finding(policy.CodeownersMissing, ".github/CODEOWNERS", 0, 0),
			where{URI: "README.md", Line: 1, Prefix: ".github/CODEOWNERS: ", Path: ".github/CODEOWNERS"}},
		{"no CODEOWNERS nor README: the first file at the root", "", []string{"a/b.go", "go.mod", "z.go"}, finding(policy.CodeownersMissing, ".github/CODEOWNERS", 0, 0),
			where{URI: "go.mod", Line: 1, Prefix: ".github/CODEOWNERS: ", Path: ".github/CODEOWNERS"}},
		{"nothing at the root: the first file", "", []string{"a/b.go", "c/d.go"}, finding(policy.OwnersMissingRoot, "OWNERS.yaml", 0, 0),
			where{URI: "a/b.go", Line: 1, Prefix: "OWNERS.yaml: ", Path: "OWNERS.yaml"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := &policy.Result{CODEOWNERS: tt.codeowners, Findings: []policy.Finding{tt.f}}
			log := writeSARIF(t, res, SARIFOptions{Version: "1.2.3", Files: tt.files})
			r := log.Runs[0].Results[0]
			if len(r.Locations) != 1 || r.Locations[0].PhysicalLocation.Region == nil {
				t.Fatalf("locations %+v, want one with a region", r.Locations)
			}
			loc := r.Locations[0].PhysicalLocation
			got := where{URI: loc.ArtifactLocation.URI, Line: loc.Region.StartLine, Column: loc.Region.StartColumn}
			if path, ok := r.Properties["path"].(string); ok {
				got.Path = path
			}
			if msg := r.Message.Text; msg != "m" {
				got.Prefix = msg[:len(msg)-len("m")]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
			file, err := url.PathUnescape(got.URI)
			if err != nil || !slices.Contains(tt.files, file) {
				t.Errorf("uri %q is not a file of the tree", got.URI)
			}
		})
	}
}

// Without Files, the judged paths and the CODEOWNERS file are the tree.
func TestSARIFLocationsDefaultToTheJudgedPaths(t *testing.T) {
	res := &policy.Result{
		CODEOWNERS: ".github/CODEOWNERS",
		Ruleset:    codeowners.Parse([]byte("* @acme/all\n")),
		Paths:      []string{"tools/lint.sh", "tools/fmt.sh"}, // unsorted on purpose
		Findings: []policy.Finding{
			{Rule: policy.CodeownersUnowned, Severity: policy.Warning, Path: "tools/", Message: "unowned"},
			{Rule: policy.OwnersMissingRoot, Severity: policy.Error, Path: "OWNERS.yaml", Message: "no root"},
		},
	}
	log := writeSARIF(t, res, SARIFOptions{Version: "1.2.3"})
	var got []string
	for _, r := range log.Runs[0].Results {
		got = append(got, r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
	}
	if diff := cmp.Diff([]string{"tools/fmt.sh", ".github/CODEOWNERS"}, got); diff != "" {
		t.Errorf("uris (-want +got):\n%s", diff)
	}
}

// The driver always says its version; semanticVersion only when it is one.
func TestSARIFDriverVersion(t *testing.T) {
	for _, tt := range []struct{ version, semantic string }{
		{"1.2.3", "1.2.3"},
		{"v1.2.3", "1.2.3"},
		{"v1.4.0-rc.1+build.7", "1.4.0-rc.1+build.7"},
		{"v0.0.0-20261208002834-c6abde580cff+dirty", "0.0.0-20261208002834-c6abde580cff+dirty"},
		{"v1.2.3-0.20261208002834-c6abde580cff", "1.2.3-0.20261208002834-c6abde580cff"},
		{"dev", ""},
		{"v1.2", ""},
		{"1.02.3", ""},
		{"1.2.3-01", ""},
		{"1.2.3-", ""},
		{"1.2.3+a..b", ""},
		{"c6abde5-dirty", ""},
		{"1.2.3 ", ""},
	} {
		log := writeSARIF(t, &policy.Result{}, SARIFOptions{Version: tt.version})
		d := log.Runs[0].Tool.Driver
		if d.Version != tt.version || d.SemanticVersion != tt.semantic {
			t.Errorf("version %q: driver version %q, semanticVersion %q; want %q", tt.version, d.Version, d.SemanticVersion, tt.semantic)
		}
	}
}
