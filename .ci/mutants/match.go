package main

// Finding a mutant's code: by the function (or declaration) it is in and
// the text of the statement, with whitespace set aside, so that moving a
// function to another file or package, re-indenting it or re-wrapping its
// lines does not lose the mutant.

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// module is the non-test Go source of the module, parsed, with every
// function, package-level declaration and import indexed.
type module struct {
	src   map[string][]byte // by slash path from the root; other files as read
	funcs map[string][]place
	decls map[string][]place
	imps  []place // one per import spec; name is the import path
	read  func(name string) ([]byte, error)
}

// place is where a declaration is: the bytes [start, end) of file, in the
// package whose directory is pkg.
type place struct {
	pkg, file, name string
	start, end      int
}

// span is one replacement in the real source.
type span struct {
	file       string
	start, end int
	replace    string
}

// goSource reports whether name is a non-test Go file the mutants may
// name: not a test, not under a directory starting with a dot or an
// underscore (.ci among them), testdata or vendor.
func goSource(name string) bool {
	if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
		return false
	}
	for _, dir := range strings.Split(path.Dir(name), "/") {
		if strings.HasPrefix(dir, ".") && dir != "." || strings.HasPrefix(dir, "_") || dir == "testdata" || dir == "vendor" {
			return false
		}
	}
	return true
}

// loadDir reads the module from the files under root.
func loadDir(root string) (*module, error) {
	src := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if b := d.Name(); rel != "." && (strings.HasPrefix(b, ".") || strings.HasPrefix(b, "_") || b == "testdata" || b == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !goSource(rel) {
			return nil
		}
		b, err := os.ReadFile(p)
		src[rel] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	return newModule(src, func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(root, name)) })
}

// loadCommit reads the module as committed at rev (HEAD, a branch) in the
// repository at root.
func loadCommit(root, rev string) (*module, error) {
	list, err := git(root, "ls-tree", "-r", "--name-only", rev)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, n := range strings.Split(list, "\n") {
		if goSource(n) {
			names = append(names, n)
		}
	}
	src, err := catFiles(root, rev, names)
	if err != nil {
		return nil, err
	}
	return newModule(src, func(name string) ([]byte, error) {
		s, err := git(root, "show", rev+":"+name)
		return []byte(s + "\n"), err
	})
}

// catFiles reads the named files at rev with one git cat-file.
func catFiles(root, rev string, names []string) (map[string][]byte, error) {
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir = root
	cmd.Stdin = strings.NewReader(func() string {
		var b strings.Builder
		for _, n := range names {
			b.WriteString(rev + ":" + n + "\n")
		}
		return b.String()
	}())
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git cat-file: %v", err)
	}
	r := bufio.NewReader(bytes.NewReader(out))
	src := make(map[string][]byte, len(names))
	for _, n := range names {
		header, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("git cat-file %s: %v", n, err)
		}
		f := strings.Fields(header)
		if len(f) != 3 || f[1] != "blob" {
			return nil, fmt.Errorf("git cat-file %s: %q", n, strings.TrimSpace(header))
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("git cat-file %s: %q", n, header)
		}
		b := make([]byte, size+1) // the content and a newline
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("git cat-file %s: %v", n, err)
		}
		src[n] = b[:size]
	}
	return src, nil
}

