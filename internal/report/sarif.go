package report

import (
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/ownerbot/ownerbot/internal/policy"
)

// SARIF 2.1.0, the subset ownerbot writes. GitHub code scanning and editors
// read it; the tests validate it against the OASIS schema.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool       sarifTool     `json:"tool"`
	Results    []sarifResult `json:"results"`
	ColumnKind string        `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri"`
	Rules           []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string          `json:"id"`
	ShortDescription     sarifText       `json:"shortDescription"`
	Help                 sarifText       `json:"help"`
	DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
	Properties           sarifRuleProps  `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifText          `json:"message"`
	Locations    []sarifLocation    `json:"locations"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	Properties   map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifactLoc `json:"artifactLocation"`
	Region           *sarifRegion     `json:"region,omitempty"`
}

type sarifArtifactLoc struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

// SARIFOptions describe the tool in the log and the tree it judged.
type SARIFOptions struct {
	Version string // ownerbot's version, when known
	// Files are the paths of every file of the evaluated tree, sorted
	// bytewise, ignored ones included: a result points only at one of them.
	// Nil means res.Paths and res.CODEOWNERS.
	Files []string
}

// SARIF writes the result as a SARIF 2.1.0 log with one run. Every catalogue
// rule is described, so viewers can show the remedy of any result; findings
// waived by an exception are results with an accepted suppression.
//
// Every result has one physical location at a file of the tree, with a
// region, as GitHub code scanning needs to show it: the finding's file and
// line (line 1 for a finding about the whole file). A finding about a
// directory points at the directory's first file and names the directory in
// its message; one about a file that does not exist (a missing OWNERS.yaml
// or CODEOWNERS) points at the file that is there to fix instead, see
// [anchorFile]. The finding's own path is kept in the result's properties.
func SARIF(w io.Writer, res *policy.Result, opt SARIFOptions) error {
	rules := policy.Rules()
	index := map[string]int{}
	driver := sarifDriver{
		Name:            "ownerbot",
		Version:         opt.Version,
		SemanticVersion: semanticVersion(opt.Version),
		InformationURI:  "https://github.com/ownerbot/ownerbot",
	}
	files := opt.Files
	if files == nil {
		files = res.Paths
		if res.CODEOWNERS != "" {
			files = append(slices.Clone(files), res.CODEOWNERS)
		}
	}
	if !slices.IsSorted(files) {
		files = slices.Clone(files)
		slices.Sort(files)
	}
	anchor := anchorFile(files, res.CODEOWNERS)
	for i, r := range rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   r.ID,
			ShortDescription:     sarifText{r.Title},
			Help:                 sarifText{"Fix: " + r.Remedy + " (" + string(r.Practice) + ")"},
			DefaultConfiguration: sarifRuleConfig{sarifLevel(r.Severity)},
			Properties:           sarifRuleProps{Tags: []string{"ownership", "OPS02"}},
		})
	}
	run := sarifRun{
		Tool:       sarifTool{Driver: driver},
		Results:    []sarifResult{},
		ColumnKind: "unicodeCodePoints",
	}
	for _, f := range res.Findings {
		at, line, col := f.Path, f.Line, f.Column
		msg := f.Message
		if !hasFile(files, at) {
			// The location no longer says what the finding is about: the
			// message does.
			switch first := firstFileBelow(files, at); {
			case first != "":
				at, line, col, msg = first, 0, 0, f.Path+": "+msg
			case anchor != "":
				at, line, col, msg = anchor, 0, 0, f.Path+": "+msg
			}
		}
		if line <= 0 {
			// GitHub code scanning shows a result only with a start line; a
			// finding about a whole file is shown at its first.
			line, col = 1, 0
		}
		loc := sarifPhysical{
			ArtifactLocation: sarifArtifactLoc{URI: sarifURI(at), URIBaseID: "%SRCROOT%"},
			Region:           &sarifRegion{StartLine: line, StartColumn: col},
		}
		if f.Remedy != "" {
			msg += ". Fix: " + f.Remedy
		}
		result := sarifResult{
			RuleID:    f.Rule,
			RuleIndex: index[f.Rule],
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{msg},
			Locations: []sarifLocation{{PhysicalLocation: loc}},
		}
		props := map[string]any{}
		if at != f.Path {
			props["path"] = f.Path
		}
		if f.Unit != "" {
			props["unit"] = f.Unit
		}
		if len(f.Owners) > 0 {
			props["owners"] = f.Owners
		}
		if len(props) > 0 {
			result.Properties = props
		}
		if f.ExceptedBy != "" {
			result.Suppressions = []sarifSuppression{{
				Kind:          "external",
				Status:        "accepted",
				Justification: "waived by exception " + f.ExceptedBy + "; its approval is verified by the ownerbot App",
			}}
		}
		run.Results = append(run.Results, result)
	}
	doc := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func sarifLevel(s policy.Severity) string {
	switch s {
	case policy.Error:
		return "error"
	case policy.Warning:
		return "warning"
	}
	return "note"
}

