// Command mutants checks that the attack tests of issue 6 would fail if
// the protection they test were removed. Each mutant in mutants.go takes
// one protection out of the code (a check deleted, a condition flipped, a
// limit raised, a header not set) and names the tests that must then fail.
// For each mutant the program applies the change, runs those tests, and
// puts the code back:
//
//	caught    the tests failed: they guard the protection
//	SURVIVED  the tests passed without the protection: a gap to close
//	broken    the mutant did not compile: fix the mutant
//	stale     its function is not found, or its code is not found exactly
//	          once in that function: update the mutant
//
// A mutant names its code by the function it is in and a statement of it,
// not by file and exact text (see Edit): the source is parsed with go/ast,
// the function found by its name and receiver, and the statement matched
// in it with whitespace set aside, so moving a function to another file
// or package, or re-indenting it, leaves its mutants working; -list says
// of each stale mutant which of the two it is and where its text is now.
//
// Run it from the root of the repository:
//
//	go run ./.ci/mutants                  # every mutant; exit status 1 unless all are caught
//	go run ./.ci/mutants -list            # the mutants, each checked against HEAD; runs nothing
//	go run ./.ci/mutants -list -at helper/store   # checked against another branch before merging it
//	go run ./.ci/mutants -only csp-unsafe-inline,code-tries-limit
//	go run ./.ci/mutants -attack 4        # the mutants of one attack of issue 6
//	go run ./.ci/mutants -md              # the final table in Markdown
//
// It works on a temporary git worktree of HEAD, never on the checkout
// (uncommitted changes are not seen: commit a new test before counting on
// it, or try it first with -copy path/of/new_test.go, which copies files
// from the checkout into the worktree). Before the mutants, each set of
// tests is run once unchanged: it must pass, since a test that fails
// anyway proves nothing, and run a test as deep as the -run pattern
// reaches, since a pattern that selects no subtest passes whatever the
// code does (-baseline=false skips this while iterating). Tests run with
// -v, without -race, with PORTAL_REQUIRE_POSTGRES=1, so PostgreSQL must run
// at 127.0.0.1:5432 as for CI. A full run takes half an hour or more on two cores; run it
// with nice when others share the machine:
//
//	nice -n 10 go run ./.ci/mutants
//
// The directory starts with a dot so that "go test ./..." leaves it out;
// "go test ./.ci/mutants" tests the matching and finds every mutant in
// the checkout, uncommitted changes included.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// Mutant removes or weakens one protection.
type Mutant struct {
	ID     string
	Attack int    // the numbered attack of issue 6
	What   string // the protection taken away, in a few words

	// The edit: where it applies (Func, Decl, Imports or File, as in
	// Edit), Find, the protection code, and Replace, what takes its
	// place. Also holds further edits made at the same time, for a
	// protection spread over two places.
	Func, Decl, Imports, File string
	Find, Replace             string
	Also                      []Edit

	// The tests that must fail without the protection: one package and
	// the -run regexp of go test; Tags are build tags, if any.
	Pkg, Run, Tags string
}

// Edit replaces Find by Replace in one place, named by one of:
//
//	Func     a function or method: "IssueChallenge", "(*Service).Check",
//	         "(Rules).AcceptPhone"; with a package path (or its last
//	         elements) before it when the name is in several packages:
//	         "sqlite.consumeChallenge", "store/postgres.(*DB).StartLogin"
//	Decl     a package-level const, var or type, by one of its names, with
//	         a package path as Func: "password.MinLength"
//	Imports  a package path, as Func's: Find is an import path, quoted,
//	         replaced in every file of the package that imports it
//	File     a file that is not Go (a template), searched whole
//
// Find must occur exactly once in that function's declaration (its
// signature and body, closures included) or that declaration, in all the
// functions of that name together. Whitespace is set aside when matching
// (indentation, alignment, line breaks; a space between two words still
// counts), and Find does not match inside a longer word, so the function
// may move to another file or package and be re-indented or re-wrapped.
// Replace takes the place of the matched source bytes as written.
type Edit struct {
	Func, Decl, Imports, File string
	Find, Replace             string
}

func (m Mutant) edits() []Edit {
	return append([]Edit{{m.Func, m.Decl, m.Imports, m.File, m.Find, m.Replace}}, m.Also...)
}