// newModule parses the Go files of src and indexes their declarations.
func newModule(src map[string][]byte, read func(string) ([]byte, error)) (*module, error) {
	m := &module{src: src, funcs: map[string][]place{}, decls: map[string][]place{}, read: read}
	names := make([]string, 0, len(src))
	for n := range src {
		names = append(names, n)
	}
	slices.Sort(names)
	fset := token.NewFileSet()
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, src[name], parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		tf := fset.File(f.Pos())
		at := func(n ast.Node) (int, int) { return tf.Offset(n.Pos()), tf.Offset(n.End()) }
		pkg := path.Dir(name)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				key := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) == 1 {
					key = "(" + receiver(d.Recv.List[0].Type) + ")." + key
				}
				s, e := at(d)
				m.funcs[key] = append(m.funcs[key], place{pkg, name, key, s, e})
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					s, e := at(sp)
					if !d.Lparen.IsValid() {
						s, e = at(d) // the keyword belongs to the one spec
					}
					switch sp := sp.(type) {
					case *ast.ImportSpec:
						p, _ := strconv.Unquote(sp.Path.Value)
						m.imps = append(m.imps, place{pkg, name, p, s, e})
					case *ast.TypeSpec:
						m.decls[sp.Name.Name] = append(m.decls[sp.Name.Name], place{pkg, name, sp.Name.Name, s, e})
					case *ast.ValueSpec:
						for _, id := range sp.Names {
							m.decls[id.Name] = append(m.decls[id.Name], place{pkg, name, id.Name, s, e})
						}
					}
				}
			}
		}
	}
	return m, nil
}

// receiver writes a receiver's type as a method expression does: "*T" or
// "T", type parameters left out.
func receiver(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + receiver(t.X)
	case *ast.IndexExpr:
		return receiver(t.X)
	case *ast.IndexListExpr:
		return receiver(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.ParenExpr:
		return receiver(t.X)
	}
	return "?"
}

// splitName splits "store/sqlite.(*DB).Count" into the package "store/sqlite"
// and the key "(*DB).Count", and "login.IssueChallenge" into "login" and
// "IssueChallenge".
func splitName(s string) (pkg, key string) {
	if i := strings.Index(s, "("); i >= 0 {
		return strings.TrimSuffix(s[:i], "."), s[i:]
	}
	if i := strings.LastIndex(s, "."); i >= 0 {
		return s[:i], s[i+1:]
	}
	return "", s
}

// inPackage reports whether the package directory dir is named by want, a
// path suffix ("sqlite", "store/sqlite") or nothing.
func inPackage(dir, want string) bool {
	return want == "" || dir == want || strings.HasSuffix(dir, "/"+want)
}

// where says in a few words what an edit names.
func (e Edit) where() string {
	switch {
	case e.Func != "":
		return "function " + e.Func
	case e.Decl != "":
		return "declaration " + e.Decl
	case e.Imports != "":
		return "the imports of package " + e.Imports
	}
	return "file " + e.File
}

// locate finds where e applies in m: exactly one place, the imports of
// every file of a package that has the import. The error is why it is
// stale, for whoever moved the code.
func (m *module) locate(e Edit) ([]span, error) {
	find := squeezed(e.Find)
	if len(find) == 0 {
		return nil, fmt.Errorf("%s: the edit has no text to find", e.where())
	}
	var candidates []place
	switch {
	case e.Func != "" || e.Decl != "":
		index, name := m.funcs, e.Func
		if e.Func == "" {
			index, name = m.decls, e.Decl
		}
		pkg, key := splitName(name)
		for _, p := range index[key] {
			if inPackage(p.pkg, pkg) {
				candidates = append(candidates, p)
			}
		}
		if len(candidates) == 0 {
			return nil, fmt.Errorf("%s not found%s", e.where(), m.elsewhere(find))
		}
	case e.Imports != "":
		var spans []span
		for _, p := range m.imps {
			if inPackage(p.pkg, e.Imports) && len(indexAll(m.src[p.file][p.start:p.end], find)) > 0 {
				s, err := m.locateIn([]place{p}, e, find)
				if err != nil {
					return nil, err
				}
				spans = append(spans, s)
			}
		}
		if len(spans) == 0 {
			return nil, fmt.Errorf("%s: no file imports the text", e.where())
		}
		return spans, nil
	case e.File != "":
		b, ok := m.src[e.File]
		if !ok {
			var err error
			if b, err = m.read(e.File); err != nil {
				return nil, fmt.Errorf("file %s not found", e.File)
			}
			m.src[e.File] = b
		}
		candidates = []place{{path.Dir(e.File), e.File, e.File, 0, len(b)}}
	default:
		return nil, fmt.Errorf("the edit names no Func, Decl, Imports or File")
	}
	s, err := m.locateIn(candidates, e, find)
	if err != nil {
		return nil, err
	}
	return []span{s}, nil
}