// sarifURI makes a repository-relative path a relative URI reference: each
// segment escaped, the separators kept. The whole tree is ".".
func sarifURI(p string) string {
	if p == "." || p == "" {
		return "."
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// hasFile reports whether p is one of the sorted files.
func hasFile(files []string, p string) bool {
	_, found := slices.BinarySearch(files, p)
	return found
}

// firstFileBelow returns the first of the sorted files inside the directory
// dir ("legacy/"), or "" when dir is not a directory with files. The whole
// tree (".") has no first file here: its findings go to the anchor.
func firstFileBelow(files []string, dir string) string {
	if !strings.HasSuffix(dir, "/") {
		return ""
	}
	i, _ := slices.BinarySearch(files, dir)
	if i < len(files) && strings.HasPrefix(files[i], dir) {
		return files[i]
	}
	return ""
}

// anchorFile is where a finding about something that is not a file of the
// tree points: the CODEOWNERS file GitHub reads, where ownership is fixed;
// without one a README at the root, else the first file at the root, else
// the first file. "" for an empty tree.
func anchorFile(files []string, codeowners string) string {
	if codeowners != "" && hasFile(files, codeowners) {
		return codeowners
	}
	var rootFile string
	for _, f := range files {
		if strings.Contains(f, "/") {
			continue
		}
		if strings.HasPrefix(strings.ToLower(f), "readme") {
			return f
		}
		if rootFile == "" {
			rootFile = f
		}
	}
	if rootFile != "" {
		return rootFile
	}
	if len(files) > 0 {
		return files[0]
	}
	return ""
}

// semanticVersion returns v without its "v" when it is a Semantic Versioning
// 2.0.0 version ("1.2.3", "v0.0.0-20260101120000-abcdef123456+dirty"), as
// SARIF's semanticVersion wants, else "".
func semanticVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	core, build, hasBuild := strings.Cut(v, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	nums := strings.Split(core, ".")
	if len(nums) != 3 {
		return ""
	}
	for _, n := range nums {
		if n == "" || strings.Trim(n, "0123456789") != "" || len(n) > 1 && n[0] == '0' {
			return ""
		}
	}
	if hasPre && !semverIdentifiers(pre, true) || hasBuild && !semverIdentifiers(build, false) {
		return ""
	}
	return v
}

// semverIdentifiers checks dot-separated identifiers; numeric ones may not
// have leading zeros in a pre-release.
func semverIdentifiers(s string, noLeadingZero bool) bool {
	for _, id := range strings.Split(s, ".") {
		if !semverIdentifier(id, noLeadingZero) {
			return false
		}
	}
	return true
}

func semverIdentifier(id string, noLeadingZero bool) bool {
	if id == "" {
		return false
	}
	numeric := true
	for _, r := range id {
		switch {
		case '0' <= r && r <= '9':
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', r == '-':
			numeric = false
		default:
			return false
		}
	}
	return !numeric || !noLeadingZero || id == "0" || id[0] != '0'
}
