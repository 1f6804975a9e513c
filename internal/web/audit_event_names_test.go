package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// writtenEvents reads the portal's code (not its tests) for the audit
// event types it writes: the first string constant given to Audit,
// AuditEvent, auditEvent or admin's act. A call passing the type on from
// a parameter named event (the writers themselves) is followed no further.
func writtenEvents(t *testing.T) map[string]string {
	t.Helper()
	events := map[string]string{} // type → where it is written
	fset := token.NewFileSet()
	for _, root := range []string{"../../internal", "../../cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
				strings.Contains(path, "storetest") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				var name string
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
					if name == "act" {
						return true // a local function value, not admin's s.act
					}
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if !slices.Contains([]string{"Audit", "AuditEvent", "auditEvent", "act"}, name) {
					return true
				}
				for _, a := range call.Args {
					if id, ok := a.(*ast.Ident); ok && id.Name == "event" {
						return true
					}
					if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						events[v] = fset.Position(lit.Pos()).String()
						return true
					}
				}
				t.Errorf("%s: %s(…) with no event type written as a string: give it one, or name the parameter event",
					fset.Position(call.Pos()), name)
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return events
}

// TestEveryAuditEventHasAName: each event type the portal writes has a
// human name for the console, and no name is kept for a type it no
// longer writes.
func TestEveryAuditEventHasAName(t *testing.T) {
	events := writtenEvents(t)
	if len(events) < 20 {
		t.Fatalf("found only %d event types written: the search no longer reads the code that writes them", len(events))
	}
	for e, where := range events {
		if _, ok := eventTitles[e]; !ok {
			t.Errorf("%s writes audit event %q, which has no name in eventTitles", where, e)
		}
	}
	for e := range eventTitles {
		if _, ok := events[e]; !ok {
			t.Errorf("eventTitles names %q, which the portal no longer writes", e)
		}
	}
	if got := eventTitle("admin.mfa_disabled"); got != "MFA disabled temporarily" {
		t.Errorf("eventTitle(admin.mfa_disabled) = %q", got)
	}
	if got := eventTitle("later.event"); got != "later.event" {
		t.Errorf("an unknown type is shown as %q, want it as recorded", got)
	}
}
