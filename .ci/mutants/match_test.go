package main

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// load builds a module of the given files, as the mutants see one.
func load(t *testing.T, files map[string]string) *module {
	t.Helper()
	src := map[string][]byte{}
	for name, s := range files {
		src[name] = []byte(s)
	}
	m, err := newModule(src, func(name string) ([]byte, error) { return nil, fs.ErrNotExist })
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// mutated applies e in m and returns the files it changed.
func mutated(t *testing.T, m *module, e Edit) map[string]string {
	t.Helper()
	spans, err := m.locate(e)
	if err != nil {
		t.Fatalf("%s: %v", e.where(), err)
	}
	out, err := apply(m.src, spans)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for f, b := range out {
		files[f] = string(b)
	}
	return files
}

func stale(t *testing.T, m *module, e Edit, want string) {
	t.Helper()
	_, err := m.locate(e)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: got %v, want stale with %q", e.where(), err, want)
	}
}

const before = `package login

type Service struct{ tries int }

func (s *Service) Check(code string) error {
	if s.tries >= 5 {
		return errTooMany
	}
	s.tries++
	return nil
}

func other(s *Service) bool { return s.tries >= 5 }
`

var checkEdit = Edit{
	Func: "(*Service).Check",
	Find: `if s.tries >= 5 {
	return errTooMany
}`,
	Replace: `if false {
	return errTooMany
}`,
}

func TestMovedAndReindentedFunctionStillMatches(t *testing.T) {
	got := mutated(t, load(t, map[string]string{"internal/login/codes.go": before}), checkEdit)
	if want := strings.Replace(before, "if s.tries >= 5 {\n\t\treturn errTooMany\n\t}", checkEdit.Replace, 1); got["internal/login/codes.go"] != want {
		t.Fatalf("mutated:\n%s\nwant:\n%s", got["internal/login/codes.go"], want)
	}

	// The function moved to another package and file, among others, its
	// statements re-indented and re-wrapped, aligned with spaces.
	after := map[string]string{
		"internal/login/service.go": "package login\n\ntype Service struct{ tries int }\n",
		"internal/regulation/code_check.go": `package regulation

func first() {}

func (s *Service) Check(
	code string,
) error {
		if   s.tries>=5 {
				return errTooMany
		}
	s.tries++
	return nil
}
`,
	}
	got = mutated(t, load(t, after), checkEdit)
	f := got["internal/regulation/code_check.go"]
	if len(got) != 1 || !strings.Contains(f, "\t\tif false {\n\treturn errTooMany\n}\n\ts.tries++") {
		t.Fatalf("mutated %v:\n%s", len(got), f)
	}
}

func TestTextTwiceInTheFunctionIsStale(t *testing.T) {
	src := strings.Replace(before, "\ts.tries++\n", "\ts.tries++\n\tif s.tries >= 5 {\n\t\treturn errTooMany\n\t}\n", 1)
	stale(t, load(t, map[string]string{"internal/login/codes.go": src}), checkEdit, "the text occurs 2× in internal/login/codes.go, want once")
}

func TestTextGoneOrFunctionGoneIsStale(t *testing.T) {
	m := load(t, map[string]string{"internal/login/codes.go": before})
	e := checkEdit
	e.Find = "if s.tries > 5 {"
	stale(t, m, e, "function (*Service).Check: the text occurs 0× in internal/login/codes.go")
	e = checkEdit
	e.Func = "(Service).Check" // the receiver is part of the name
	stale(t, m, e, "function (Service).Check not found; the text is in internal/login.(*Service).Check (internal/login/codes.go)")
	e.Func = "Check"
	stale(t, m, e, "function Check not found")

	// Renamed: the stale mutant says where its text went.
	m = load(t, map[string]string{"internal/login/codes.go": strings.Replace(before, ") Check(", ") Verify(", 1)})
	stale(t, m, checkEdit, "function (*Service).Check not found; the text is in internal/login.(*Service).Verify (internal/login/codes.go)")
	e.Func = "other"
	stale(t, m, e, "function other: the text occurs 0× in internal/login/codes.go, want once; the text is in internal/login.(*Service).Verify")
}

func TestTextElsewhereDoesNotCount(t *testing.T) {
	// "s.tries >= 5" is in other too, and other's text is not looked at.
	e := Edit{Func: "(*Service).Check", Find: "s.tries >= 5", Replace: "s.tries >= 50"}
	got := mutated(t, load(t, map[string]string{"internal/login/codes.go": before}), e)
	if !strings.Contains(got["internal/login/codes.go"], "return s.tries >= 5 }") {
		t.Fatal("other was changed")
	}
}

func TestNotInsideALongerWord(t *testing.T) {
	m := load(t, map[string]string{"internal/login/policy.go": "package login\n\nfunc grow(d int) int {\n\td *= 20\n\tmaxd := d\n\treturn maxd\n}\n"})
	stale(t, m, Edit{Func: "grow", Find: "d *= 2", Replace: "d *= 1"}, "0×")
	stale(t, m, Edit{Func: "grow", Find: "return max", Replace: "return 0"}, "0×")
	mutated(t, m, Edit{Func: "grow", Find: "d*=20", Replace: "d *= 1"})
}

