package report

import (
	"encoding/json"
	"io"
	"net/url"
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
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
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

// SARIFOptions describe the tool in the log.
type SARIFOptions struct {
	Version string // ownerbot's version, when known
}

// SARIF writes the result as a SARIF 2.1.0 log with one run. Every catalogue
// rule is described, so viewers can show the remedy of any result; findings
// waived by an exception are results with an accepted suppression.
func SARIF(w io.Writer, res *policy.Result, opt SARIFOptions) error {
	rules := policy.Rules()
	index := map[string]int{}
	driver := sarifDriver{
		Name:           "ownerbot",
		Version:        opt.Version,
		InformationURI: "https://github.com/ownerbot/ownerbot",
	}
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
		loc := sarifPhysical{ArtifactLocation: sarifArtifactLoc{URI: sarifURI(f.Path), URIBaseID: "%SRCROOT%"}}
		if f.Line > 0 {
			loc.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
		}
		msg := f.Message
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