// locate finds every edit of m in mod.
func (m Mutant) locate(mod *module) ([]span, error) {
	var spans []span
	for _, e := range m.edits() {
		s, err := mod.locate(e)
		if err != nil {
			return nil, err
		}
		spans = append(spans, s...)
	}
	if _, err := apply(mod.src, spans); err != nil {
		return nil, err
	}
	return spans, nil
}

// result is what became of one mutant.
type result struct {
	m       Mutant
	status  string // caught, SURVIVED, broken, stale, baseline failed, error
	by      string // the tests that failed, or why there is no verdict
	elapsed time.Duration
}

func main() {
	list := flag.Bool("list", false, "list the mutants, each checked against HEAD (or -at), and run nothing")
	at := flag.String("at", "HEAD", "with -list, the `commit` or branch to check the mutants against")
	only := flag.String("only", "", "comma-separated `IDs` of the mutants to run")
	attack := flag.Int("attack", 0, "run only the mutants of this attack `number`")
	baseline := flag.Bool("baseline", true, "first run each set of tests unchanged, which must pass")
	copyFiles := flag.String("copy", "", "comma-separated `paths` to copy from the checkout into the worktree (tests not yet committed)")
	md := flag.Bool("md", false, "print the final table in Markdown")
	verbose := flag.Bool("v", false, "print the output of every go test")
	timeout := flag.Duration("timeout", 10*time.Minute, "go test -timeout for each run")
	flag.Parse()

	if err := checkIDs(mutants); err != nil {
		fatal(err)
	}
	selected, err := selectMutants(mutants, *only, *attack)
	if err != nil {
		fatal(err)
	}
	root, err := git("", "rev-parse", "--show-toplevel")
	if err != nil {
		fatal(err)
	}
	head, err := git(root, "rev-parse", "--short", "HEAD")
	if err != nil {
		fatal(err)
	}
	if *list {
		os.Exit(listMutants(root, *at, selected))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tree, remove, err := newWorktree(root)
	if err != nil {
		fatal(err)
	}
	code := run(ctx, root, tree, head, selected, options{
		baseline: *baseline, copy: splitList(*copyFiles), md: *md, verbose: *verbose, timeout: *timeout,
	})
	remove()
	os.Exit(code)
}

type options struct {
	baseline bool
	copy     []string
	md       bool
	verbose  bool
	timeout  time.Duration
}

func run(ctx context.Context, root, tree, head string, selected []Mutant, o options) int {
	for _, p := range o.copy {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err == nil {
			err = os.WriteFile(filepath.Join(tree, p), b, 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "mutants: -copy %s: %v\n", p, err)
			return 2
		}
	}
	mod, err := loadDir(tree)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 2
	}
	fmt.Printf("%d mutants on HEAD %s, in %s\n", len(selected), head, tree)

	// Tests that fail without any mutant cannot judge one.
	badBaseline := map[string]string{}
	if o.baseline {
		seen := map[string]bool{}
		for _, m := range selected {
			k := testKey(m)
			if seen[k] {
				continue
			}
			seen[k] = true
			start := time.Now()
			out, err := goTest(ctx, tree, m, o.timeout)
			if ctx.Err() != nil {
				return 2
			}
			if o.verbose {
				os.Stdout.Write(out)
			}
			verdict := "passes"
			switch {
			case err != nil:
				badBaseline[k] = failureSummary(out)
				verdict = "FAILS UNCHANGED: " + badBaseline[k]
			case !ranAtDepth(out, m.Run):
				badBaseline[k] = "(-run selects no test at its depth)"
				verdict = "RUNS NOTHING: " + badBaseline[k]
			}
			fmt.Printf("baseline %-20s -run %-50s %s (%s)\n", m.Pkg, m.Run, verdict, time.Since(start).Round(time.Second))
		}
	}

	var results []result
	for i, m := range selected {
		fmt.Printf("[%d/%d] %s: %s … ", i+1, len(selected), m.ID, m.What)
		r := result{m: m}
		if why, bad := badBaseline[testKey(m)]; bad {
			r.status, r.by = "baseline failed", why
		} else {
			r = mutate(ctx, tree, mod, m, o)
		}
		if ctx.Err() != nil {
			fmt.Println("interrupted")
			return 2
		}
		fmt.Printf("%s %s (%s)\n", r.status, r.by, r.elapsed.Round(time.Second))
		results = append(results, r)
	}
	// Every mutated file is back as it was (files copied in with -copy
	// aside).
	out, err := git(tree, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 2
	}
	for line := range strings.Lines(out) {
		if line = strings.TrimSpace(line); line != "" && !slices.Contains(o.copy, strings.TrimSpace(line[2:])) {
			fmt.Fprintf(os.Stderr, "mutants: the worktree was not restored: %s\n", line)
			return 2
		}
	}

	fmt.Println()
	printTable(results, o.md)
	counts := map[string]int{}
	for _, r := range results {
		counts[r.status]++
	}
	fmt.Printf("\n%d mutants: %d caught, %d survived, %d broken, %d stale, %d without a passing baseline, %d errors\n",
		len(results), counts["caught"], counts["SURVIVED"], counts["broken"], counts["stale"], counts["baseline failed"], counts["error"])
	if counts["caught"] != len(results) {
		return 1
	}
	return 0
}

