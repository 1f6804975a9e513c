package password

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/frequency"
)

// The shipped files are the ones breached/README.md describes: a change to
// them must come with a change to the README and to this test.
func TestBreachedListFiles(t *testing.T) {
	files := []struct {
		name, content string
		entries       int
		sha256        string
	}{
		{"top-10000.txt", breachedTop10000, 10_000, "0279e0e7d854dc40460db18a7cf2e09fb661837dc0ae7d3b8dc6e783ba5d84b4"},
		{"top-1000000-long.txt", breachedTop1000000Long, 44_126, "c9d91be75daca9c8a3a83c88a5738898e05091d91180163019f115d9176c1a06"},
	}
	for _, f := range files {
		sum := sha256.Sum256([]byte(f.content))
		if got := hex.EncodeToString(sum[:]); got != f.sha256 {
			t.Errorf("%s: sha256 %s, README says %s", f.name, got, f.sha256)
		}
		if got := strings.Count(f.content, "\n"); got != f.entries {
			t.Errorf("%s: %d entries, want %d", f.name, got, f.entries)
		}
	}

	// In rank order, most common first, as SecLists publishes them.
	top := strings.Split(strings.TrimSuffix(breachedTop10000, "\n"), "\n")
	if want := []string{"123456", "password", "12345678", "qwerty", "123456789"}; !slices.Equal(top[:5], want) {
		t.Errorf("top 5 = %q, want %q", top[:5], want)
	}
	if top[len(top)-1] != "brady" {
		t.Errorf("rank 10,000 = %q, want brady", top[len(top)-1])
	}
	// The second file only holds what the length rule lets through, and
	// only in the form Check looks passwords up in.
	for entry := range strings.Lines(breachedTop1000000Long + breachedTop10000) {
		entry = strings.TrimSuffix(entry, "\n")
		if Normalize(entry) != entry || !utf8.ValidString(entry) {
			t.Errorf("%q is not in normalised form: Check would never match it", entry)
		}
	}
	for entry := range strings.Lines(breachedTop1000000Long) {
		if n := utf8.RuneCountInString(strings.TrimSuffix(entry, "\n")); n < MinLength {
			t.Errorf("%q has %d characters, fewer than the length rule lets through", entry, n)
		}
	}
}

func TestBreachedSet(t *testing.T) {
	set := breachedSet()
	// 54,126 lines, fewer once letter case is ignored ("password",
	// "Password", "PASSWORD" are one entry).
	if len(set) < 10_000 || len(set) > 54_126 {
		t.Fatalf("%d distinct passwords", len(set))
	}
	for _, pw := range []string{"123456", "password", "PASSWORD", "qwerty", "1qaz2wsx3edc", "brady", "rikitikitavi", "Findaupair007"} {
		if !isBreached(pw) {
			t.Errorf("%q is not found", pw)
		}
	}
	for _, pw := range []string{"", "violet tractor ocean pebble", "password ", " password", "passw0rd1234567"} {
		if isBreached(pw) {
			t.Errorf("%q is found", pw)
		}
	}
}

// A password on the shipped list but not on zxcvbn's own, which zxcvbn
// rates hard to guess, is refused, and says why. Without isBreached these
// are accepted.
func TestCheckRefusesBreachedPasswords(t *testing.T) {
	zxcvbnList := map[string]bool{}
	for _, p := range frequency.FrequencyLists["passwords"] {
		zxcvbnList[p] = true
	}
	for _, pw := range []string{
		"rikitikitavi",  // rank 83,078
		"RikiTikiTavi",  // letter case does not matter
		"ＲｉｋｉＴｉｋｉＴａｖｉ",  // nor full-width letters (NFKC)
		"Findaupair007", // rank 77,840
		"badiman28200",  // rank 61,600
	} {
		if zxcvbnList[strings.ToLower(Normalize(pw))] {
			t.Fatalf("%q is on zxcvbn's list too: pick one that proves the shipped list refuses it", pw)
		}
		var perr *PolicyError
		if err := Check(pw); !errors.As(err, &perr) || perr.Message != msgCommon {
			t.Errorf("Check(%q) = %v, want %q", pw, err, msgCommon)
		}
	}
}

// BenchmarkCheckBreached measures a look-up in the list of breached
// passwords (the list is built before the timer starts).
func BenchmarkCheckBreached(b *testing.B) {
	breachedSet()
	for b.Loop() {
		_ = Check("RikiTikiTavi")
	}
}

// BenchmarkCheckPassphrase measures the usual case, an accepted passphrase,
// which goes through every check.
func BenchmarkCheckPassphrase(b *testing.B) {
	breachedSet()
	for b.Loop() {
		_ = Check("violet tractor ocean pebble", "jane.doe@example.com", "Jane Doe")
	}
}

// BenchmarkBreachedSet measures building the set, paid once, on the first
// password checked.
func BenchmarkBreachedSet(b *testing.B) {
	for b.Loop() {
		_ = buildBreachedSet()
	}
}