func TestSameNameInTwoPackages(t *testing.T) {
	twin := func(pkg, cond string) string {
		return "package " + pkg + "\n\nfunc consume() string {\n\treturn `UPDATE c SET used = 1\n\t\tWHERE " + cond + "`\n}\n"
	}
	m := load(t, map[string]string{
		"internal/store/sqlite/challenges.go":   twin("sqlite", "used = 0 AND expires > $2"),
		"internal/store/postgres/challenges.go": twin("postgres", "used = 0 AND expires > $2::bigint"),
	})
	// The text tells the two apart: found once in the two together.
	got := mutated(t, m, Edit{Func: "consume", Find: "expires > $2::bigint", Replace: "$2::bigint > 0"})
	if _, ok := got["internal/store/postgres/challenges.go"]; !ok || len(got) != 1 {
		t.Fatalf("changed %v", got)
	}
	e := Edit{Func: "consume", Find: "WHERE used = 0 AND", Replace: "WHERE"}
	stale(t, m, e, "1× in internal/store/postgres/challenges.go, 1× in internal/store/sqlite/challenges.go")
	for _, pkg := range []string{"sqlite", "store/sqlite", "internal/store/sqlite"} {
		e.Func = pkg + ".consume"
		if got := mutated(t, m, e); len(got) != 1 || got["internal/store/sqlite/challenges.go"] == "" {
			t.Fatalf("%s changed %v", e.Func, got)
		}
	}
	e.Func = "lite.consume" // a path element, not part of one
	stale(t, m, e, "not found")
}

func TestDeclarationsImportsAndOtherFiles(t *testing.T) {
	m := load(t, map[string]string{
		"internal/password/password.go": "package password\n\nconst (\n\tMaxBytes  = 1024\n\tMinLength = 12\n)\n\nvar csp = \"frame-ancestors 'none'\"\n",
		"internal/web/render.go":        "package web\n\nimport (\n\t\"fmt\"\n\t\"html/template\"\n)\n",
		"internal/web/server.go":        "package web\n\nimport \"html/template\"\n",
		"internal/web/health.go":        "package web\n\nimport \"net/http\"\n",
	})
	got := mutated(t, m, Edit{Decl: "MinLength", Find: "MinLength = 12", Replace: "MinLength = 8"})
	if !strings.Contains(got["internal/password/password.go"], "\tMinLength = 8\n") {
		t.Fatal(got)
	}
	stale(t, m, Edit{Decl: "MinLength", Find: "MaxBytes = 1024", Replace: "MaxBytes = 1"}, "0×")
	mutated(t, m, Edit{Decl: "password.csp", Find: "frame-ancestors 'none'", Replace: ""})

	got = mutated(t, m, Edit{Imports: "web", Find: `"html/template"`, Replace: `"text/template"`})
	if len(got) != 2 || !strings.Contains(got["internal/web/render.go"], "\t\"text/template\"\n") || !strings.Contains(got["internal/web/server.go"], `import "text/template"`) {
		t.Fatal(got)
	}
	stale(t, m, Edit{Imports: "web", Find: `"text/template"`, Replace: `"html/template"`}, "no file imports")

	m.read = func(name string) ([]byte, error) {
		if name != "internal/web/templates/login.html" {
			return nil, errors.New("no such file")
		}
		return []byte("<form method=\"post\"\n      action=\"/login\">\n"), nil
	}
	got = mutated(t, m, Edit{File: "internal/web/templates/login.html", Find: `<form method="post" action="/login">`, Replace: `<form method="get" action="/login">`})
	if got["internal/web/templates/login.html"] != "<form method=\"get\" action=\"/login\">\n" {
		t.Fatal(got)
	}
	stale(t, m, Edit{File: "internal/web/templates/gone.html", Find: "x", Replace: "y"}, "not found")
}

func TestEditsOfOneMutantMayNotOverlap(t *testing.T) {
	m := load(t, map[string]string{"internal/login/codes.go": before})
	mu := Mutant{Func: "(*Service).Check", Find: "s.tries++", Replace: "", Also: []Edit{{Func: "(*Service).Check", Find: "tries++\n\treturn", Replace: "return"}}}
	if _, err := mu.locate(m); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Fatalf("got %v, want overlapping edits refused", err)
	}
}

// TestEveryMutantIsFound checks the mutants against the checkout, as -list
// does against HEAD.
func TestEveryMutantIsFound(t *testing.T) {
	if err := checkIDs(mutants); err != nil {
		t.Fatal(err)
	}
	m, err := loadDir("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, mu := range mutants {
		if _, err := mu.locate(m); err != nil {
			t.Errorf("%s: %v", mu.ID, err)
		}
	}
}