// mutate applies m in tree, whose source is mod, runs its tests and
// restores the files.
func mutate(ctx context.Context, tree string, mod *module, m Mutant, o options) (r result) {
	r.m = m
	start := time.Now()
	defer func() { r.elapsed = time.Since(start) }()

	spans, err := m.locate(mod)
	if err != nil {
		return result{m: m, status: "stale", by: err.Error()}
	}
	mutated, err := apply(mod.src, spans)
	if err != nil {
		return result{m: m, status: "stale", by: err.Error()}
	}
	defer func() {
		for f := range mutated {
			if err := os.WriteFile(filepath.Join(tree, f), mod.src[f], 0o644); err != nil {
				r.status, r.by = "error", "restoring "+f+": "+err.Error()
			}
		}
	}()
	for f, b := range mutated {
		if err := os.WriteFile(filepath.Join(tree, f), b, 0o644); err != nil {
			return result{m: m, status: "error", by: err.Error()}
		}
	}

	out, err := goTest(ctx, tree, m, o.timeout)
	if o.verbose {
		os.Stdout.Write(out)
	}
	switch {
	case err == nil:
		return result{m: m, status: "SURVIVED", by: "the tests passed"}
	case buildFailed(out):
		return result{m: m, status: "broken", by: firstLines(string(out), 6)}
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return result{m: m, status: "error", by: err.Error()}
	}
	by := failureSummary(out)
	if bytes.Contains(out, []byte("\npanic: ")) && !strings.HasPrefix(by, "(") {
		// Caught, but by a crash rather than a check: a better mutant
		// removes the protection without breaking what follows it.
		by += " (panicked)"
	}
	return result{m: m, status: "caught", by: by}
}