// locateIn finds the squeezed text find exactly once in all of candidates
// together.
func (m *module) locateIn(candidates []place, e Edit, find []byte) (span, error) {
	var found []span
	var counts []string
	for _, p := range candidates {
		body, at := squeeze(m.src[p.file][p.start:p.end])
		hits := indexAll(body, find)
		for _, i := range hits {
			found = append(found, span{p.file, p.start + at[i], p.start + at[i+len(find)-1] + 1, e.Replace})
		}
		counts = append(counts, fmt.Sprintf("%d× in %s", len(hits), p.file))
	}
	if len(found) != 1 {
		hint := ""
		if len(found) == 0 && e.File == "" && e.Imports == "" {
			hint = m.elsewhere(find)
		}
		return span{}, fmt.Errorf("%s: the text occurs %s, want once%s", e.where(), strings.Join(counts, ", "), hint)
	}
	return found[0], nil
}

// elsewhere says which functions and declarations hold find, if a few do,
// for whoever moved the code a mutant names.
func (m *module) elsewhere(find []byte) string {
	var at []string
	for _, index := range []map[string][]place{m.funcs, m.decls} {
		for _, ps := range index {
			for _, p := range ps {
				if body, _ := squeeze(m.src[p.file][p.start:p.end]); len(indexAll(body, find)) > 0 {
					at = append(at, p.pkg+"."+p.name+" ("+p.file+")")
				}
			}
		}
	}
	if len(at) == 0 || len(at) > 3 {
		return ""
	}
	slices.Sort(at)
	return "; the text is in " + strings.Join(at, ", ")
}

// apply makes the replacements of spans in src, which it copies; spans
// may not overlap.
func apply(src map[string][]byte, spans []span) (map[string][]byte, error) {
	byFile := map[string][]span{}
	for _, s := range spans {
		byFile[s.file] = append(byFile[s.file], s)
	}
	out := map[string][]byte{}
	for f, ss := range byFile {
		slices.SortFunc(ss, func(a, b span) int { return b.start - a.start })
		b := slices.Clone(src[f])
		for i, s := range ss {
			if i > 0 && s.end > ss[i-1].start {
				return nil, fmt.Errorf("%s: two edits overlap", f)
			}
			b = slices.Concat(b[:s.start], []byte(s.replace), b[s.end:])
		}
		out[f] = b
	}
	return out, nil
}

// squeeze drops the whitespace of src, keeping one space where it
// separates two word characters (identifiers, numbers, SQL words), so
// that indentation, alignment and line breaks do not matter. at[i] is the
// offset in src of out[i].
func squeeze(src []byte) (out []byte, at []int) {
	out, at = make([]byte, 0, len(src)), make([]int, 0, len(src))
	for i := 0; i < len(src); {
		if !isSpace(src[i]) {
			out, at = append(out, src[i]), append(at, i)
			i++
			continue
		}
		j := i
		for j < len(src) && isSpace(src[j]) {
			j++
		}
		if len(out) > 0 && j < len(src) && isWord(out[len(out)-1]) && isWord(src[j]) {
			out, at = append(out, ' '), append(at, i)
		}
		i = j
	}
	return out, at
}

func squeezed(s string) []byte {
	out, _ := squeeze([]byte(s))
	return out
}

// indexAll returns where find starts in body, not inside a longer word:
// "d *= 2" is not found in "d *= 20".
func indexAll(body, find []byte) []int {
	var hits []int
	for k := 0; ; {
		i := bytes.Index(body[k:], find)
		if i < 0 {
			return hits
		}
		i += k
		k = i + 1
		if isWord(find[0]) && i > 0 && isWord(body[i-1]) {
			continue
		}
		if n := i + len(find); isWord(find[len(find)-1]) && n < len(body) && isWord(body[n]) {
			continue
		}
		hits = append(hits, i)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isWord(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}
