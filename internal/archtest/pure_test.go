// Package archtest guards the shape of the code base: the functional core
// stays pure, so it can run anywhere with the same answers.
package archtest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	// Linked in so that any change to the guarded packages invalidates the
	// cached result of these tests.
	_ "github.com/ownerbot/ownerbot/internal/backstage"
	_ "github.com/ownerbot/ownerbot/internal/codeowners"
	_ "github.com/ownerbot/ownerbot/internal/exception"
	_ "github.com/ownerbot/ownerbot/internal/gfm"
	_ "github.com/ownerbot/ownerbot/internal/owners"
	_ "github.com/ownerbot/ownerbot/internal/policy"
	_ "github.com/ownerbot/ownerbot/internal/prow"
	_ "github.com/ownerbot/ownerbot/internal/runbook"
	_ "github.com/ownerbot/ownerbot/internal/strictyaml"
)

// pure are the packages of the functional core (DESIGN §6): bytes and values
// in, values out, `now` passed in.
var pure = []string{
	"github.com/ownerbot/ownerbot/internal/backstage",
	"github.com/ownerbot/ownerbot/internal/codeowners",
	"github.com/ownerbot/ownerbot/internal/config",
	"github.com/ownerbot/ownerbot/internal/exception",
	"github.com/ownerbot/ownerbot/internal/gfm",
	"github.com/ownerbot/ownerbot/internal/owners",
	"github.com/ownerbot/ownerbot/internal/policy",
	"github.com/ownerbot/ownerbot/internal/prow",
	"github.com/ownerbot/ownerbot/internal/review",
	"github.com/ownerbot/ownerbot/internal/runbook",
	"github.com/ownerbot/ownerbot/internal/strictyaml",
}

// forbiddenDeps would bring the network, logging, processes, git or GitHub
// into the core, however indirectly. ("net" is the sockets package: net/url,
// which only parses text, is fine; net/http depends on net and is caught.)
var forbiddenDeps = []string{"net", "log", "log/slog", "os/exec"}

// forbiddenModules are caught with everything below them.
var forbiddenModules = []string{
	"github.com/google/go-github", "github.com/rs/zerolog", "github.com/go-git",
	"github.com/bradleyfalzon/ghinstallation",
}

// forbiddenImports are fine deep down (fmt uses os) but not used directly:
// the core reads files only through io/fs.
var forbiddenImports = []string{"os", "syscall", "path/filepath"}

type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Deps       []string
}

func goList(t *testing.T, pkg string) listed {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "-deps=false", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	var l listed
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPureCoreImportsNoIO(t *testing.T) {
	for _, pkg := range pure {
		l := goList(t, pkg)
		if len(l.Deps) == 0 {
			t.Fatalf("go list reported no dependencies for %s", pkg)
		}
		for _, dep := range l.Deps {
			if slices.Contains(forbiddenDeps, dep) {
				t.Errorf("%s depends on %s; the pure core must not", pkg, dep)
			}
			for _, bad := range forbiddenModules {
				if dep == bad || strings.HasPrefix(dep, bad+"/") {
					t.Errorf("%s depends on %s; the pure core must not", pkg, dep)
				}
			}
		}
		for _, imp := range l.Imports {
			for _, bad := range forbiddenImports {
				if imp == bad {
					t.Errorf("%s imports %s; the pure core reads files only through io/fs", pkg, imp)
				}
			}
		}
	}
}

func TestPureCoreNeverReadsTheClock(t *testing.T) {
	clock := map[string]bool{"Now": true, "Since": true, "Until": true, "Tick": true, "After": true, "NewTimer": true, "NewTicker": true}
	for _, pkg := range pure {
		l := goList(t, pkg)
		fset := token.NewFileSet()
		for _, name := range l.GoFiles {
			file, err := parser.ParseFile(fset, filepath.Join(l.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			timeName := ""
			for _, imp := range file.Imports {
				if imp.Path.Value == `"time"` {
					timeName = "time"
					if imp.Name != nil {
						timeName = imp.Name.Name
					}
				}
			}
			if timeName == "" {
				continue
			}
			ast.Inspect(file, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == timeName && clock[sel.Sel.Name] {
					t.Errorf("%s: time.%s reads the clock; pass `now` in instead", fset.Position(sel.Pos()), sel.Sel.Name)
				}
				return true
			})
		}
	}
}
