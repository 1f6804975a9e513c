// Command vulndb builds a local Go vulnerability database for govulncheck
// from a pinned version of the golang.org/x/vulndb module, because CI
// cannot reach the online database but can reach the module proxy.
//
// The module carries every report as an OSV file in data/osv. govulncheck's
// -db file:// mode wants the v1 layout of go.dev/security/vuln/database:
//
//	index/db.json       {"modified": time}
//	index/modules.json  [{"path": module, "vulns": [{"id", "modified"}]}]
//	index/vulns.json    [{"id", "modified", "aliases"}]
//	ID/GO-YYYY-NNNN.json the OSV entry itself, copied unchanged
//
// The OSV files in the repository carry no modified time (the real database
// takes it from the git history, which a module zip lacks), so every
// "modified" here is the time of the vulndb commit the module version was
// cut from: the date of the snapshot, printed so that CI says how old its
// knowledge is. The optional "fixed" hint of modules.json is left out: it
// only lets govulncheck skip reading entries, and leaving it out means
// govulncheck judges every entry of a module against its full version
// ranges, so a wrong hint can never hide a finding.
//
// Run from the repository root (outside the portal's packages on purpose):
//
//	go run .ci/vulndb/main.go -module golang.org/x/vulndb@VERSION -out DIR
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

func main() {
	module := flag.String("module", "", "golang.org/x/vulndb@VERSION to build the database from")
	out := flag.String("out", "", "directory to write the database to (emptied first)")
	flag.Parse()
	if *module == "" || *out == "" || !strings.HasPrefix(*module, "golang.org/x/vulndb@") {
		fmt.Fprintln(os.Stderr, "usage: vulndb -module golang.org/x/vulndb@VERSION -out DIR")
		os.Exit(2)
	}
	if err := run(*module, *out); err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func run(module, out string) error {
	dir, snapshot, err := download(module)
	if err != nil {
		return err
	}
	entries, err := readEntries(filepath.Join(dir, "data", "osv"))
	if err != nil {
		return err
	}
	db, err := build(entries, snapshot)
	if err != nil {
		return err
	}
	if err := db.write(out); err != nil {
		return err
	}
	fmt.Printf("vulnerability database: %s, snapshot of %s, %d entries (newest %s), in %s\n",
		module, snapshot.Format("2006-01-02 15:04 MST"), len(entries), entries[len(entries)-1].ID, out)
	return nil
}

// download fetches the module through the module proxy (or the module
// cache) and returns its directory and the time of the commit it was cut
// from. It runs outside any module so that the portal's go.mod and go.sum
// are never touched.
func download(module string) (dir string, snapshot time.Time, err error) {
	cmd := exec.Command("go", "mod", "download", "-json", module) // #nosec G204 -- no shell; module is CI's own -module flag, checked to be golang.org/x/vulndb@…
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("go mod download %s: %w", module, err)
	}
	var mod struct{ Dir, Info, Error string }
	if err := json.Unmarshal(b, &mod); err != nil {
		return "", time.Time{}, fmt.Errorf("go mod download %s: %w", module, err)
	}
	if mod.Error != "" {
		return "", time.Time{}, fmt.Errorf("go mod download %s: %s", module, mod.Error)
	}
	info, err := os.ReadFile(mod.Info) // #nosec G304 -- a path in the module cache, as the go command reported it
	if err != nil {
		return "", time.Time{}, err
	}
	var v struct{ Time time.Time }
	if err := json.Unmarshal(info, &v); err != nil || v.Time.IsZero() {
		return "", time.Time{}, fmt.Errorf("%s: no commit time", mod.Info)
	}
	return mod.Dir, v.Time.UTC(), nil
}

// entry is what the index needs from an OSV file; raw is the file itself.
type entry struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
	raw []byte
}

var idPattern = regexp.MustCompile(`^GO-\d{4}-\d{4,}$`)

// readEntries reads every GO-*.json OSV file of dir, sorted by ID.
func readEntries(dir string) ([]entry, error) {
	names, err := filepath.Glob(filepath.Join(dir, "GO-*.json"))
	if err != nil {
		return nil, err
	}
	var entries []entry
	for _, name := range names {
		raw, err := os.ReadFile(name) // #nosec G304 -- a file that Glob found in the module's data/osv
		if err != nil {
			return nil, err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if !idPattern.MatchString(e.ID) || e.ID+".json" != filepath.Base(name) {
			return nil, fmt.Errorf("%s: holds entry %q", name, e.ID)
		}
		e.raw = raw
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: no OSV entries", dir)
	}
	// By year, then by number (GO-2024-10000 comes after GO-2024-9999).
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i].ID, entries[j].ID
		if a[:7] != b[:7] {
			return a < b
		}
		return len(a) < len(b) || len(a) == len(b) && a < b
	})
	return entries, nil
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vulnMeta struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

type database struct {
	modified time.Time
	modules  []moduleMeta
	vulns    []vulnMeta
	entries  []entry
}

// build makes the indexes. It refuses a database without entries for the
// standard library: one that finds nothing there would pass every scan.
func build(entries []entry, snapshot time.Time) (*database, error) {
	byModule := map[string]*moduleMeta{}
	db := &database{modified: snapshot, entries: entries}
	for _, e := range entries {
		db.vulns = append(db.vulns, vulnMeta{ID: e.ID, Modified: snapshot, Aliases: e.Aliases})
		seen := map[string]bool{}
		for _, a := range e.Affected {
			path := a.Package.Name
			if path == "" || seen[path] {
				continue
			}
			seen[path] = true
			m := byModule[path]
			if m == nil {
				m = &moduleMeta{Path: path}
				byModule[path] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: snapshot})
		}
	}
	if byModule["stdlib"] == nil || byModule["toolchain"] == nil {
		return nil, errors.New("no entries for the standard library or the toolchain: not a Go vulnerability database")
	}
	for _, m := range byModule {
		db.modules = append(db.modules, *m)
	}
	sort.Slice(db.modules, func(i, j int) bool { return db.modules[i].Path < db.modules[j].Path })
	return db, nil
}

func (db *database) write(out string) error {
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	for _, d := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o750); err != nil {
			return err
		}
	}
	if err := writeJSON(filepath.Join(out, "index", "db.json"), map[string]time.Time{"modified": db.modified}); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "index", "modules.json"), db.modules); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "index", "vulns.json"), db.vulns); err != nil {
		return err
	}
	for _, e := range db.entries {
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), bytes.TrimSpace(e.raw), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func writeJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(name, b, 0o600)
}
