package tabletest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps what a check reports instead of
// failing the test it runs in. Any method it does not define panics.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestCheckReportsEveryWrongCase: each wrong answer is reported, once,
// with its input, its answer and the answer wanted, in the order of the
// inputs; the right ones are not.
func TestCheckReportsEveryWrongCase(t *testing.T) {
	r := &recorder{}
	Check(r, "strings.ToUpper", strings.ToUpper, map[string]string{
		"abc":     "ABC",
		"zoë":     "zoë",
		"a\tb":    "A B",
		"é":       "É",
		"already": "ALREADY",
	})
	want := []string{
		`strings.ToUpper("a\tb") = "A\tB", want "A B"`,
		`strings.ToUpper("zoë") = "ZOË", want "zoë"`,
	}
	if !slices.Equal(r.errors, want) {
		t.Errorf("reported\n%q\nwant\n%q", r.errors, want)
	}
}

// TestCheckPassesRightCases: a function that gives every answer wanted
// is not reported.
func TestCheckPassesRightCases(t *testing.T) {
	r := &recorder{}
	Check(r, "double", func(n int) int { return 2 * n }, map[int]int{0: 0, 1: 2, -3: -6})
	if len(r.errors) != 0 {
		t.Errorf("reported %q for right answers", r.errors)
	}
}

// TestCheckShowsValues: values other than strings are written so they can
// be read: a duration in its own words, a bool or an array as Go writes it.
func TestCheckShowsValues(t *testing.T) {
	r := &recorder{}
	Check(r, "wait", func(n int) time.Duration { return time.Duration(n) * time.Second }, map[int]time.Duration{90: time.Minute})
	Check(r, "odd", func(n int) bool { return n%2 == 0 }, map[int]bool{3: true})
	Check(r, "pair", func(s string) [2]string { return [2]string{s, s} }, map[string][2]string{"x": {"x", "y"}})
	want := []string{
		`wait(90) = 1m30s, want 1m0s`,
		`odd(3) = false, want true`,
		`pair("x") = [2]string{"x", "x"}, want [2]string{"x", "y"}`,
	}
	if !slices.Equal(r.errors, want) {
		t.Errorf("reported\n%q\nwant\n%q", r.errors, want)
	}
}