// goTest runs the mutant's tests in tree.
func goTest(ctx context.Context, tree string, m Mutant, timeout time.Duration) ([]byte, error) {
	args := []string{"test", "-v", "-count=1", "-timeout", timeout.String(), "-run", m.Run}
	if m.Tags != "" {
		args = append(args, "-tags", m.Tags)
	}
	args = append(args, m.Pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = tree
	cmd.Env = append(os.Environ(), "PORTAL_REQUIRE_POSTGRES=1")
	// On an interrupt, end go test and the test binary it started, which
	// share a process group of their own.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd.CombinedOutput()
}

var runLineRE = regexp.MustCompile(`(?m)^=== RUN\s+(\S+)`)

// ranAtDepth reports whether go test -v output shows a test as deep as the
// -run pattern reaches: "A/B" must run a subtest of A, not A alone, whose
// subtests the pattern may all have left out (a test renamed, subtests
// regrouped), which would pass whatever the code does.
func ranAtDepth(out []byte, run string) bool {
	depth := strings.Count(run, "/")
	for _, m := range runLineRE.FindAllSubmatch(out, -1) {
		if bytes.Count(m[1], []byte("/")) >= depth {
			return true
		}
	}
	return false
}

func testKey(m Mutant) string { return m.Pkg + "\x00" + m.Run + "\x00" + m.Tags }

func buildFailed(out []byte) bool {
	return bytes.Contains(out, []byte("[build failed]")) || bytes.Contains(out, []byte("[setup failed]"))
}

var failRE = regexp.MustCompile(`(?m)^--- FAIL: (\S+)`)

// failureSummary names the top-level tests that failed, or says how the
// run ended without naming one.
func failureSummary(out []byte) string {
	var names []string
	for _, m := range failRE.FindAllSubmatch(out, -1) {
		if n := string(m[1]); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	switch {
	case len(names) > 0:
		return strings.Join(names, ", ")
	case bytes.Contains(out, []byte("panic: test timed out")):
		return "(timed out)"
	case bytes.Contains(out, []byte("panic:")):
		return "(panic)"
	case bytes.Contains(out, []byte("no tests to run")):
		return "(no tests to run)"
	}
	return "(" + firstLines(string(out), 3) + ")"
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

func printTable(results []result, md bool) {
	if md {
		fmt.Println("| mutant | attack | protection removed | result | failing tests |")
		fmt.Println("| --- | --- | --- | --- | --- |")
		for _, r := range results {
			fmt.Printf("| `%s` | %d | %s | %s | %s |\n", r.m.ID, r.m.Attack, r.m.What, r.status, mdTests(r))
		}
		return
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "MUTANT\tATTACK\tRESULT\tFAILING TESTS\tPROTECTION REMOVED")
	for _, r := range results {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", r.m.ID, r.m.Attack, r.status, r.by, r.m.What)
	}
	w.Flush()
}

func mdTests(r result) string {
	if r.status != "caught" {
		return r.by
	}
	var names []string
	for _, n := range strings.Split(r.by, ", ") {
		names = append(names, "`"+n+"`")
	}
	return strings.Join(names, ", ")
}

// listMutants prints the mutants and checks each edit against rev.
func listMutants(root, rev string, selected []Mutant) int {
	mod, err := loadCommit(root, rev)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		return 2
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "MUTANT\tATTACK\tAT "+strings.ToUpper(rev)+"\tPACKAGE\t-run\tPROTECTION REMOVED")
	stale := 0
	var why []string
	for _, m := range selected {
		state := "ok"
		if spans, err := m.locate(mod); err != nil {
			state = "STALE"
			why = append(why, m.ID+": "+err.Error())
			stale++
		} else {
			state += " " + spans[0].file
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", m.ID, m.Attack, state, m.Pkg, m.Run, m.What)
	}
	w.Flush()
	for _, s := range why {
		fmt.Println("STALE", s)
	}
	fmt.Printf("%d mutants, %d stale\n", len(selected), stale)
	if stale > 0 {
		return 1
	}
	return 0
}

func checkIDs(ms []Mutant) error {
	seen := map[string]bool{}
	for _, m := range ms {
		switch {
		case m.ID == "" || m.Attack < 1 || m.Attack > 11 || m.What == "" || m.Pkg == "" || m.Run == "":
			return fmt.Errorf("mutant %q: ID, Attack (1–11), What, Pkg and Run are required", m.ID)
		case seen[m.ID]:
			return fmt.Errorf("two mutants are called %q", m.ID)
		}
		for _, e := range m.edits() {
			n := 0
			for _, s := range []string{e.Func, e.Decl, e.Imports, e.File} {
				if s != "" {
					n++
				}
			}
			if n != 1 || strings.TrimSpace(e.Find) == "" || e.Find == e.Replace {
				return fmt.Errorf("mutant %q: an edit needs one of Func, Decl, Imports and File, and a Find that Replace changes", m.ID)
			}
		}
		seen[m.ID] = true
	}
	return nil
}

func selectMutants(ms []Mutant, only string, attack int) ([]Mutant, error) {
	ids := splitList(only)
	for _, id := range ids {
		if !slices.ContainsFunc(ms, func(m Mutant) bool { return m.ID == id }) {
			return nil, fmt.Errorf("no mutant is called %q (see -list)", id)
		}
	}
	var out []Mutant
	for _, m := range ms {
		if (len(ids) == 0 || slices.Contains(ids, m.ID)) && (attack == 0 || m.Attack == attack) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no mutant selected")
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// newWorktree checks out HEAD in a temporary directory; remove deletes it.
func newWorktree(root string) (dir string, remove func(), err error) {
	parent, err := os.MkdirTemp("", "portal-mutants-")
	if err != nil {
		return "", nil, err
	}
	dir = filepath.Join(parent, "tree")
	if _, err := git(root, "worktree", "add", "--detach", "--quiet", dir, "HEAD"); err != nil {
		os.RemoveAll(parent)
		return "", nil, err
	}
	return dir, func() {
		if _, err := git(root, "worktree", "remove", "--force", dir); err != nil {
			fmt.Fprintf(os.Stderr, "mutants: %v (remove it with: git worktree remove --force %s)\n", err, dir)
		}
		os.RemoveAll(parent)
	}, nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSuffix(string(out), "\n"), nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mutants:", err)
	os.Exit(2)
}
